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
import { ENV } from '../lambda/handler/constants';

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
export type DatabaseAuth =
  | { kind: 'secret'; secret: secretsmanager.ISecret }
  | { kind: 'iam'; username: string };

/** The construct's `secret` or `iamAuthentication`, exactly one; a Data API cluster takes a secret only. */
export function resolveAuth(construct: string, props: { secret?: secretsmanager.ISecret; iamAuthentication?: IamAuthenticationProps; dataApiCluster?: unknown }): DatabaseAuth {
  const iamUser = props.iamAuthentication?.username;
  if (props.iamAuthentication !== undefined) {
    if (props.secret) throw new Error(`${construct}: pass "secret" or "iamAuthentication", not both: with IAM authentication no secret is read`);
    if (props.dataApiCluster) throw new Error(`${construct}: "iamAuthentication" with "dataApiCluster": the RDS Data API authenticates with a secret only; pass "secret" (or migrate over a connection with "database" and "vpc")`);
    if (typeof iamUser !== 'string' || !/^[^\0]{1,63}$/.test(iamUser)) {
      throw new Error(`${construct}: "iamAuthentication.username" is ${JSON.stringify(iamUser)}; pass the database user (1 to 63 characters) that was granted rds_iam`);
    }
    return { kind: 'iam', username: iamUser };
  }
  if (props.secret) return { kind: 'secret', secret: props.secret };
  throw new Error(`${construct}: "secret" is undefined; pass the secret with the database credentials (username, password, host, port), or iamAuthentication: { username } to connect with IAM database authentication. `
    + 'An rds.DatabaseInstance or DatabaseCluster has one (database.secret) only with credentials: rds.Credentials.fromGeneratedSecret(…) or fromSecret(…); '
    + 'with Credentials.fromPassword(…) database.secret is undefined: switch to fromGeneratedSecret(\'postgres\'), or store the credentials in a secretsmanager.Secret, attach it (secret.attach(database)) and pass that');
}

/**
 * `rds-db:connect` on the one user of the one instance, cluster or proxy, as
 * their own grantConnect writes it (the resource id, not the name). Note
 * that an rds.DatabaseInstance's grantConnect also turns its IAM
 * authentication on.
 */
export function grantIamConnect(construct: string, database: unknown, role: iam.IGrantable, username: string): void {
  // By shape, not class: an imported instance, cluster or proxy has grantConnect too, and the app's aws-cdk-lib may be another copy.
  const grantable = database as { grantConnect?: (grantee: iam.IGrantable, dbUser: string) => iam.Grant };
  if (typeof grantable.grantConnect === 'function') {
    grantable.grantConnect(role, username);
    return;
  }
  throw new Error(`${construct}: "iamAuthentication" needs the database as an rds.DatabaseInstance, DatabaseCluster or DatabaseProxy (imported ones too: an instance with instanceResourceId, a cluster with clusterResourceIdentifier), `
    + 'so that rds-db:connect can be granted on its resource id; another connectable has none: pass the rds construct, or use a secret');
}

/** The environment that says how to authenticate: the secret's ARN, or the IAM user. */
export function authEnvironment(auth: DatabaseAuth): Record<string, string> {
  return auth.kind === 'secret' ? { [ENV.secretArn]: auth.secret.secretArn } : { [ENV.iamUser]: auth.username };
}

/**
 * An RDS Proxy as the database: its endpoint (the secret's host is the
 * instance behind it, which the function's security group does not reach),
 * and the handler told it multiplexes sessions. RDS Proxy listens on the
 * engine's default port, 5432 for PostgreSQL.
 */
export function proxyEnvironment(database: unknown): Record<string, string> {
  const proxy = (database ?? {}) as Partial<rds.IDatabaseProxy>;
  if (typeof proxy.dbProxyArn !== 'string' || typeof proxy.endpoint !== 'string') return {};
  return { [ENV.host]: proxy.endpoint, [ENV.port]: '5432', [ENV.pooler]: 'true' };
}
