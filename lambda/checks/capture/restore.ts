/**
 * pg_stat_statements replaces every constant of a statement with `$n`. Most
 * such texts are valid contracts as they are (check binds NULL to each
 * parameter), but two are not, and are put right here from the parse tree:
 *
 * - a typed literal, `interval '1 day'`, becomes `interval $4`, which
 *   PostgreSQL does not accept (the parser used here does): it is written
 *   `$4::interval`;
 * - the predicate of `ON CONFLICT (…) WHERE is_active = true` becomes
 *   `WHERE is_active = $4`, from which the planner cannot infer the partial
 *   unique index: the constants are taken back from the predicate of the
 *   live unique index on the conflict target's columns, when the two
 *   predicates are the same expression but for those constants (the
 *   statement succeeded in production, so that index is what it inferred).
 */
import { quoteIdent } from '../../engine/state/identifiers';
import type { Queryable } from '../../engine/ports';
import { quoteLiteral } from '../../engine/sql/sql-quote';
import { conflictTargets, sameColumns, type ConflictTarget } from '../contracts/conflict-targets';
import type { Contract } from '../contracts';
import { as, findAll, parseSql, typeNameText, unwrap, type Node } from '../parser/parse';

interface Edit {
  from: number;
  to: number;
  text: string;
}

/** Apply byte-offset edits (libpg-query locations are byte offsets) to `text`. */
function applyEdits(text: string, edits: readonly Edit[]): string {
  let bytes = Buffer.from(text, 'utf8');
  for (const e of [...edits].sort((a, b) => b.from - a.from)) {
    bytes = Buffer.concat([bytes.subarray(0, e.from), Buffer.from(e.text, 'utf8'), bytes.subarray(e.to)]);
  }
  return bytes.toString('utf8');
}

function paramEnd(p: Node): number {
  return Number(p.location) + `$${Number(p.number)}`.length;
}

/** `interval $4` → `$4::interval` (the parser marks this form with a TypeCast at location -1). */
export function restoreTypedLiterals(text: string): string {
  const [stmt] = parseSql(text).statements;
  const edits: Edit[] = [];
  for (const cast of findAll(stmt?.stmt, 'TypeCast')) {
    const param = as(cast.arg, 'ParamRef');
    const typeAt = Number((cast.typeName as Node | undefined)?.location ?? -1);
    if (Number(cast.location) !== -1 || !param || typeAt < 0 || typeAt >= Number(param.location)) continue;
    const typeText = Buffer.from(text, 'utf8').subarray(typeAt, Number(param.location)).toString('utf8').trim();
    edits.push({ from: typeAt, to: paramEnd(param), text: `$${Number(param.number)}::${typeText}` });
  }
  return edits.length ? applyEdits(text, edits) : text;
}

/**
 * Put back the constants of each ON CONFLICT predicate. Returns the new text,
 * or the parameters it could not restore (no live unique index matches).
 */
export async function restoreArbiterPredicates(q: Queryable, text: string, contract: Contract): Promise<{ text: string } | { unrestored: string[] }> {
  const edits: Edit[] = [];
  for (const target of conflictTargets(contract)) {
    const params = findAll(target.where, 'ParamRef');
    if (!params.length) continue;
    const restored = await fromLiveIndex(q, target);
    if (!restored) return { unrestored: params.map((p) => `$${Number(p.number)}`) };
    edits.push(...restored);
  }
  return { text: edits.length ? applyEdits(text, edits) : text };
}

async function fromLiveIndex(q: Queryable, target: ConflictTarget): Promise<Edit[] | undefined> {
  const name = target.table.schema ? `${quoteIdent(target.table.schema)}.${quoteIdent(target.table.name)}` : quoteIdent(target.table.name);
  const indexes = (
    await q.query<{ pred: string; cols: string[] | string }>(
      `SELECT pg_get_expr(i.indpred, i.indrelid) AS pred,
            ARRAY(SELECT a.attname::text FROM unnest(i.indkey) k JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k) AS cols
       FROM pg_index i WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indpred IS NOT NULL`,
      [name],
    )
  ).rows;
  for (const index of indexes) {
    const cols = typeof index.cols === 'string' ? index.cols.replace(/[{}"]/g, '').split(',') : index.cols;
    if (!sameColumns(cols, target.columns)) continue;
    const predicate = parseSql(`SELECT WHERE ${index.pred}`).statements[0]?.node.whereClause;
    const edits: Edit[] = [];
    if (matchConstants(target.where, predicate, edits)) return edits;
  }
  return undefined;
}

/**
 * The same expression but for constants: where the captured tree has a
 * parameter, the index's has a constant (possibly cast); collects the edits
 * that write those constants in. Locations are not compared.
 */
function matchConstants(captured: unknown, index: unknown, edits: Edit[]): boolean {
  const param = as(captured, 'ParamRef');
  if (param) {
    const constant = renderConstant(index);
    if (constant === undefined) return false;
    edits.push({ from: Number(param.location), to: paramEnd(param), text: constant });
    return true;
  }
  if (Array.isArray(captured) || Array.isArray(index)) {
    return Array.isArray(captured) && Array.isArray(index) && captured.length === index.length && captured.every((c, k) => matchConstants(c, index[k], edits));
  }
  if (!captured || !index || typeof captured !== 'object' || typeof index !== 'object') return captured === index;
  const keys = (o: object) =>
    Object.keys(o)
      .filter((k) => k !== 'location')
      .sort();
  const [a, b] = [keys(captured), keys(index)];
  return a.length === b.length && a.every((k, i) => k === b[i] && matchConstants((captured as Node)[k], (index as Node)[k], edits));
}

/** A constant of the index predicate, as SQL: `true`, `0`, `'x'`, `'x'::text`, `NULL`. */
function renderConstant(n: unknown): string | undefined {
  const cast = as(n, 'TypeCast');
  if (cast) {
    const inner = renderConstant(cast.arg);
    return inner === undefined ? undefined : `${inner}::${typeNameText(cast.typeName)}`;
  }
  const [kind, c] = unwrap(n) ?? [];
  if (kind !== 'A_Const' || !c) return undefined;
  if (c.isnull) return 'NULL';
  if (c.boolval) return (c.boolval as Node).boolval ? 'true' : 'false';
  if (c.ival) return String((c.ival as Node).ival ?? 0);
  if (c.fval) return String((c.fval as Node).fval);
  if (c.sval) return quoteLiteral(String((c.sval as Node).sval ?? ''));
  return undefined;
}
