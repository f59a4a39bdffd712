/**
 * The guard-role custom resource (`Custom::SchemaguardGuardRole`), served by
 * the migration handler: at deploy time, after the migrations, it reads the
 * guard's secret, connects as the master user (the migrations' own
 * connection: the secret in a VPC, the Data API on Aurora) and creates or
 * updates the read-only role (role-sql.ts). The password goes to the server
 * only as a SCRAM verifier (scram.ts); it and the verifier are registered
 * with the redactor before anything could log them, and neither is in the
 * resource's properties, its response or a message.
 *
 * Delete leaves the database alone, as the migrations' Delete does: the
 * role stays (with its privileges) until someone drops it; the scheduled guard's guide says
 * how. A deploy that never reaches the database cannot be blocked by it.
 */
import { InputError, MigrationError } from '../../engine/errors';
import type { Redactor } from '../../engine/redact';
import type { HandlerConfig } from '../config';
import type { Connector } from '../connection';
import { GUARD_ROLE_ATTR, GUARD_ROLE_NAME_PATTERN, GUARD_ROLE_PHYSICAL_ID_PREFIX, GUARD_ROLE_PROP } from '../constants';
import type { Logger } from '../log';
import type { OnEventRequest } from '../request';
import { readCredentials, type SecretsClient } from '../secret';
import { ensureGuardRole } from './role-sql';
import { scramSha256Verifier } from './scram';

export interface GuardRoleInvocation {
  event: OnEventRequest;
  log: Logger;
  redactor: Redactor;
  connector: Connector;
  /** The Secrets Manager client, created on first use. */
  secrets(): Promise<SecretsClient>;
  config(): HandlerConfig;
}

export interface GuardRoleResponse {
  PhysicalResourceId: string;
  Data?: Record<string, string>;
}

/** Create / Update: the role as the secret says; Delete: nothing. */
export async function guardRoleOnEvent(inv: GuardRoleInvocation): Promise<GuardRoleResponse> {
  const { event, log } = inv;
  if (event.RequestType === 'Delete') {
    log.info('delete: the guard role is left in the database; drop it with DROP OWNED BY <role>; DROP ROLE <role>', { physicalResourceId: event.PhysicalResourceId });
    return { PhysicalResourceId: event.PhysicalResourceId ?? `${GUARD_ROLE_PHYSICAL_ID_PREFIX}-deleted` };
  }
  const { roleName, secretArn } = roleProperties(event);
  const cfg = inv.config();
  logRename(event, roleName, log);
  const password = await guardPassword(inv, secretArn, roleName);
  const verifier = scramSha256Verifier(password);
  inv.redactor.add(verifier);
  const driver = await inv.connector.connect(cfg.database, log, inv.redactor);
  const session = await driver.connect();
  try {
    const outcome = await ensureGuardRole(session, { roleName, verifier, stateSchema: cfg.run.stateSchema });
    log.info(`guard role ${outcome}`, { roleName });
    return { PhysicalResourceId: `${GUARD_ROLE_PHYSICAL_ID_PREFIX}-${roleName}`, Data: { [GUARD_ROLE_ATTR.roleName]: roleName, [GUARD_ROLE_ATTR.outcome]: outcome } };
  } finally {
    await session.close();
    await driver.end();
  }
}

/**
 * An Update to another role name makes the new role (with its own secret) and
 * a new physical id, so CloudFormation's Delete of the old id follows, which
 * touches nothing: the old role is left as it was — another guard, of another
 * stack, may still run as it — and the log says how to drop it.
 */
function logRename(event: OnEventRequest, roleName: string, log: Logger): void {
  const old = event.RequestType === 'Update' ? event.OldResourceProperties?.[GUARD_ROLE_PROP.roleName] : undefined;
  if (typeof old !== 'string' || old === roleName) return;
  log.info(`guard role renamed from ${old} to ${roleName}: ${old} is left as it was (another guard may still run as it); once none does, drop it with DROP OWNED BY ${old}; DROP ROLE ${old}; in each database it was granted on`, { oldRoleName: old, roleName });
}

function roleProperties(event: OnEventRequest): { roleName: string; secretArn: string } {
  const props = event.ResourceProperties ?? {};
  const roleName = props[GUARD_ROLE_PROP.roleName];
  const secretArn = props[GUARD_ROLE_PROP.secretArn];
  if (typeof roleName !== 'string' || !GUARD_ROLE_NAME_PATTERN.test(roleName)) {
    throw new InputError(`${GUARD_ROLE_PROP.roleName} ${JSON.stringify(roleName)} is not a lowercase PostgreSQL role name`, { fix: 'deploy the resource through the SchemaGuard construct, which checks it' });
  }
  if (typeof secretArn !== 'string' || !secretArn.startsWith('arn:')) {
    throw new InputError(`${GUARD_ROLE_PROP.secretArn} ${JSON.stringify(secretArn)} is not a secret ARN`, { fix: 'deploy the resource through the SchemaGuard construct, which sets it' });
  }
  return { roleName, secretArn };
}

/** The password of the guard's secret, registered with the redactor first; the secret must name the role. */
async function guardPassword(inv: GuardRoleInvocation, secretArn: string, roleName: string): Promise<string> {
  const creds = await readCredentials(await inv.secrets(), secretArn);
  inv.redactor.add(creds.password);
  if (creds.username !== roleName) {
    throw new MigrationError(`the guard secret ${secretArn} is for user "${creds.username}", not the role ${roleName}`, {
      fix: 'give the secret the role name as its username (SchemaGuard generates it so), or set SchemaGuard "roleName" to that user',
    });
  }
  return creds.password;
}
