/**
 * The guard-role custom resource (`Custom::SchemaguardGuardRole`): at deploy
 * time, after the migrations, it reads the guard's secret, connects with the
 * function's database secret (the master user's: the role provisioner's when
 * the deploy made a migrator, else the migrations' own; the secret in a VPC,
 * the Data API on Aurora) and creates or updates the read-only role, its
 * contract planner and the writing contracts the planner may plan
 * (role-sql.ts). The password goes to the server
 * only as a SCRAM verifier (scram.ts); it and the verifier are registered
 * with the redactor before anything could log them, and neither is in the
 * resource's properties, its response or a message.
 *
 * Delete leaves the database alone, as the migrations' Delete does: the
 * role stays (with its privileges) until someone drops it; the scheduled guard's guide says
 * how. A deploy that never reaches the database cannot be blocked by it.
 */
import { existsSync } from 'node:fs';
import { writesData } from '../../checks/contracts/contract-planner';
import { loadContracts } from '../../checks/contracts';
import { InputError } from '../../engine/errors/errors';
import { GUARD_ROLE_ATTR, GUARD_ROLE_NAME_PATTERN, GUARD_ROLE_PHYSICAL_ID_PREFIX, GUARD_ROLE_PROP } from '../constants';
import type { Logger } from '../log';
import type { OnEventRequest } from '../request';
import { roleVerifier, type RoleInvocation, type RoleResponse } from '../role-resource';
import type { StoredContract } from './planner-sql';
import { ensureGuardRole } from './role-sql';
import { readTenants } from '../../engine/fleet/tenants';
import { tenantRegistry } from '../fleet/registry';

/** Create / Update: the role as the secret says; Delete: nothing. */
export async function guardRoleOnEvent(inv: RoleInvocation): Promise<RoleResponse> {
  const { event, log } = inv;
  if (event.RequestType === 'Delete') {
    log.info('delete: the guard role is left in the database; drop it with DROP OWNED BY <role>; DROP ROLE <role>', {
      physicalResourceId: event.PhysicalResourceId,
    });
    return { PhysicalResourceId: event.PhysicalResourceId ?? `${GUARD_ROLE_PHYSICAL_ID_PREFIX}-deleted` };
  }
  const { roleName, secretArn, migrator } = roleProperties(event);
  const cfg = inv.config();
  logRename(event, roleName, log);
  const verifier = await roleVerifier(await inv.secrets(), inv.redactor, { secretArn, roleName, what: 'guard', prop: 'SchemaGuard "roleName"' });
  const driver = await inv.connector.connect(cfg.database, log, inv.redactor);
  const session = await driver.connect();
  try {
    const contracts = await writingContracts(cfg.contractsDir);
    // A schema fleet's tenants are read too; a database fleet's are other databases, which this resource does not reach.
    const tenantSchemas =
      cfg.fleet && !cfg.fleet.databases ? (await readTenants(session, cfg.fleet, 'SchemaMigrations fleet', tenantRegistry(cfg.fleet))).map((t) => t.name) : [];
    const result = await ensureGuardRole(session, { roleName, verifier, stateSchema: cfg.run.stateSchema, migrator, contracts, tenantSchemas });
    log.info(`guard role ${result.outcome}`, { roleName, planner: result.planner, schemas: result.schemas, plannedContracts: contracts.map((c) => c.name) });
    if (result.definers.length) {
      log.warn(
        `the guard role may execute ${result.definers.length} SECURITY DEFINER function(s), which run as their owner: revoke EXECUTE from PUBLIC on any that writes, and grant it to the roles that call it`,
        { functions: result.definers.slice(0, 20) },
      );
    }
    return {
      PhysicalResourceId: `${GUARD_ROLE_PHYSICAL_ID_PREFIX}-${roleName}`,
      Data: { [GUARD_ROLE_ATTR.roleName]: roleName, [GUARD_ROLE_ATTR.outcome]: result.outcome },
    };
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
  log.info(
    `guard role renamed from ${old} to ${roleName}: ${old} is left as it was (another guard may still run as it); once none does, drop it with DROP OWNED BY ${old}; DROP ROLE ${old}; in each database it was granted on`,
    { oldRoleName: old, roleName },
  );
}

/** The contracts shipped with the function that write: the planner plans those for the guard. */
async function writingContracts(contractsDir: string): Promise<StoredContract[]> {
  if (!existsSync(contractsDir)) return [];
  return (await loadContracts(contractsDir)).filter((c) => writesData(c.tree)).map((c) => ({ name: c.name, statement: c.statement }));
}

function roleProperties(event: OnEventRequest): { roleName: string; secretArn: string; migrator?: string } {
  const props = event.ResourceProperties ?? {};
  const roleName = props[GUARD_ROLE_PROP.roleName];
  const secretArn = props[GUARD_ROLE_PROP.secretArn];
  const migrator = props[GUARD_ROLE_PROP.migratorRole];
  if (migrator !== undefined && (typeof migrator !== 'string' || !GUARD_ROLE_NAME_PATTERN.test(migrator))) {
    throw new InputError(`${GUARD_ROLE_PROP.migratorRole} ${JSON.stringify(migrator)} is not a lowercase PostgreSQL role name`, {
      fix: 'deploy the resource through the SchemaGuard construct, which sets it',
    });
  }
  if (typeof roleName !== 'string' || !GUARD_ROLE_NAME_PATTERN.test(roleName)) {
    throw new InputError(`${GUARD_ROLE_PROP.roleName} ${JSON.stringify(roleName)} is not a lowercase PostgreSQL role name`, {
      fix: 'deploy the resource through the SchemaGuard construct, which checks it',
    });
  }
  if (typeof secretArn !== 'string' || !secretArn.startsWith('arn:')) {
    throw new InputError(`${GUARD_ROLE_PROP.secretArn} ${JSON.stringify(secretArn)} is not a secret ARN`, {
      fix: 'deploy the resource through the SchemaGuard construct, which sets it',
    });
  }
  return { roleName, secretArn, ...(migrator === undefined ? {} : { migrator }) };
}
