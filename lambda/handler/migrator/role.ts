/**
 * The migrator-role custom resource (`Custom::SchemaguardMigratorRole`),
 * served by the role provisioner (the function whose database secret is the
 * master user's): before the migrations, it reads the migrator's generated
 * secret and creates or updates the role (role-sql.ts). The password reaches
 * the server only as a SCRAM verifier; neither is in a property, a response
 * or a message.
 *
 * Delete leaves the database alone, as the other resources do: the role, and
 * what it owns, stay (docs/guide/roles.md says how to drop it).
 */
import { InputError } from '../../engine/errors/errors';
import { EXTENSION_NAME_PATTERN, GUARD_ROLE_NAME_PATTERN, MIGRATOR_ROLE_PHYSICAL_ID_PREFIX, MIGRATOR_ROLE_PROP } from '../constants';
import type { OnEventRequest } from '../request';
import { roleVerifier, type RoleInvocation, type RoleResponse } from '../role-resource';
import { ensureMigratorRole } from './role-sql';

export const MIGRATOR_ROLE_ATTR = { roleName: 'RoleName', outcome: 'Outcome' } as const;

/** Create / Update: the role as its secret says, with what it takes over; Delete: nothing. */
export async function migratorRoleOnEvent(inv: RoleInvocation): Promise<RoleResponse> {
  const { event, log } = inv;
  if (event.RequestType === 'Delete') {
    log.info('delete: the migrator role is left in the database, owning what the migrations made', { physicalResourceId: event.PhysicalResourceId });
    return { PhysicalResourceId: event.PhysicalResourceId ?? `${MIGRATOR_ROLE_PHYSICAL_ID_PREFIX}-deleted` };
  }
  const p = migratorProperties(event);
  const cfg = inv.config();
  const verifier = await roleVerifier(await inv.secrets(), inv.redactor, {
    secretArn: p.secretArn,
    roleName: p.roleName,
    what: 'migrator',
    prop: 'SchemaMigrations "migratorRoleName"',
  });
  const driver = await inv.connector.connect(cfg.database, log, inv.redactor);
  const session = await driver.connect();
  try {
    const result = await ensureMigratorRole(session, {
      roleName: p.roleName,
      verifier,
      schemas: p.schemas,
      extensions: p.extensions,
      stateSchema: cfg.run.stateSchema,
    });
    log.info(`migrator role ${result.outcome}`, { roleName: p.roleName, adopted: result.adopted, extensions: p.extensions });
    return {
      PhysicalResourceId: `${MIGRATOR_ROLE_PHYSICAL_ID_PREFIX}-${p.roleName}`,
      Data: { [MIGRATOR_ROLE_ATTR.roleName]: p.roleName, [MIGRATOR_ROLE_ATTR.outcome]: result.outcome },
    };
  } finally {
    await session.close();
    await driver.end();
  }
}

interface MigratorProperties {
  roleName: string;
  secretArn: string;
  schemas: string[];
  extensions: string[];
}

function migratorProperties(event: OnEventRequest): MigratorProperties {
  const props = event.ResourceProperties ?? {};
  const roleName = props[MIGRATOR_ROLE_PROP.roleName];
  const secretArn = props[MIGRATOR_ROLE_PROP.secretArn];
  const fix = 'deploy the resource through the SchemaMigrations construct ("masterSecret"), which sets it';
  if (typeof roleName !== 'string' || !GUARD_ROLE_NAME_PATTERN.test(roleName)) {
    throw new InputError(`${MIGRATOR_ROLE_PROP.roleName} ${JSON.stringify(roleName)} is not a lowercase PostgreSQL role name`, { fix });
  }
  if (typeof secretArn !== 'string' || !secretArn.startsWith('arn:')) {
    throw new InputError(`${MIGRATOR_ROLE_PROP.secretArn} ${JSON.stringify(secretArn)} is not a secret ARN`, { fix });
  }
  return {
    roleName,
    secretArn,
    schemas: names(props, MIGRATOR_ROLE_PROP.schemas, /^[^\0]{1,63}$/, fix),
    extensions: names(props, MIGRATOR_ROLE_PROP.extensions, EXTENSION_NAME_PATTERN, fix),
  };
}

/** A list property of names, each matching `pattern`; absent is empty. */
function names(props: Record<string, unknown>, key: string, pattern: RegExp, fix: string): string[] {
  const v = props[key];
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && pattern.test(x))) {
    throw new InputError(`${key} ${JSON.stringify(v)} is not a list of names`, { fix });
  }
  return v as string[];
}
