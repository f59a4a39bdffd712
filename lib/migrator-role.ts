/**
 * RoleProvisioner: the one function that may read the master user's secret,
 * and what it makes with it, for SchemaMigrations' `masterSecret`:
 *
 * - a generated secret for the migrator `{ username, password }`, attached to
 *   the instance or cluster (host, port and database added, as RDS's own);
 * - the function: the migration handler's code and network with the master
 *   secret as its database secret, behind a Provider of its own (onEvent only);
 * - the `Custom::SchemaguardMigratorRole` resource, which makes the migrator
 *   before the migrations (lambda/handler/migrator/); SchemaMigrations' resource
 *   depends on it, and its handler reads only the migrator's secret;
 * - the guard's role resource is served by this provider too (GuardRole), since
 *   making a role needs the master user.
 *
 * Each generated secret gets a resource policy that denies
 * secretsmanager:GetSecretValue to every principal but the functions that
 * read it (`limitReaders`).
 */
import { createHash } from 'node:crypto';
import { CustomResource, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import {
  EXTENSION_NAME_PATTERN,
  GUARD_ROLE_NAME_PATTERN,
  MIGRATOR_PRIVILEGES_VERSION,
  MIGRATOR_ROLE_PREFIX,
  MIGRATOR_ROLE_PROP,
  MIGRATOR_ROLE_RESOURCE_TYPE,
} from '../lambda/handler/constants';
import { DEFAULT_STATE_SCHEMA } from '../lambda/engine/state/state';
import { acknowledge, arnToken } from './nag';
import { ServedResources } from './served-resources';
import { DOCS_POINTERS } from '../lambda/engine/errors/docs-pointers';

export interface RoleProvisionerProps {
  /** The master user's secret: only this construct's function may read it. */
  readonly masterSecret: secretsmanager.ISecret;
  /** The instance or cluster the migrator's secret is attached to. */
  readonly database: unknown;
  readonly roleName: string;
  /** Schemas whose objects the master owns and the migrator takes over. */
  readonly schemas: readonly string[];
  /** Extensions the master creates before the migrations. */
  readonly extensions: readonly string[];
  /** Raised to set the role again from its secret (the resource's `Revision`). */
  readonly revision?: number;
  /** Makes the function, given its role, the secret it connects with and what it serves (SCHEMAGUARD_SERVES): the migration handler's code and network. */
  readonly makeFunction: (scope: Construct, role: iam.Role, databaseSecret: secretsmanager.ISecret, serves: string) => lambda.Function;
  /** The function runs in the VPC (not through the Data API). */
  readonly inVpc: boolean;
  /** The function role's statements besides the secrets: its logs, its network or the Data API. */
  readonly baseStatements: (role: iam.Role) => void;
  /** The secret statements for one secret (`secretStatements` of schema-migrations.ts). */
  readonly secretStatements: (secret: secretsmanager.ISecret, name: string) => iam.PolicyStatement[];
}

/**
 * `schemaguard_migrator_<database>` (`_<state schema>` added when it is not
 * the default, so two services on one database get two migrators), folded to
 * a plain identifier and cut with a hash as defaultGuardRoleName does.
 */
export function defaultMigratorRoleName(databaseName: string, stateSchema: string): string {
  if (Token.isUnresolved(databaseName)) {
    throw new Error(
      `SchemaMigrations: the database name is a value known only at deploy time (${databaseName}), and the migrator's role name is fixed at synth; pass "migratorRoleName"`,
    );
  }
  const source = stateSchema === DEFAULT_STATE_SCHEMA ? databaseName : `${databaseName}_${stateSchema}`;
  const folded = source.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const plain = `${MIGRATOR_ROLE_PREFIX}_${folded}`;
  if (folded === source && plain.length <= 63) return plain;
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 8);
  return `${plain.slice(0, 63 - hash.length - 1)}_${hash}`;
}

/** Refuses a role name, schema or extension the handler would refuse at deploy time. */
export function checkMigratorProps(roleName: string, schemas: readonly string[], extensions: readonly string[], revision?: number): void {
  if (!GUARD_ROLE_NAME_PATTERN.test(roleName)) {
    throw new Error(
      `SchemaMigrations: "migratorRoleName" ${JSON.stringify(roleName)} is not a lowercase PostgreSQL identifier; use 1 to 63 lowercase letters, digits or _, starting with a letter or _`,
    );
  }
  const schema = schemas.find((s) => typeof s !== 'string' || s.length === 0 || Buffer.byteLength(s, 'utf8') > 63 || s.includes('\u0000'));
  if (schema !== undefined) throw new Error(`SchemaMigrations: "migratorSchemas" holds ${JSON.stringify(schema)}, not a schema name (1 to 63 bytes, no NUL)`);
  const extension = extensions.find((e) => typeof e !== 'string' || !EXTENSION_NAME_PATTERN.test(e));
  if (extension !== undefined)
    throw new Error(
      `SchemaMigrations: "masterExtensions" holds ${JSON.stringify(extension)}, not an extension name (as pg_available_extensions lists it, e.g. pg_stat_statements)`,
    );
  if (revision !== undefined && (!Number.isInteger(revision) || revision < 0))
    throw new Error(
      `SchemaMigrations: "migratorRevision" is ${revision}; use a whole number from 0, and raise it to set the migrator's password again from its secret`,
    );
}

