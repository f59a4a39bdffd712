/**
 * The parts of a catalog that snapshots record since `Catalog.detail` 1:
 * each table's triggers (`pg_get_triggerdef`, and whether it fires), each
 * foreign key's enforcement triggers that do not fire, each
 * view's and materialized view's definition (`pg_get_viewdef`), each
 * table's row-level security (off, on, forced), the enum
 * types with their values in order, the domains with their base type,
 * NOT NULL, default and CHECKs, and the server's major version. A
 * snapshot taken before has none of them, and they are compared only when
 * both catalogs have them; a view's definition only between servers of one
 * major version (PostgreSQL 16 and later print a one-table view's columns
 * unqualified, 15 qualifies them).
 */
import type { Queryable } from '../engine/ports';
import { catalogRows } from './catalog-pages';

export interface TriggerInfo {
  name: string;
  /** `pg_get_triggerdef()`: the CREATE TRIGGER statement. */
  definition: string;
  /** `pg_trigger.tgenabled`: O fires (origin and local), D disabled, R replica only, A always. */
  enabled: string;
}

/** One of a foreign key's enforcement triggers, and the table it is on. */
export interface KeyTrigger {
  schema: string;
  table: string;
  name: string;
}

export interface PolicyInfo {
  name: string;
  /** The CREATE POLICY statement that makes it (no `;`): table schema-qualified, AS, FOR, TO (roles sorted), USING, WITH CHECK. */
  definition: string;
}

export interface DomainInfo {
  schema: string;
  name: string;
  /** format_type() of the base type. */
  baseType: string;
  notNull: boolean;
  /** The default's expression, or null. */
  default: string | null;
  /** Its CHECK constraints by name (`pg_get_constraintdef`: ` NOT VALID` at the end while not validated); PostgreSQL 18's NOT NULL constraint is `notNull`. */
  checks: { name: string; definition: string }[];
}

export interface EnumInfo {
  schema: string;
  name: string;
  /** The labels in their order. */
  values: string[];
}

/** Triggers a user made (not a foreign key's, nor a partition's clone of its parent's). */
const SQL_TRIGGERS = `
SELECT n.nspname AS schema, c.relname AS table, t.tgname AS name, pg_get_triggerdef(t.oid) AS definition, t.tgenabled::text AS enabled, c.oid AS page_oid
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN (SELECT json_array_elements_text($1::json)) AND NOT t.tgisinternal
   -- A partition's clone of its parent's trigger depends on it ('P', 'S'; PostgreSQL 12 marks clones internal; pg_trigger.tgparentid is 13+).
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_trigger'::regclass AND d.objid = t.oid AND d.deptype IN ('P', 'S'))
 ORDER BY 1, 2, 3`;

const SQL_VIEWS = `
SELECT n.nspname AS schema, c.relname AS name, pg_get_viewdef(c.oid, true) AS definition, c.oid AS page_oid
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN (SELECT json_array_elements_text($1::json)) AND c.relkind IN ('v', 'm')`;

/** Tables with row-level security on: a role that is not the owner (nor BYPASSRLS) sees only what a policy lets it. */
const SQL_ROW_SECURITY = `
SELECT n.nspname AS schema, c.relname AS name, CASE WHEN c.relforcerowsecurity THEN 'forced' ELSE 'on' END AS security, c.oid AS page_oid
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN (SELECT json_array_elements_text($1::json)) AND c.relkind IN ('r', 'p') AND c.relrowsecurity`;

/**
 * Tables whose replica identity is not the default (the primary key): what
 * logical replication sends of an updated or deleted row, and whether a
 * table in a publication takes UPDATE and DELETE at all.
 */
const SQL_REPLICA_IDENTITY = `
SELECT n.nspname AS schema, c.relname AS name,
       CASE c.relreplident WHEN 'n' THEN 'nothing' WHEN 'f' THEN 'full'
         ELSE 'index ' || (SELECT quote_ident(ic.relname) FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = c.oid AND i.indisreplident) END AS identity,
       c.oid AS page_oid
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN (SELECT json_array_elements_text($1::json)) AND c.relkind IN ('r', 'p') AND c.relreplident <> 'd'`;

/**
 * Row-level security policies, each as the CREATE POLICY that makes it. The
 * roles are sorted in code-point order (not the database's collation, which
 * differs between the snapshot's server and the database); PUBLIC is OID 0,
 * and the table's owner reads CURRENT_USER: a policy made `TO CURRENT_USER`
 * names the role that ran the migration, which is `postgres` on the
 * snapshot's server and the master user on RDS. USING and WITH CHECK as
 * pg_get_expr prints them, names schema-qualified (the read's search_path).
 */
