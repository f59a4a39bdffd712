/**
 * How the constructs' functions prove who they are to the database: the
 * secret's password (read from Secrets Manager at run time), or IAM database
 * authentication (a token signed per connection from the function's role,
 * no secret at all); and what an RDS Proxy passed as the database changes
 * (the proxy's endpoint, declared a pooler to the handler).
 *
 * IAM: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.html
 * and the policy's resource, arn:aws:rds-db:<region>:<account>:dbuser:<resource id>/<user>:
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.IAMPolicy.html
 */
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { IConstruct } from 'constructs';
import { DOCS_POINTERS } from '../lambda/engine/errors/docs-pointers';
import type { ContractInput } from '../lambda/handler/contract';

/** IAM database authentication, in place of a secret. */
export interface IamAuthenticationProps {
  /**
   * The database user to connect as: a role with LOGIN granted `rds_iam`
   * (`GRANT rds_iam TO <user>`), whose password is then no longer accepted.
   * The function's role gets `rds-db:connect` on this user of this instance,
   * cluster or proxy only.
   */
  readonly username: string;
}

/** What authenticates: one of the two, checked at synth. */
export type DatabaseAuth = { kind: 'secret'; secret: secretsmanager.ISecret } | { kind: 'iam'; username: string };

/** The props that say how a construct's functions authenticate. */
export interface AuthProps {
  /** The secret the functions read (SchemaMigrations' `secret`, SchemaGuard's `roleSecret` or the role it makes). */
  readonly secret?: secretsmanager.ISecret;
  /** The name of `secret` in the construct's props, for the messages. @default 'secret' */
  readonly secretProp?: string;
  /** SchemaMigrations' `masterSecret`: the migrator is made from it, so it excludes `secret`. */
  readonly masterSecret?: secretsmanager.ISecret;
  readonly iamAuthentication?: IamAuthenticationProps;
  /** Whether the functions go through the RDS Data API, which authenticates with a secret only. */
  readonly dataApi: boolean;
}

/**
 * The one check of how a construct authenticates: exactly one of its secrets
 * or `iamAuthentication`, and no IAM through the Data API. A construct that
 * takes a master secret (SchemaMigrations) passes the `masterSecret` key even
 * when it is undefined, and its messages name it.
 */
export function resolveAuth(construct: string, props: AuthProps): DatabaseAuth {
  const secretProp = props.secretProp ?? 'secret';
  if (props.secret && props.masterSecret) {
    throw new Error(
      `${construct}: "${secretProp}" and "masterSecret" were both given; pass "masterSecret" (the master user's: the deploy makes the migrator the migrations run as), ` +
        `or "${secretProp}" alone (the migrations run as its user: a migrator you made: ${DOCS_POINTERS.migrator})`,
    );
  }
  const secret = props.secret ?? props.masterSecret;
  if (props.iamAuthentication !== undefined) return iamAuth(construct, props, secret ? (props.masterSecret ? 'masterSecret' : secretProp) : undefined);
  if (secret) return { kind: 'secret', secret };
  const offers =
    'masterSecret' in props
      ? `"${secretProp}" and "masterSecret" are undefined; pass the master user's secret as "masterSecret" (or a migrator's as "${secretProp}")`
      : `"${secretProp}" is undefined; pass the secret`;
  throw new Error(
    `${construct}: ${offers} with the database credentials (username, password, host, port), or iamAuthentication: { username } to connect with IAM database authentication. ` +
      'An rds.DatabaseInstance or DatabaseCluster has one (database.secret) only with credentials: rds.Credentials.fromGeneratedSecret(…) or fromSecret(…); ' +
      "with Credentials.fromPassword(…) database.secret is undefined: switch to fromGeneratedSecret('postgres'), or store the credentials in a secretsmanager.Secret, attach it (secret.attach(database)) and pass that",
  );
}

/** `iamAuthentication` alone (`givenSecret` names a secret prop that was given too), not through the Data API, with a usable user name. */
function iamAuth(construct: string, props: AuthProps, givenSecret: string | undefined): DatabaseAuth {
  if (givenSecret) throw new Error(`${construct}: pass "${givenSecret}" or "iamAuthentication", not both: with IAM authentication no secret is read`);
  if (props.dataApi)
    throw new Error(
      `${construct}: "iamAuthentication" with "dataApiCluster": the RDS Data API authenticates with a secret only; pass "${props.secretProp ?? 'secret'}" (or migrate over a connection with "database" and "vpc")`,
    );
  const iamUser = props.iamAuthentication?.username;
  if (typeof iamUser !== 'string' || !/^[^\0]{1,63}$/.test(iamUser)) {
    throw new Error(
      `${construct}: "iamAuthentication.username" is ${JSON.stringify(iamUser)}; pass the database user (1 to 63 characters) that was granted rds_iam`,
    );
  }
  // The name ends the rds-db:connect resource (dbuser:<id>/<user>), where IAM takes * and ? as wildcards: '*' would grant every user, the master too
  // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html, "Using wildcards in resource ARNs").
  if (/[*?]/.test(iamUser)) {
    throw new Error(
      `${construct}: "iamAuthentication.username" is ${JSON.stringify(iamUser)}, and * and ? are wildcards in the rds-db:connect grant (dbuser:<resource id>/${iamUser}): it would let the function connect as every matching user, the master user too; pass the one database user that was granted rds_iam`,
    );
  }
  return { kind: 'iam', username: iamUser };
}

