/**
 * What a role may do in a database, read from the catalog with PostgreSQL's
 * own privilege functions (its grants, PUBLIC's and its memberships'
 * together): one line per object class and privilege set, so a test states
 * the whole of a role's power in a few lines.
 */
import { rows } from './db';

export interface RolePower {
  /** `table <schema>.<name>: <privileges>` for every relation it holds any table privilege on (schemas without USAGE left out). */
  relations: string[];
  /** `schema <name>: <privileges>`. */
  schemas: string[];
  /** `CONNECT, TEMPORARY, …` on the current database. */
  database: string;
  /** Roles it is a member of. */
  memberOf: string[];
  /** Attributes it has (LOGIN, CREATEROLE, …). */
  attributes: string[];
}

const TABLE = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'];

export async function rolePower(url: string, role: string): Promise<RolePower> {
  const relations = await rows<{ line: string }>(
    url,
    `
    SELECT format('%s %I.%I: %s', CASE c.relkind WHEN 'S' THEN 'sequence' WHEN 'v' THEN 'view' ELSE 'table' END, n.nspname, c.relname,
                  array_to_string(ARRAY(SELECT p FROM unnest(CASE WHEN c.relkind = 'S' THEN ARRAY['SELECT', 'USAGE', 'UPDATE'] ELSE $2::text[] END) p
                                         WHERE CASE WHEN c.relkind = 'S' THEN has_sequence_privilege($1, c.oid, p)
                                                    WHEN p IN ('SELECT', 'INSERT', 'UPDATE', 'REFERENCES') THEN has_any_column_privilege($1, c.oid, p)
                                                    ELSE has_table_privilege($1, c.oid, p) END), ', ')) AS line
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND n.nspname NOT LIKE 'pg\\_%' AND has_schema_privilege($1, n.oid, 'USAGE')
     ORDER BY 1`,
    [role, TABLE],
  );
  const schemas = await rows<{ line: string }>(
    url,
    `
    SELECT format('schema %s: %s', n.nspname, array_to_string(ARRAY(SELECT p FROM unnest(ARRAY['USAGE', 'CREATE']) p WHERE has_schema_privilege($1, n.oid, p)), ', ')) AS line
      FROM pg_namespace n WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
       AND (has_schema_privilege($1, n.oid, 'USAGE') OR has_schema_privilege($1, n.oid, 'CREATE')) ORDER BY 1`,
    [role],
  );
  const [db] = await rows<{ p: string }>(
    url,
    `SELECT array_to_string(ARRAY(SELECT p FROM unnest(ARRAY['CONNECT', 'TEMPORARY', 'CREATE']) p WHERE has_database_privilege($1, current_database(), p)), ', ') AS p`,
    [role],
  );
  const memberOf = await rows<{ g: string }>(
    url,
    `SELECT g.rolname::text AS g FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = $1 ORDER BY 1`,
    [role],
  );
  const [attrs] = await rows<{ a: string[] }>(
    url,
    `
    SELECT ARRAY(SELECT a FROM (VALUES ('LOGIN', rolcanlogin), ('SUPERUSER', rolsuper), ('CREATEROLE', rolcreaterole), ('CREATEDB', rolcreatedb),
                                     ('REPLICATION', rolreplication), ('BYPASSRLS', rolbypassrls)) v(a, has) WHERE has) AS a
      FROM pg_roles WHERE rolname = $1`,
    [role],
  );
  return {
    relations: relations.map((r) => r.line).filter((l) => !l.endsWith(': ')),
    schemas: schemas.map((r) => r.line),
    database: db!.p,
    memberOf: memberOf.map((r) => r.g),
    attributes: attrs?.a ?? [],
  };
}

/**
 * Every user table's rows, one digest each (`schema.table: count md5`): equal
 * before and after means not one row was added, changed or removed.
 */
export async function tableContents(url: string): Promise<string[]> {
  const tables = await rows<{ t: string }>(
    url,
    `
    SELECT c.oid::regclass::text AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1`,
  );
  const out: string[] = [];
  for (const { t } of tables) {
    const [r] = await rows<{ n: number; h: string | null }>(url, `SELECT count(*)::int AS n, md5(string_agg(x::text, ',' ORDER BY x::text)) AS h FROM ${t} x`);
    out.push(`${t}: ${r!.n} ${r!.h ?? ''}`);
  }
  return out;
}
