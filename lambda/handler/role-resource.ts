/**
 * What the resources that make roles (the guard's, the migrator's) share:
 * the invocation they get and the answer they give, and the role's password,
 * read from its generated secret: registered with the redactor before
 * anything could log it, and turned into the SCRAM verifier the server
 * stores, which is registered too. The secret must name the role.
 */
import { MigrationError } from '../engine/errors/errors';
import type { Redactor } from '../engine/errors/redact';
import type { HandlerConfig } from './config';
import type { Connector } from './connection';
import { scramSha256Verifier } from './guard/scram';
import type { Logger } from './log';
import type { OnEventRequest } from './request';
import { readCredentials, type SecretsClient } from './secret';

export interface RoleInvocation {
  event: OnEventRequest;
  log: Logger;
  redactor: Redactor;
  connector: Connector;
  /** The Secrets Manager client, created on first use. */
  secrets(): Promise<SecretsClient>;
  config(): HandlerConfig;
}

export interface RoleResponse {
  PhysicalResourceId: string;
  Data?: Record<string, string>;
}

export interface RoleSecret {
  secretArn: string;
  roleName: string;
  /** Named in the message: `guard`, `migrator`. */
  what: string;
  /** The construct prop that names the role, for the fix. */
  prop: string;
}

/** The role's SCRAM verifier, from its secret's password. */
export async function roleVerifier(secrets: SecretsClient, redactor: Redactor, s: RoleSecret): Promise<string> {
  const creds = await readCredentials(secrets, s.secretArn);
  redactor.add(creds.password);
  if (creds.username !== s.roleName) {
    throw new MigrationError(`the ${s.what} secret ${s.secretArn} is for user "${creds.username}", not the role ${s.roleName}`, {
      fix: `give the secret the role name as its username (the construct generates it so), or set ${s.prop} to that user`,
    });
  }
  const verifier = scramSha256Verifier(creds.password);
  redactor.add(verifier);
  return verifier;
}
