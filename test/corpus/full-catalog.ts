/**
 * Everything a migration history leaves in a database, to compare a database
 * built by psql with one built by schemaguard: the normalised catalog of
 * lambda/schema/catalog.ts over every user schema, plus what that dump
 * leaves out because drift does not need it — schemas, types and domains,
 * triggers, policies and row security, sequences, view definitions,
 * privileges, every comment, extension members, and each table's row count.
 * schemaguard's state schema is never part of it.
 */
import type pg from 'pg';
import { diffCatalogs, formatDifferences, readCatalog, type Catalog } from '../../lambda/schema/catalog';
import { DEFAULT_STATE_SCHEMA } from '../../lambda/engine/state/state';
import { withClient } from '../support/system-postgres';

export interface FullCatalog {
  catalog: Catalog;
  /** Section → sorted lines. */
  extras: Record<string, string[]>;
}

/** `$1`: the user schemas (no system schema, no state schema). */
const EXTRAS: Record<string, string> = {
  schemas: `
    SELECT format('%s acl=%s', n.nspname, coalesce(n.nspacl::text, '')) FROM pg_namespace n WHERE n.nspname = ANY ($1)`,
  types: `
    SELECT format('%s.%s %s %s', n.nspname, t.typname, t.typtype,
             CASE t.typtype
               WHEN 'e' THEN (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid)
               WHEN 'd' THEN format('%s notnull=%s default=%s checks=%s', format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault,
                                    (SELECT string_agg(pg_get_constraintdef(c.oid), ' AND ' ORDER BY c.conname) FROM pg_constraint c WHERE c.contypid = t.oid))
               ELSE '' END)
      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE n.nspname = ANY ($1) AND t.typtype IN ('e', 'd')
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')`,
  triggers: `
    SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ANY ($1) AND NOT t.tgisinternal`,
  policies: `
    SELECT format('%s.%s %s %s %s roles=%s using=%s check=%s', schemaname, tablename, policyname, permissive, cmd, roles, qual, with_check)
      FROM pg_policies WHERE schemaname = ANY ($1)`,
  'row security': `
    SELECT format('%s.%s enabled=%s forced=%s', n.nspname, c.relname, c.relrowsecurity, c.relforcerowsecurity)
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ANY ($1) AND (c.relrowsecurity OR c.relforcerowsecurity)`,
  sequences: `
    SELECT format('%s.%s %s start=%s min=%s max=%s by=%s cycle=%s cache=%s last=%s owned-by=%s', s.schemaname, s.sequencename, s.data_type,
                  s.start_value, s.min_value, s.max_value, s.increment_by, s.cycle, s.cache_size, s.last_value,
                  (SELECT format('%s.%s(%s)', d.refobjid::regclass, a.attname, d.deptype) FROM pg_depend d
                     JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = format('%I.%I', s.schemaname, s.sequencename)::regclass
                      AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')))
      FROM pg_sequences s WHERE s.schemaname = ANY ($1)`,
  views: `
    SELECT format('%s.%s %s: %s', n.nspname, c.relname, c.relkind, pg_get_viewdef(c.oid, true))
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY ($1) AND c.relkind IN ('v', 'm')`,
  privileges: `
    SELECT format('%s.%s %s', n.nspname, c.relname, c.relacl) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ANY ($1) AND c.relacl IS NOT NULL
    UNION ALL
    SELECT format('%s.%s(%s) %s', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), p.proacl) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = ANY ($1) AND p.proacl IS NOT NULL
    UNION ALL
    SELECT format('default %s in %s on %s: %s', d.defaclrole::regrole, coalesce(d.defaclnamespace::regnamespace::text, '*'), d.defaclobjtype, d.defaclacl) FROM pg_default_acl d`,
  // Objects created after initdb (oid >= FirstNormalObjectId): the history's and its extensions', outside the state schema.
  comments: `
    SELECT format('%s: %s', pg_describe_object(d.classoid, d.objoid, d.objsubid), d.description) FROM pg_description d
     WHERE d.objoid >= 16384
       AND NOT (d.classoid = 'pg_namespace'::regclass AND d.objoid IN (SELECT oid FROM pg_namespace WHERE nspname <> ALL ($1)))
       AND NOT (d.classoid = 'pg_class'::regclass AND d.objoid IN (
             SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname <> ALL ($1)))
       AND NOT (d.classoid = 'pg_proc'::regclass AND d.objoid IN (
             SELECT p.oid FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname <> ALL ($1)))`,
  'extension members': `
    SELECT format('%s: %s', e.extname, pg_describe_object(d.classid, d.objid, d.objsubid)) FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
     WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'`,
};

export async function readFullCatalog(url: string, stateSchema = DEFAULT_STATE_SCHEMA): Promise<FullCatalog> {
  return withClient(url, async (c) => {
    const schemas = (
      await c.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('information_schema', $1) AND nspname NOT LIKE 'pg\\_%'`, [
        stateSchema,
      ])
    ).rows.map((r) => r.nspname);
    const catalog = await readCatalog(c, { schemas, stateSchema });
    await c.query(`SET search_path = pg_catalog`);
    const extras: Record<string, string[]> = {};
    for (const [section, sql] of Object.entries(EXTRAS)) {
      extras[section] = (await c.query<{ line: string }>(`SELECT x AS line FROM (${sql}) q(x)`, sql.includes('$1') ? [schemas] : [])).rows
        .map((r) => r.line)
        .sort();
    }
    extras.rows = await rowCounts(c, schemas);
    return { catalog, extras };
  });
}

async function rowCounts(c: pg.Client, schemas: string[]): Promise<string[]> {
  const tables = (
    await c.query<{ name: string }>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY ($1) AND c.relkind IN ('r', 'm') ORDER BY 1`,
      [schemas],
    )
  ).rows;
  const out: string[] = [];
  for (const t of tables) out.push(`${t.name} ${(await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${t.name}`)).rows[0]!.n}`);
  return out;
}

/** One line per difference; empty when both databases hold the same schema and rows. */
export function diffFullCatalogs(a: FullCatalog, b: FullCatalog, labels: { a: string; b: string }): string[] {
  const out = diffCatalogs(a.catalog, b.catalog).length ? formatDifferences(diffCatalogs(a.catalog, b.catalog), labels).split('\n') : [];
  for (const section of Object.keys({ ...a.extras, ...b.extras })) {
    const inA = new Set(a.extras[section] ?? []);
    const inB = new Set(b.extras[section] ?? []);
    for (const line of inA) if (!inB.has(line)) out.push(`${section}: only in ${labels.a}: ${line}`);
    for (const line of inB) if (!inA.has(line)) out.push(`${section}: only in ${labels.b}: ${line}`);
  }
  return out;
}
