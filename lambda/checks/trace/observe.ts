/**
 * What one statement did, as its own server session shows it inside its
 * transaction: the relation locks it took (pg_locks of its backend, a row
 * per mode held; a mode the transaction held before is not seen again), the
 * relations that got a new file node (pg_relation_filenode changed: a
 * rewrite, or TRUNCATE's empty file), and the tables it read in full
 * (pg_stat_xact_user_tables.seq_scan rose: every sequential scan counts
 * when it starts, so a table with no rows counts as read too). Only user
 * relations (oid ≥ 16384): the catalog reads these queries make are not the
 * statement's. Nothing here takes a lock on a user relation.
 */
import type { Queryable } from '../../engine/ports';
import { LOCK_MODES, pgLocksMode, strongest, type LockMode } from '../locks/modes';
import { present } from '../../engine/errors/present';

/** PostgreSQL's FirstNormalObjectId: below it, the catalogs and what initdb made. */
const FIRST_USER_OID = 16384;

/** `AccessExclusiveLock` → `ACCESS EXCLUSIVE`. */
const MODE_OF = new Map<string, LockMode>(LOCK_MODES.map((m) => [pgLocksMode(m), m]));

export function lockModeOf(pgLocksName: string): LockMode | undefined {
  return MODE_OF.get(pgLocksName);
}

export interface Relation {
  oid: number;
  /** `schema.name`, each quoted where it must be (`format('%I.%I')`, as plan names tables). */
  name: string;
  /** pg_class.relkind. */
  kind: string;
  /** pg_relation_filenode; null for a relation without storage (a view, a partitioned table). */
  node: number | null;
}

/** The transaction's locks and scan counts at one moment. */
export interface TransactionState {
  /** Modes held on each user relation. */
  locks: Map<number, Set<LockMode>>;
  /** seq_scan of each user table this transaction read. */
  scans: Map<number, number>;
}

const LOCKS_CTE = `WITH l AS MATERIALIZED (
  SELECT relation::int8 AS oid, mode FROM pg_locks
   WHERE pid = pg_backend_pid() AND locktype = 'relation' AND relation >= ${FIRST_USER_OID}::oid)`;

/**
 * A table's sequential scans in this transaction: the function
 * pg_stat_xact_user_tables.seq_scan reads, without the view's joins and
 * grouping (0.4 instead of 1.2 ms of server CPU per read on 18; the read
 * runs before and after every statement traced).
 */
const XACT_SCANS = 'pg_stat_get_xact_numscans(c.oid)';

const RELATION_COLUMNS = `json_build_array(c.oid::int8, format('%I.%I', n.nspname, c.relname), c.relkind::text, pg_relation_filenode(c.oid)::int8)`;

/** The state, and the relations named (each locked one, or every one of the database): one round trip, with `extra` columns. */
function stateSql(relations: 'locked' | 'all', extra = ''): string {
  const which = relations === 'all' ? `c.oid >= ${FIRST_USER_OID}::oid` : 'c.oid IN (SELECT oid FROM l)';
  return `${LOCKS_CTE}
SELECT (SELECT coalesce(json_agg(json_build_array(oid, mode)), '[]') FROM l)::text AS locks,
       (SELECT coalesce(json_agg(json_build_array(c.oid::int8, ${XACT_SCANS})), '[]') FROM pg_class c
         WHERE c.oid >= ${FIRST_USER_OID}::oid AND c.relkind IN ('r', 'm', 'p') AND ${XACT_SCANS} > 0)::text AS scans,
       (SELECT coalesce(json_agg(${RELATION_COLUMNS}), '[]') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${which})::text AS relations${extra}`;
}

type RelationRow = [number, string, string, number | null];

function relationsOf(json: string): Relation[] {
  return (JSON.parse(json) as RelationRow[]).map(([oid, name, kind, node]) => ({ oid: Number(oid), name, kind, node: node === null ? null : Number(node) }));
}

/**
 * The relations of the database as the trace knows them: names (kept for
 * relations a statement drops, which its locks still name), and the file
 * node each had after the last statement.
 */
export class RelationBook {
  private readonly byOid = new Map<number, Relation>();
  /** Every relation was read (at the file's first statement). */
  loaded = false;

  get(oid: number): Relation | undefined {
    return this.byOid.get(oid);
  }

  /** Records the file nodes seen now: the relations whose node changed (rewritten), and those first seen now (new, not rewritten). */
  update(seen: Relation[]): { rewritten: Set<number>; created: Set<number> } {
    const rewritten = new Set<number>();
    const created = new Set<number>();
    for (const rel of seen) {
      const before = this.byOid.get(rel.oid);
      if (!before) created.add(rel.oid);
      else if (before.node !== null && rel.node !== null && before.node !== rel.node) rewritten.add(rel.oid);
      this.byOid.set(rel.oid, rel);
    }
    return { rewritten, created };
  }
}

/**
 * The transaction's state now. `extra`: more columns of the same round trip
 * (with their parameters), returned as they come. The locked relations (all
 * of them, the first time) are recorded in `book`: those whose file node
 * changed since, and those new since, are returned.
 */
export async function readState<X extends object = object>(
  q: Queryable,
  book: RelationBook,
  extra?: { columns: string; params: unknown[] },
): Promise<{ state: TransactionState; rewritten: Set<number>; created: Set<number>; extra: X }> {
  const all = !book.loaded;
  const r = await q.query<{ locks: string; scans: string; relations: string } & X>(stateSql(all ? 'all' : 'locked', extra?.columns), extra?.params ?? []);
  const row = r.rows[0];
  const locks = new Map<number, Set<LockMode>>();
  for (const [oid, mode] of JSON.parse(row.locks) as [number, string][]) {
    const m = lockModeOf(mode);
    if (!m) continue;
    const held = locks.get(Number(oid)) ?? new Set<LockMode>();
    held.add(m);
    locks.set(Number(oid), held);
  }
  const scans = new Map((JSON.parse(row.scans) as [number, number][]).map(([oid, n]) => [Number(oid), Number(n)]));
  const seen = book.update(relationsOf(row.relations));
  book.loaded = true;
  // Read whole, every relation is known before the statement: none is new, whatever the book held.
  return { state: { locks, scans }, ...(all ? { rewritten: new Set<number>(), created: new Set<number>() } : seen), extra: row };
}

/** What a statement did between two states of its transaction. */
export interface StatementEffect {
  /** The strongest mode it newly took on each relation. */
  took: Map<number, LockMode>;
  /** The modes the transaction held on each relation before it, strongest first. */
  heldBefore: Map<number, LockMode[]>;
  rewritten: Set<number>;
  scanned: Set<number>;
  /** Relations it made. */
  created: Set<number>;
}

export function effectBetween(before: TransactionState, after: TransactionState, seen: { rewritten: Set<number>; created: Set<number> }): StatementEffect {
  const took = new Map<number, LockMode>();
  for (const [oid, modes] of after.locks) {
    const had = before.locks.get(oid);
    for (const m of modes) if (!had?.has(m)) took.set(oid, present(strongest(took.get(oid), m)));
  }
  const heldBefore = new Map<number, LockMode[]>();
  for (const [oid, modes] of before.locks)
    heldBefore.set(
      oid,
      [...modes].sort((a, b) => LOCK_MODES.indexOf(b) - LOCK_MODES.indexOf(a)),
    );
  const scanned = new Set([...after.scans].filter(([oid, n]) => n > (before.scans.get(oid) ?? 0)).map(([oid]) => oid));
  return { took, heldBefore, rewritten: seen.rewritten, created: seen.created, scanned };
}