const SQL_POLICIES = `
SELECT n.nspname AS schema, c.relname AS table, p.polname AS name,
       format('CREATE POLICY %I ON %I.%I AS %s FOR %s TO %s', p.polname, n.nspname, c.relname,
              CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,
              CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
              (SELECT string_agg(r.name, ', ' ORDER BY r.name COLLATE "C")
                 FROM (SELECT CASE WHEN o.oid = 0 THEN 'PUBLIC' WHEN o.oid = c.relowner THEN 'CURRENT_USER' ELSE quote_ident(pg_get_userbyid(o.oid)) END AS name
                         FROM unnest(p.polroles) AS o(oid)) r))
       || coalesce(' USING (' || pg_get_expr(p.polqual, p.polrelid) || ')', '')
       || coalesce(' WITH CHECK (' || pg_get_expr(p.polwithcheck, p.polrelid) || ')', '') AS definition, c.oid AS page_oid
  FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN (SELECT json_array_elements_text($1::json))
 ORDER BY 1, 2, 3`;

const SQL_ENUMS = `
SELECT n.nspname AS schema, t.typname AS name, ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) AS values,
       t.oid AS page_oid
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE n.nspname IN (SELECT json_array_elements_text($1::json)) AND t.typtype = 'e'`;

const SQL_DOMAINS = `
SELECT n.nspname AS schema, t.typname AS name, format_type(t.typbasetype, t.typtypmod) AS "baseType", t.typnotnull AS "notNull",
       pg_get_expr(t.typdefaultbin, 0) AS default,
       ARRAY(SELECT c.conname::text FROM pg_constraint c WHERE c.contypid = t.oid AND c.contype = 'c' ORDER BY c.conname) AS check_names,
       ARRAY(SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c WHERE c.contypid = t.oid AND c.contype = 'c' ORDER BY c.conname) AS check_definitions,
       t.oid AS page_oid
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE n.nspname IN (SELECT json_array_elements_text($1::json)) AND t.typtype = 'd'`;

/**
 * Foreign keys' enforcement triggers that do not fire in an ordinary session
 * (`D` disabled, `R` replica only): `ALTER TABLE … DISABLE TRIGGER ALL` (a
 * superuser's) turns them off with the table's own, and rows that break the
 * key are then written without an error.
 */
/** Each disabled trigger of a foreign key, with the table of the key's root: a partition's clone (conparentid) names its top parent's. */
const SQL_DISABLED_KEY_TRIGGERS = `
WITH RECURSIVE up AS (
  SELECT oid AS id, oid AS root FROM pg_constraint WHERE contype = 'f' AND conparentid = 0
  UNION ALL SELECT c.oid, up.root FROM pg_constraint c JOIN up ON c.conparentid = up.id)
SELECT n.nspname AS schema, c.relname AS table, con.conname AS constraint, tn.nspname AS trigger_schema, tc.relname AS trigger_table, t.tgname AS trigger,
       rn.nspname AS root_schema, rc.relname AS root_table, t.oid AS page_oid
  FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_trigger t ON t.tgconstraint = con.oid JOIN pg_class tc ON tc.oid = t.tgrelid JOIN pg_namespace tn ON tn.oid = tc.relnamespace
  JOIN up ON up.id = con.oid JOIN pg_constraint r ON r.oid = up.root JOIN pg_class rc ON rc.oid = r.conrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
 WHERE n.nspname IN (SELECT json_array_elements_text($1::json)) AND con.contype = 'f' AND t.tgenabled IN ('D', 'R')`;

/**
 * Records each foreign key's enforcement triggers that do not fire
 * (`ConstraintInfo.disabledTriggers`) on `tables`' constraints. A
 * partition's clone of a key whose root (its top parent's) is off too is
 * recorded on the root: one `DISABLE TRIGGER ALL` on the parent is one
 * drifted key, not one per partition, and the parent's fix enables them all.
 */
export async function readDisabledKeyTriggers(
  q: Queryable,
  names: string[],
  tables: Map<string, { constraints: { name: string; type: string; disabledTriggers?: KeyTrigger[] }[] }>,
): Promise<void> {
  type Row = {
    schema: string;
    table: string;
    constraint: string;
    trigger_schema: string;
    trigger_table: string;
    trigger: string;
    root_schema: string;
    root_table: string;
  };
  // Paged by trigger (`catalog-pages.ts`), then in the order one query gave: a root key collects its partitions' triggers in it.
  const rows = (await catalogRows<Row>(q, SQL_DISABLED_KEY_TRIGGERS, names)).sort((a, b) =>
    compareBy(a, b, ['schema', 'table', 'constraint', 'trigger_schema', 'trigger_table', 'trigger']),
  );
  const rootsOff = new Set(rows.filter((r) => r.schema === r.root_schema && r.table === r.root_table).map((r) => `${r.schema}.${r.table}.${r.constraint}`));
  for (const r of rows) {
    const owner = rootsOff.has(`${r.root_schema}.${r.root_table}.${r.constraint}`) ? `${r.root_schema}.${r.root_table}` : `${r.schema}.${r.table}`;
    // A partition's clone of its parent's key has the parent's name: each copy's triggers go to the one the catalog lists.
    const key = tables.get(owner)?.constraints.find((c) => c.name === r.constraint && c.type === 'f');
    if (!key) continue;
    const trigger = { schema: r.trigger_schema, table: r.trigger_table, name: r.trigger };
    if (!key.disabledTriggers?.some((t) => t.schema === trigger.schema && t.table === trigger.table && t.name === trigger.name))
      (key.disabledTriggers ??= []).push(trigger);
  }
}