export class RoleProvisioner extends Construct {
  /** The migrator's generated secret: the migrations run with it. */
  readonly secret: secretsmanager.ISecret;
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly provider: Provider;
  /** The migrator-role resource; the migrations' resource depends on it. */
  readonly resource: CustomResource;
  readonly roleName: string;
  /** The resources the function serves, fixed in its configuration: the migrator's, and the guard's role. */
  private readonly served = new ServedResources();

  constructor(scope: Construct, id: string, props: RoleProvisionerProps) {
    super(scope, id);
    this.roleName = props.roleName;
    this.secret = attachedSecret(this, props.roleName, props.database);
    this.role = new iam.Role(this, 'FunctionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: "schemaguard role provisioner: the master secret, to make the migrator and the guard's roles",
    });
    props.baseStatements(this.role);
    for (const s of [...props.secretStatements(props.masterSecret, 'Master'), ...props.secretStatements(this.secret, 'Migrator')])
      this.role.addToPrincipalPolicy(s);
    this.function = props.makeFunction(this, this.role, props.masterSecret, this.served.value(this));
    this.provider = new Provider(this, 'Provider', { onEventHandler: this.function });
    const properties = {
      [MIGRATOR_ROLE_PROP.roleName]: props.roleName,
      [MIGRATOR_ROLE_PROP.secretArn]: this.secret.secretArn,
      [MIGRATOR_ROLE_PROP.schemas]: [...props.schemas],
      [MIGRATOR_ROLE_PROP.extensions]: [...props.extensions],
      [MIGRATOR_ROLE_PROP.privilegesVersion]: MIGRATOR_PRIVILEGES_VERSION,
      ...(props.revision === undefined ? {} : { [MIGRATOR_ROLE_PROP.revision]: String(props.revision) }),
    };
    this.resource = new CustomResource(this, 'Resource', { serviceToken: this.provider.serviceToken, resourceType: MIGRATOR_ROLE_RESOURCE_TYPE, properties });
    // The function runs as the master: it serves this resource, as synthesised, and the guard's role alone.
    this.served.add(this.resource, properties);
    acknowledgeProvisionerFindings(this, props.inVpc);
  }

  /** Fixes another resource the function serves (the guard's role) in its configuration, with its deciding properties. */
  serve(resource: CustomResource, properties: Record<string, unknown>): void {
    this.served.add(resource, properties);
  }
}

/** The migrator's secret, attached to the instance or cluster so that it holds host, port and database as RDS's does. */
function attachedSecret(scope: Construct, username: string, database: unknown): secretsmanager.ISecret {
  const secret = new rds.DatabaseSecret(scope, 'MigratorSecret', { username });
  const target = database as Partial<secretsmanager.ISecretAttachmentTarget>;
  if (typeof target.asSecretAttachmentTarget !== 'function') {
    throw new Error(
      'SchemaMigrations: "masterSecret" makes a migrator whose secret is attached to the database, and "database" is not an rds.DatabaseInstance or DatabaseCluster; ' +
        `pass one, or make the migrator yourself and pass its secret as "secret" (${DOCS_POINTERS.migrator})`,
    );
  }
  acknowledge(
    secret,
    'AwsSolutions-SMG4',
    "The migrator's password is not rotated by a function: it is generated, reaches PostgreSQL only as a SCRAM verifier, and may be read only by the migration handler and the role provisioner (the secret's resource policy); put a new value in the secret and deploy a change to the migrator resource to set it.",
  );
  return secret.attach(target as secretsmanager.ISecretAttachmentTarget);
}

/**
 * A resource policy on `secret` that denies GetSecretValue to every
 * principal whose ARN is not one of `readers` (the roles of the functions
 * that read it). An identity policy elsewhere in the account that allows
 * secretsmanager:GetSecretValue on "*" no longer reaches it.
 */
export function limitReaders(secret: secretsmanager.ISecret, readers: readonly iam.IRole[]): void {
  secret.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'OnlyItsFunctionsRead',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['secretsmanager:GetSecretValue'],
      resources: ['*'],
      conditions: { ArnNotEquals: { 'aws:PrincipalArn': readers.map((r) => r.roleArn) } },
    }),
  );
}

function acknowledgeProvisionerFindings(self: RoleProvisioner, inVpc: boolean): void {
  acknowledge(
    self.function,
    'AwsSolutions-L1',
    'Pinned to Node.js 22 on purpose: the role provisioner is the handler bundle, which targets node22 and is tested on it.',
  );
  acknowledge(
    self.provider,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    "The framework function of aws-cdk-lib's Provider uses the AWS managed basic execution role (log writing only).",
  );
  acknowledge(
    self.provider,
    `AwsSolutions-IAM5[Resource::${arnToken(self.function)}:*]`,
    'The Provider framework may invoke the role provisioner function and its versions (ARN:*); the wildcard is the version qualifier of this one function only.',
  );
  if (inVpc)
    acknowledge(
      self.role,
      'AwsSolutions-IAM5[Resource::*]',
      'Only the VPC network-interface actions (ec2:CreateNetworkInterface, DescribeNetworkInterfaces, DeleteNetworkInterface, Assign/UnassignPrivateIpAddresses) use "*": EC2 has no resource-level permissions for them. Logs and the secrets are scoped to their ARNs.',
    );
}
