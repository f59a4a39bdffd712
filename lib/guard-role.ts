/**
 * GuardRole: the guard's read-only database role, made at deploy time.
 *
 * - A generated Secrets Manager secret `{ username: <role>, password }`
 *   (printable ASCII, so PostgreSQL stores it as a SCRAM verifier unchanged);
 *   the Data API reads it with the guard's permissions, the guard reads it
 *   itself over a connection.
 * - A custom resource `Custom::SchemaguardGuardRole` served by the
 *   SchemaMigrations provider — the migration handler already connects as the
 *   master user, from the right network, so nothing new can reach the
 *   database. It runs after the migrations, and again whenever they change
 *   (their files' hash is a property), so new tables are granted. Its
 *   properties are the role name, the secret's ARN, that hash, the
 *   privileges' version, the database's identity and name (a replaced
 *   database gets the role in the deploy that replaces it) and, when given,
 *   the revision (raised to set the role again from its secret): never the
 *   password. CloudFormation sends it
 *   nothing while they stay the same, so a redeploy alone resets nothing.
 * - The function that sets the role may read this one secret (GetSecretValue):
 *   the role provisioner when the migrations run as a migrator it made (it
 *   connects as the master user), else the migration handler; with the
 *   guard's function, the only principals the secret's resource policy lets
 *   read it (`limitReaders`).
 *
 * What the handler does with it: lambda/handler/guard/role.ts and role-sql.ts.
 */
import { createHash } from 'node:crypto';
import { CustomResource, Stack, Token } from 'aws-cdk-lib';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { GUARD_PRIVILEGES_VERSION, GUARD_ROLE_PREFIX, GUARD_ROLE_PROP, GUARD_ROLE_RESOURCE_TYPE } from '../lambda/handler/constants';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { limitReaders } from './migrator-role';
import { acknowledge } from './nag';
import { refuseUnlessWhole, refuseWrongKinds } from './prop-types';
import { secretStatements, type SchemaMigrations } from './schema-migrations';

export interface GuardRoleProps {
  /** The migrations whose handler creates the role, after them. */
  readonly migrations: SchemaMigrations;
  readonly roleName: string;
  /**
   * Raise it to make the next deploy set the role again from its secret
   * (see SchemaGuardProps.roleRevision).
   * @default - no `Revision` property: the role is set when it is created and when the migrations, the role name or the privileges change
   */
  readonly revision?: number;
}

/**
 * The guard's default role for a database: `schemaguard_guard_<database>`,
 * one per database, because a role belongs to the whole instance. A name
 * that is not already lowercase letters, digits and _ (or would pass 63
 * bytes) is folded to those, cut, and ends with 8 hex digits of its sha-256,
 * so two databases never fold to one role: `Orders-EU` →
 * `schemaguard_guard_orders_eu_<hash>`. Always a plain identifier
 * (GUARD_ROLE_NAME_PATTERN), which PostgreSQL keeps as written.
 *
 * @throws Error when the name is a token (known only at deploy time): the role's name is fixed at synth.
 */
export function defaultGuardRoleName(databaseName: string): string {
  if (Token.isUnresolved(databaseName)) {
    throw new Error(
      `defaultGuardRoleName: the database name is a value known only at deploy time (${databaseName}), and a role name is fixed at synth time ` +
        '(folding the token\'s placeholder made a name that changed with unrelated edits to the app); pass the literal database name, or choose the role name yourself (SchemaGuard\'s "roleName")',
    );
  }
  const folded = databaseName.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const plain = `${GUARD_ROLE_PREFIX}_${folded}`;
  if (folded === databaseName && plain.length <= 63) return plain;
  const hash = createHash('sha256').update(databaseName).digest('hex').slice(0, 8);
  return `${plain.slice(0, 63 - hash.length - 1)}_${hash}`;
}

