/**
 * The tenants of a fleet, read from the server: schema names from
 * pg_namespace, database names from pg_database, by a LIKE pattern (a
 * parameter) or by the user's own query; or from a registry the user keeps
 * (SSM Parameter Store, through the TenantRegistry port). A name is only
 * ever a value here; whoever runs SQL in a tenant has the server quote it
 * (`quote_ident`).
 */
import { InputError } from '../errors/errors';
import type { Queryable } from '../ports';
import { validateSchemaName } from '../state/identifiers';
import type { Fleet } from './fleet-spec';

/** Names kept outside the database: the values under a path (lambda/driver/ssm implements it). */
export interface TenantRegistry {
  /** Every value under `path`, at any depth; throws an InputError naming the path when one cannot be a name. */
  namesUnder(path: string): Promise<string[]>;
}

export interface Tenant {
  /** The schema's or the database's name, as the server has it. */
  name: string;
}

/** The server's own schemas, never a tenant whatever the pattern. */
const SYSTEM_SCHEMAS = "n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'";

const BY_PATTERN = {
  schemas: `SELECT n.nspname AS name FROM pg_catalog.pg_namespace n WHERE n.nspname LIKE $1 AND ${SYSTEM_SCHEMAS} ORDER BY n.nspname COLLATE "C"`,
  databases: `SELECT d.datname AS name FROM pg_catalog.pg_database d WHERE d.datname LIKE $1 AND d.datallowconn AND NOT d.datistemplate ORDER BY d.datname COLLATE "C"`,
} as const;

/**
 * The fleet's tenants in name order (byte order, whatever the collation),
 * the canary first. `where`: how the caller names the spec in messages (the
 * project file's key, a flag).
 */
export async function readTenants(q: Queryable, fleet: Fleet, where = 'fleet', registry?: TenantRegistry): Promise<Tenant[]> {
  const names = await namesOf(q, fleet, where, registry);
  const tenants = [...new Set(names)].sort(byteOrder).map((name) => ({ name }));
  if (!fleet.databases) for (const t of tenants) validateSchemaName(t.name, `${where}: tenant schema`);
  return canaryFirst(tenants, fleet.canary, where);
}

async function namesOf(q: Queryable, fleet: Fleet, where: string, registry: TenantRegistry | undefined): Promise<string[]> {
  if (fleet.source === 'schemas' || fleet.source === 'databases')
    return (await q.query<{ name: string }>(BY_PATTERN[fleet.source], [fleet.value])).rows.map((r) => r.name);
  if (fleet.source !== 'parameterPath') return namesOfQuery(q, fleet.value, `${where}.${fleet.source}`);
  if (!registry)
    throw new InputError(`${where}.parameterPath: the tenants are named in SSM Parameter Store, which this run cannot read`, {
      value: fleet.value,
      fix: 'run it where the AWS SDK can reach SSM (the CLI, or the function SchemaMigrations deploys)',
    });
  return registry.namesUnder(fleet.value);
}

/** The user's query, its first column's values as names; a query that returns no column, or a NULL, is refused. */
async function namesOfQuery(q: Queryable, sql: string, where: string): Promise<string[]> {
  const r = await q.query<Record<string, unknown>>(sql);
  return r.rows.map((row) => {
    const value = Object.values(row)[0];
    if (typeof value !== 'string' || value === '')
      throw new InputError(`${where}: the query returned ${JSON.stringify(value ?? null)} where a tenant's name belongs`, {
        value: String(value),
        fix: 'make the first column of the query the names, as text, none NULL or empty (e.g. SELECT schema_name FROM tenants WHERE active)',
      });
    return value;
  });
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** `canary` moved to the front; refused when it is not one of the tenants (a typo would silently run without one). */
function canaryFirst(tenants: Tenant[], canary: string | undefined, where: string): Tenant[] {
  if (canary === undefined) return tenants;
  const at = tenants.findIndex((t) => t.name === canary);
  if (at < 0)
    throw new InputError(`${where}.canary: ${JSON.stringify(canary)} is not one of the fleet's ${tenants.length} tenants`, {
      value: canary,
      fix: `name a tenant the fleet has${tenants.length ? ` (e.g. ${JSON.stringify(tenants[0].name)})` : ''}, or leave "canary" out: the first tenant by name goes first`,
    });
  return [tenants[at], ...tenants.slice(0, at), ...tenants.slice(at + 1)];
}
