/**
 * What a contract's `INSERT … ON CONFLICT` relies on: the table, the
 * conflict target's columns (or the constraint it names) and its predicate.
 * Read from the contract's parse tree; used to name the unique index an
 * upsert needs (`missing-arbiter.ts`) and to tell which INVALID index backs a
 * contract (the guard).
 */
import type { Contract } from './';
import { as, findAll, list, rangeVar, type Node, type RangeVar } from '../parser/parse';
import { present } from '../../engine/errors/present';

export interface ConflictTarget {
  /** The contract's name. */
  contract: string;
  table: RangeVar;
  /** The target's columns, in order (empty for `ON CONSTRAINT`, or when an element is an expression). */
  columns: string[];
  /** `ON CONFLICT ON CONSTRAINT name`. */
  constraint?: string;
  /** The target's `WHERE` predicate (a partial index is inferred only when it implies the index's predicate). */
  where?: Node;
}

export function conflictTargets(c: Contract): ConflictTarget[] {
  const out: ConflictTarget[] = [];
  for (const ins of findAll(c.tree, 'InsertStmt')) {
    const clause = ins.onConflictClause as Node | undefined;
    const table = rangeVar(ins.relation);
    const infer = clause?.infer as Node | undefined;
    if (!table || !infer) continue;
    const elems = list(infer.indexElems).map((e) => as(e, 'IndexElem'));
    const columns = elems.every((e) => typeof e?.name === 'string') ? elems.map((e) => String(present(e).name)) : [];
    out.push({
      contract: c.name,
      table,
      columns,
      constraint: typeof infer.conname === 'string' ? infer.conname : undefined,
      where: infer.whereClause as Node | undefined,
    });
  }
  return out;
}

/** Same columns, in any order (a unique index on (a, b) serves ON CONFLICT (b, a)). */
export function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length > 0 && a.length === b.length && a.every((x) => b.includes(x));
}