/** A role revision: a whole number from 0, raised to set the role again (it becomes the resource's `Revision` property as it is). */
export const REVISION_RANGE = [0, Number.MAX_SAFE_INTEGER] as const;
const REVISION_FIX = 'use a whole number from 0, and raise it to set the role again from its secret';

export class GuardRole extends Construct {
  /** `{ username, password }` of the role; generated, never in the template. */
  readonly secret: secretsmanager.ISecret;
  readonly resource: CustomResource;
  readonly roleName: string;
  /** The role of the function that sets the role (reads the secret). */
  private readonly setterRole: iam.IRole;

  constructor(scope: Construct, id: string, props: GuardRoleProps) {
    super(scope, id);
    refuseWrongKinds('GuardRole', props, { roleName: 'string', revision: 'number' });
    refuseUnlessWhole('GuardRole', 'revision', props.revision, REVISION_RANGE, REVISION_FIX);
    this.roleName = props.roleName;
    const secret = new rds.DatabaseSecret(this, 'Secret', { username: props.roleName });
    this.secret = secret;
    acknowledge(
      secret,
      'AwsSolutions-SMG4',
      "The guard role's password is not rotated by a function: the single-user rotation would run ALTER ROLE in a session that is read-only by default (refused), and the multi-user one clones the role without its read-only setting. The password is generated, stored only here, reaches PostgreSQL only as a SCRAM verifier, and may be read by the guard and the function that sets the role alone (the secret's resource policy); replace it by putting a new value in the secret and raising the guard's roleRevision (or deploying a migration change): the role is set from the secret whenever the role resource's properties change.",
    );
    // The function that makes roles: the role provisioner (the master user) when the migrations run as a migrator, else the migrations' own.
    const setter = props.migrations.roleSetter();
    this.setterRole = setter.functionRole;
    for (const statement of secretStatements(secret, Stack.of(this).region, 'GuardRole')) setter.functionRole.addToPrincipalPolicy(statement);
    // CloudFormation refuses to change a custom resource's ServiceToken ("Modifying service token is not allowed"): served by
    // the provisioner, the resource has an id of its own, so a deployed stack gets a new one (Create) and the old one's Delete touches nothing.
    const properties = {
      [GUARD_ROLE_PROP.roleName]: props.roleName,
      [GUARD_ROLE_PROP.secretArn]: secret.secretArn,
      [GUARD_ROLE_PROP.filesHash]: props.migrations.files.hash,
      [GUARD_ROLE_PROP.privilegesVersion]: GUARD_PRIVILEGES_VERSION,
      // A replaced database (another identity) gets the role in the deploy that replaces it.
      ...(props.migrations.databaseIdentity === undefined ? {} : { [GUARD_ROLE_PROP.databaseIdentity]: props.migrations.databaseIdentity }),
      ...(props.migrations.databaseName === undefined ? {} : { [GUARD_ROLE_PROP.databaseName]: props.migrations.databaseName }),
      ...(setter.migratorRoleName === undefined ? {} : { [GUARD_ROLE_PROP.migratorRole]: setter.migratorRoleName }),
      ...(props.revision === undefined ? {} : { [GUARD_ROLE_PROP.revision]: String(props.revision) }),
    };
    this.resource = new CustomResource(this, setter.migratorRoleName === undefined ? 'Resource' : 'AsMaster', {
      serviceToken: setter.serviceToken,
      resourceType: GUARD_ROLE_RESOURCE_TYPE,
      properties,
    });
    // The role's name and secret are fixed in the setter's configuration: an event naming another role or secret is refused.
    setter.serve(this.resource, properties);
    // Grants need the migrated tables.
    this.resource.node.addDependency(props.migrations.resource);
  }

  /**
   * The secret's resource policy: GetSecretValue denied to every principal
   * but the function that sets the role and `guardFunctionRole` (the guard's).
   */
  limitReaders(guardFunctionRole: iam.IRole): void {
    limitReaders(this.secret, [this.setterRole, guardFunctionRole]);
  }
}
