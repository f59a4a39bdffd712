/**
 * Which captured statements are the application's: a query or data change
 * (what a contract may hold) that names at least one table or function of an
 * application schema — not the system catalogs, not an extension's objects
 * (pg_stat_statements' own view lives in public), and nothing in
 * schemaguard's state schema. Names are resolved in the live database, as
 * the statement's session would resolve them with this session's search_path.
 * An application statement is named from its table and kind.
 */
import type { Queryable } from '../../engine/ports';
import { as, findAll, list, names, rangeVar, type ParsedStatement } from '../parser/parse';

/** `call`: a SELECT whose only application object is a function it calls. */
export type StatementKind = 'select' | 'insert' | 'upsert' | 'update' | 'delete' | 'merge' | 'call';

export type Classification = { application: true; table: string; kind: StatementKind } | { application: false; reason: string; own?: boolean };

interface Resolved {
  schema: string;
  name: string;
  extension: boolean;
}

const KINDS: Record<string, StatementKind> = { SelectStmt: 'select', InsertStmt: 'insert', UpdateStmt: 'update', DeleteStmt: 'delete', MergeStmt: 'merge' };

export async function classify(q: Queryable, stmt: ParsedStatement, stateSchema: string): Promise<Classification> {
  const base = KINDS[stmt.kind];
  if (!base) return { application: false, reason: `a ${stmt.kind.replace(/Stmt$/, '')} statement, not a query or data change` };
  const ctes = new Set(findAll(stmt.stmt, 'CommonTableExpr').map((c) => String(c.ctename)));
  // The written table (INSERT INTO, UPDATE, DELETE FROM, MERGE INTO) is a bare RangeVar in the tree; the others are wrapped.
  const written = [rangeVar(stmt.node.relation), ...findAll(stmt.stmt, 'RangeVar').map(rangeVar)].filter(
    (r): r is NonNullable<typeof r> => r !== undefined && !(r.schema === undefined && ctes.has(r.name)),
  );
  const relations: Resolved[] = [];
  for (const r of written) {
    const found = await resolveRelation(q, r.schema ? `${quote(r.schema)}.${quote(r.name)}` : quote(r.name));
    if (!found)
      return {
        application: false,
        reason: `names ${r.schema ? `${r.schema}.` : ''}${r.name}, which this database does not have (a temporary table, or another search_path)`,
      };
    relations.push(found);
  }
  const functions = await resolveFunctions(q, stmt);
  const all = [...relations, ...functions];
  if (all.some((o) => o.schema === stateSchema)) return { application: false, own: true, reason: `schemaguard's own (schema ${stateSchema})` };
  const isApp = (o: Resolved) => !o.extension && !isSystemSchema(o.schema);
  const target = targetRelation(stmt, relations.filter(isApp)) ?? relations.find(isApp);
  if (target) return { application: true, table: nameFor(target), kind: base === 'insert' && as(stmt.stmt, 'InsertStmt')?.onConflictClause ? 'upsert' : base };
  const fn = functions.find(isApp);
  if (fn) return { application: true, table: nameFor(fn), kind: 'call' };
  return { application: false, reason: "names no table or function of the application (the catalogs or an extension's objects only)" };
}

function quote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function isSystemSchema(schema: string): boolean {
  return schema === 'information_schema' || schema.startsWith('pg_');
}

/** The table a data change writes: INSERT INTO, UPDATE, DELETE FROM, MERGE INTO. */
function targetRelation(stmt: ParsedStatement, app: Resolved[]): Resolved | undefined {
  const r = rangeVar(stmt.node.relation);
  return r ? app.find((a) => a.name === r.name && (!r.schema || a.schema === r.schema)) : undefined;
}

/** `lead_purchases`, or `billing_invoices` outside public. */
function nameFor(o: Resolved): string {
  return `${o.schema === 'public' ? '' : `${o.schema}_`}${o.name}`.toLowerCase().replace(/[^a-z0-9_]+/g, '_');
}

async function resolveRelation(q: Queryable, name: string): Promise<Resolved | undefined> {
  return (
    await q.query<Resolved>(
      `SELECT n.nspname AS schema, c.relname AS name,
            EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e') AS extension
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)`,
      [name],
    )
  ).rows[0];
}

/** Each function called, in the schema the search path finds it in first (unknown names are left out: PREPARE reports them). */
async function resolveFunctions(q: Queryable, stmt: ParsedStatement): Promise<Resolved[]> {
  const out: Resolved[] = [];
  for (const call of findAll(stmt.stmt, 'FuncCall')) {
    const parts = names(list(call.funcname));
    const name = parts[parts.length - 1];
    const schema = parts.length > 1 ? parts[parts.length - 2] : null;
    const found = (
      await q.query<Resolved>(
        `SELECT n.nspname AS schema, p.proname AS name,
              EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e') AS extension
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE p.proname = $1 AND (n.nspname = $2 OR ($2::text IS NULL AND n.nspname = ANY (current_schemas(true))))
        ORDER BY array_position(current_schemas(true), n.nspname) LIMIT 1`,
        [name, schema],
      )
    ).rows[0];
    if (found) out.push(found);
  }
  return out;
}
