/**
 * The database credentials, read at run time from Secrets Manager (never from
 * the template or the environment). The secret is the JSON that RDS and the
 * CDK write: `username`, `password`, `host`, `port`, and maybe `dbname`.
 */
import type { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { InputError, MigrationError } from '../engine/errors/errors';
import { orList } from '../engine/errors/words';

/** The one call the handler makes; the real SecretsManagerClient satisfies it. */
export interface SecretsClient {
  send(command: GetSecretValueCommand): Promise<{ SecretString?: string }>;
}

export interface DatabaseCredentials {
  username: string;
  password: string;
  host?: string;
  port?: number;
  dbname?: string;
}

/**
 * How long one call to Secrets Manager may take: without these the SDK waits
 * for ever on an endpoint it cannot reach (isolated subnets without an
 * interface endpoint, or an endpoint whose security group drops the handler),
 * and the deploy fails only at the Lambda timeout with no word of why. With
 * the SDK's 3 attempts and their backoff, a call fails in under 30 s.
 */
export const SECRETS_MANAGER_TIMEOUTS = { connectionTimeoutMs: 3_000, requestTimeoutMs: 5_000 } as const;

/**
 * The real client. The SDK is loaded on first use, not at import: cold start pays only for what runs.
 * `endpoint` is for tests (a local server); the function uses the region's.
 */
export async function secretsManagerClient(
  options: { endpoint?: string; region?: string; credentials?: { accessKeyId: string; secretAccessKey: string } } = {},
): Promise<SecretsClient> {
  const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
  return new SecretsManagerClient({
    ...options,
    requestHandler: {
      connectionTimeout: SECRETS_MANAGER_TIMEOUTS.connectionTimeoutMs,
      requestTimeout: SECRETS_MANAGER_TIMEOUTS.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  });
}

export async function readCredentials(client: SecretsClient, secretId: string): Promise<DatabaseCredentials> {
  let out: { SecretString?: string };
  try {
    // Loaded on first use: a Delete, or a warm container, never pays for the SDK at import time.
    const { GetSecretValueCommand: Command } = await import('@aws-sdk/client-secrets-manager');
    out = await client.send(new Command({ SecretId: secretId }));
  } catch (cause) {
    const name = (cause as { name?: string })?.name ?? 'Error';
    // A timeout says how long it waited (no secret in it: nothing was answered).
    const detail = name === 'TimeoutError' ? ` (${(cause as Error).message})` : '';
    throw new MigrationError(`cannot read the database secret ${secretId}: ${name}${detail}`, {
      cause,
      fix: 'check that the secret exists, that the function role may call secretsmanager:GetSecretValue on it, and that the VPC endpoint for Secrets Manager is reachable',
    });
  }
  // The secret text is never put in a message: only its shape is described.
  if (typeof out.SecretString !== 'string') {
    throw new InputError(`the database secret ${secretId} has no SecretString`, {
      fix: 'store the credentials as a JSON SecretString (the RDS-generated secret does)',
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(out.SecretString);
  } catch {
    throw new InputError(`the database secret ${secretId} is not JSON`, {
      fix: 'store {"username": …, "password": …, "host": …, "port": …} as the SecretString',
    });
  }
  const o = (parsed ?? {}) as Record<string, unknown>;
  const missing = ['username', 'password'].filter((k) => typeof o[k] !== 'string' || !(o[k] as string));
  if (missing.length) {
    throw new InputError(`the database secret ${secretId} has no ${orList(missing)}`, {
      fix: 'store {"username": …, "password": …, "host": …, "port": …} as the SecretString',
    });
  }
  return {
    username: o.username as string,
    password: o.password as string,
    host: typeof o.host === 'string' && o.host ? o.host : undefined,
    port: secretPort(o.port, secretId),
    dbname: typeof o.dbname === 'string' && o.dbname ? o.dbname : undefined,
  };
}

/**
 * The secret's `port`: a number, or a string of digits (as some tools write
 * it), 1..65535; absent (or null, or empty) means the default. Anything else
 * is refused: connecting to 5432 instead would hide the mistake. Its value is
 * not quoted: only the field is named.
 */
function secretPort(raw: unknown, secretId: string): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const port = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (Number.isInteger(port) && port >= 1 && port <= 65535) return port;
  throw new InputError(
    `the database secret ${secretId} has a "port" that is not a port number (an integer from 1 to 65535, as a number or a string of digits)`,
    {
      fix: 'set "port" in the secret\'s JSON value to the database\'s port (RDS PostgreSQL: 5432 unless changed), or remove it for 5432',
    },
  );
}