/**
 * `rds-db:connect` on the one user of the one instance, cluster or proxy, as
 * their own grantConnect writes it (the resource id, not the name).
 * An rds.DatabaseInstance's grantConnect also turns its IAM authentication on
 * when the instance left it unset, which would change the user's instance
 * behind their back (EnableIAMDatabaseAuthentication in its template): such an
 * instance is refused with the setting to make instead, so grantConnect only
 * ever grants. A cluster's and a proxy's grantConnect change nothing, and
 * grant in vain when their IAM authentication is off: refused too.
 */
export function grantIamConnect(construct: string, database: unknown, role: iam.IGrantable, username: string): void {
  // By shape, not class: an imported instance, cluster or proxy has grantConnect too, and the app's aws-cdk-lib may be another copy.
  const grantable = database as { grantConnect?: (grantee: iam.IGrantable, dbUser: string) => iam.Grant };
  if (typeof grantable.grantConnect !== 'function') {
    throw new Error(
      `${construct}: "iamAuthentication" needs the database as an rds.DatabaseInstance, DatabaseCluster or DatabaseProxy (imported ones too: an instance with instanceResourceId, a cluster with clusterResourceIdentifier), ` +
        'so that rds-db:connect can be granted on its resource id; another connectable has none: pass the rds construct, or use a secret',
    );
  }
  refuseIamAuthenticationOff(construct, database);
  grantable.grantConnect(role, username);
}

/**
 * A database construct of this app whose IAM database authentication is not
 * on: an rds.DatabaseInstance (its field `enableIamAuthentication`; an
 * imported one has it true), a DatabaseCluster (its AWS::RDS::DBCluster's
 * EnableIAMDatabaseAuthentication) or a DatabaseProxy (its AWS::RDS::DBProxy's
 * Auth IAMAuth, REQUIRED for IAM). Imported clusters and proxies are not
 * known here and pass: the database refuses the token at run time.
 */
function refuseIamAuthenticationOff(construct: string, database: unknown): void {
  const off = iamAuthenticationOff(database);
  if (!off) return;
  const path = (database as Partial<IConstruct>).node?.path ?? 'the database';
  throw new Error(
    `${construct}: "iamAuthentication" connects with IAM database authentication, and the ${off.what} ${path} has it ${off.setting}; ` +
      `set ${off.fix} on the ${off.type} (${construct} does not change your ${off.what}), or use a secret`,
  );
}

interface IamOff {
  what: string;
  type: string;
  setting: string;
  fix: string;
}

function iamAuthenticationOff(database: unknown): IamOff | undefined {
  if (typeof database !== 'object' || database === null) return undefined;
  const unset = (v: unknown) => (v === false ? 'off (iamAuthentication: false)' : 'unset (off)');
  if ('enableIamAuthentication' in database) {
    const setting = (database as { enableIamAuthentication?: boolean }).enableIamAuthentication;
    return setting === true ? undefined : { what: 'instance', type: 'rds.DatabaseInstance', setting: unset(setting), fix: 'iamAuthentication: true' };
  }
  const resource = (database as Partial<IConstruct>).node?.defaultChild as
    | { cfnResourceType?: string; enableIamDatabaseAuthentication?: unknown; auth?: unknown }
    | undefined;
  if (resource?.cfnResourceType === 'AWS::RDS::DBCluster') {
    const setting = resource.enableIamDatabaseAuthentication;
    return setting === false || setting === undefined
      ? { what: 'cluster', type: 'rds.DatabaseCluster', setting: unset(setting), fix: 'iamAuthentication: true' }
      : undefined;
  }
  if (resource?.cfnResourceType === 'AWS::RDS::DBProxy' && Array.isArray(resource.auth)) {
    const modes = resource.auth.map((a: { iamAuth?: unknown }) => a.iamAuth);
    return modes.every((m) => m === 'DISABLED' || m === undefined)
      ? { what: 'proxy', type: 'rds.DatabaseProxy', setting: 'off (iamAuth: false)', fix: 'iamAuth: true' }
      : undefined;
  }
  return undefined;
}

/** The configuration that says how to authenticate: the secret's ARN, or the IAM user. */
export function authEnvironment(auth: DatabaseAuth): ContractInput {
  return auth.kind === 'secret' ? { secretArn: auth.secret.secretArn } : { iamUser: auth.username };
}

/**
 * An RDS Proxy as the database: its endpoint (the secret's host is the
 * instance behind it, which the function's security group does not reach),
 * and the handler told it multiplexes sessions. RDS Proxy listens on the
 * engine's default port, 5432 for PostgreSQL.
 */
export function proxyEnvironment(database: unknown): ContractInput | undefined {
  const proxy = (database ?? {}) as Partial<rds.IDatabaseProxy>;
  if (typeof proxy.dbProxyArn !== 'string' || typeof proxy.endpoint !== 'string') return undefined;
  return { host: proxy.endpoint, port: 5432, pooler: true };
}