/** What the detail adds to a table (`TableInfo`'s fields of the same names). */
interface DetailedTable {
  kind: string;
  triggers?: TriggerInfo[];
  definition?: string;
  rowSecurity?: string;
  policies?: PolicyInfo[];
  replicaIdentity?: string;
}

/** Reads the detail into `tables` (by `schema.name`) and returns the enums and the server's major version. `names`: the schemas as one JSON text. */
export async function readDetail(
  q: Queryable,
  names: string[],
  tables: Map<string, DetailedTable>,
): Promise<{ types: EnumInfo[]; domains: DomainInfo[]; serverMajor: number }> {
  for (const t of tables.values()) {
    t.triggers = [];
    if (t.kind === 'r' || t.kind === 'p') {
      t.rowSecurity = 'off';
      t.policies = [];
      t.replicaIdentity = 'default';
    }
  }
  for (const r of await catalogRows<{ schema: string; name: string; security: string }>(q, SQL_ROW_SECURITY, names)) {
    const t = tables.get(`${r.schema}.${r.name}`);
    if (t) t.rowSecurity = r.security;
  }
  for (const r of await catalogRows<{ schema: string; name: string; identity: string | null }>(q, SQL_REPLICA_IDENTITY, names)) {
    const t = tables.get(`${r.schema}.${r.name}`);
    // USING INDEX of an index dropped since reads as nothing (PostgreSQL keeps relreplident 'i').
    if (t) t.replicaIdentity = r.identity ?? 'nothing';
  }
  for (const r of await catalogRows<PolicyInfo & { schema: string; table: string }>(q, SQL_POLICIES, names, ['name'])) {
    tables.get(`${r.schema}.${r.table}`)?.policies?.push({ name: r.name, definition: r.definition });
  }
  for (const r of await catalogRows<TriggerInfo & { schema: string; table: string }>(q, SQL_TRIGGERS, names, ['name'])) {
    tables.get(`${r.schema}.${r.table}`)?.triggers?.push({ name: r.name, definition: r.definition, enabled: r.enabled });
  }
  for (const r of await catalogRows<{ schema: string; name: string; definition: string }>(q, SQL_VIEWS, names)) {
    const t = tables.get(`${r.schema}.${r.name}`);
    if (t) t.definition = r.definition.trim();
  }
  // Paged (thousands of enums or domains are past one Data API response), then sorted by schema and name in code-point order.
  const bySchemaAndName = (x: { schema: string; name: string }, y: { schema: string; name: string }) => compareBy(x, y, ['schema', 'name']);
  const enums = (await catalogRows<{ schema: string; name: string; values: string[] | string }>(q, SQL_ENUMS, names))
    .map((r) => ({ schema: r.schema, name: r.name, values: Array.isArray(r.values) ? r.values : parseTextArray(r.values) }))
    .sort(bySchemaAndName);
  const array = (v: string[] | string) => (Array.isArray(v) ? v : parseTextArray(v));
  const domains = (
    await catalogRows<Omit<DomainInfo, 'checks'> & { check_names: string[] | string; check_definitions: string[] | string }>(q, SQL_DOMAINS, names)
  )
    .map(({ check_names: checkNames, check_definitions: definitions, ...d }) => {
      const defs = array(definitions);
      return { ...d, checks: array(checkNames).map((name, k) => ({ name, definition: defs[k] })) };
    })
    .sort(bySchemaAndName);
  const major = Math.floor(Number((await q.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0].v) / 10_000);
  return { types: enums, domains, serverMajor: major };
}

/** Rows compared field by field in code-point order (independent of the database's collation and of the pages' order). */
function compareBy<T>(a: T, b: T, fields: readonly (keyof T)[]): number {
  for (const f of fields) {
    const x = String(a[f]);
    const y = String(b[f]);
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** A `{a,b}` array as text (a driver that does not decode arrays): its labels, quotes and backslashes read. */
function parseTextArray(text: string): string[] {
  const inner = text.replace(/^\{|\}$/g, '');
  if (!inner) return [];
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|([^,]+)/g;
  for (let m = re.exec(inner); m; m = re.exec(inner)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]);
  return out;
}
