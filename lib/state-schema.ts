/**
 * The state schema of a SchemaMigrations (`<stateSchema>.applied_migrations`,
 * and the key of its runner lock): validated as the CLI's `--state-schema`
 * and the handler's SCHEMAGUARD_STATE_SCHEMA are, and claimed once per
 * database in the app, so two SchemaMigrations never share one state table.
 */
import { Token } from 'aws-cdk-lib';
import { Construct, type IConstruct } from 'constructs';
import { InputError } from '../lambda/engine/errors/errors';
import { validateSchemaName } from '../lambda/engine/state/identifiers';
import { DEFAULT_STATE_SCHEMA } from '../lambda/engine/state/state';
import { claimOnce } from './synth-claims';

/** The state schema to use: `given` checked as the handler checks it, or the default. */
export function resolveStateSchema(given: string | undefined): string {
  if (given === undefined) return DEFAULT_STATE_SCHEMA;
  if (Token.isUnresolved(given)) {
    throw new Error(
      'SchemaMigrations: "stateSchema" must be a concrete string, not a token; two SchemaMigrations on one database are told apart by it at synth time',
    );
  }
  try {
    return validateSchemaName(given, '"stateSchema"');
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    throw new Error(`SchemaMigrations: ${e.message}; ${e.fix} (the CLI's --state-schema takes the same names)`, { cause: e });
  }
}

/** What SchemaMigrations migrates: the database (or cluster) construct, the secret, the database name. */
export interface MigratedDatabase {
  readonly database: unknown;
  /** @default - none: IAM authentication */
  readonly secret?: IConstruct;
  readonly databaseName?: string;
}

/**
 * Refuses a second SchemaMigrations in the app on the same database (the
 * same database construct, or the same secret, and the same database name)
 * with the same state schema: both would record in one applied_migrations
 * table, and the second deploy fails on the first one's checksums.
 */
export function claimStateTable(owner: IConstruct, target: MigratedDatabase, stateSchema: string): void {
  const name = target.databaseName ?? "(the secret's dbname)";
  const places: [IConstruct, string][] = target.secret ? [[target.secret, `secret ${target.secret.node.path}`]] : [];
  if (Construct.isConstruct(target.database)) places.unshift([target.database, `database ${target.database.node.path}`]);
  for (const [place, what] of places) {
    const first = claimOnce(owner, 'stateTable', `${place.node.path}\u0000${name}\u0000${stateSchema}`, place);
    if (first === undefined) continue;
    throw new Error(
      `SchemaMigrations: ${owner.node.path} and ${first} both migrate the ${what}, database name ${JSON.stringify(name)}, with the state schema "${stateSchema}": ` +
        `they would share the state table ${stateSchema}.applied_migrations and the runner lock, and the second deploy would fail on the other's checksums. ` +
        'Give each its own "stateSchema" (e.g. stateSchema: \'orders_schemaguard\'; the CLI takes it as --state-schema), ' +
        'or use one SchemaMigrations with one migrations folder for the database',
    );
  }
}
