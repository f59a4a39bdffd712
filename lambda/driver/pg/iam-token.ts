/**
 * IAM database authentication: instead of a password, each connection sends
 * an authentication token that `@aws-sdk/rds-signer` signs (SigV4, service
 * `rds-db`) from AWS credentials, for this host, port, user and region. A
 * token is valid for 15 minutes, and only for opening a connection
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.html),
 * so one is signed for every connection: a run longer than that signs again
 * for the connections it opens later. The database user must have been
 * granted `rds_iam`, and the caller's policy must allow `rds-db:connect` on
 * `arn:aws:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<user>`
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.IAMPolicy.html).
 * RDS accepts a token over TLS only.
 */
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { InputError } from '../../engine/errors/errors';
import { importModule } from '../../engine/runtime/import-module';

export interface IamAuthOptions {
  hostname: string;
  port: number;
  username: string;
  /** @default - from the RDS endpoint's name (`….<region>.rds.amazonaws.com`), else AWS_REGION / the profile's */
  region?: string;
  /** @default - the SDK's default provider chain (environment, profile, SSO, container, instance role) */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Told each token signed (to mask it in messages). */
  onToken?: (token: string) => void;
}

/** The region of an RDS or Aurora endpoint (`db.abc123.eu-west-1.rds.amazonaws.com`, a proxy's too), if its name says it. */
export function regionOfEndpoint(hostname: string): string | undefined {
  return /\.([a-z]{2}(?:-[a-z]+)+-\d+)\.rds\.amazonaws\.com(?:\.cn)?$/i.exec(hostname)?.[1]?.toLowerCase();
}

/** A password function for node-postgres: a fresh token for each connection it opens. */
export function iamPassword(options: IamAuthOptions): () => Promise<string> {
  const region = options.region ?? regionOfEndpoint(options.hostname) ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) {
    throw new InputError(`IAM authentication: no AWS region for ${options.hostname}`, {
      value: options.hostname,
      fix: 'set AWS_REGION (or AWS_DEFAULT_REGION), or connect to the RDS endpoint by its name (…<region>.rds.amazonaws.com), which says the region',
    });
  }
  // Loaded when the first connection signs: a run without --iam never loads the SDK.
  let signer: Promise<{ getAuthToken(): Promise<string> }> | undefined;
  return async () => {
    signer ??= importModule('@aws-sdk/rds-signer', () => import('@aws-sdk/rds-signer')).then(
      ({ Signer }) =>
        new Signer({
          hostname: options.hostname,
          port: options.port,
          username: options.username,
          region,
          ...(options.credentials ? { credentials: options.credentials } : {}),
        }),
    );
    const token = await (await signer).getAuthToken();
    options.onToken?.(token);
    return token;
  };
}

/** What a refused token's fix says: the grant, the policy, and the token's own limits. */
export function iamRefusalFix(username: string, hostname: string): string {
  return (
    `the database user ${username} must be granted rds_iam (as the master user: GRANT rds_iam TO ${quoteUser(username)};), ` +
    `and the AWS identity the token was signed with needs rds-db:connect on arn:aws:rds-db:<region>:<account>:dbuser:<DbiResourceId>/${username} ` +
    `(the instance's or cluster's resource id, not its name); the token is for ${hostname} and that port only, valid 15 minutes, and only over TLS`
  );
}

function quoteUser(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}
