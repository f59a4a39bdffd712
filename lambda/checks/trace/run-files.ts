/**
 * The pending files run on the copy, in order, statement by statement, as
 * migrate runs them: a transactional file in one transaction, a
 * no-transaction file statement by statement. Each statement a plan row
 * stands for is watched (`observe.ts`, `outside-transaction.ts`); a row
 * standing for a run of statements alike is watched at its first. A file's
 * transaction commits on the copy when a later file follows (it builds on
 * it, as on the target), and the last one rolls back. A statement that
 * fails ends the trace: its file is rolled back, and what follows would run
 * on a copy without it.
 */
import { classifySql, mayEndTransactions, refusesTransactionBlock } from '../../engine/sql/classify';
import type { Driver, Session } from '../../engine/ports';
import { bodyBatches, runsOutsideTransaction, type Migration } from '../../engine/files/source';
import type { StatementLockReport } from '../locks/plan-locks';
import { blocksWrites, strongest, type LockMode } from '../locks/modes';
import { effectBetween, readState, RelationBook, type StatementEffect } from './observe';
import { observeOutside } from './outside-transaction';
import { resolveTargets, rowNames, targetsColumn, targetsOf, type RowTargets } from './targets';
import { present } from '../../engine/errors/present';

/** What the server showed of one plan row's statement, on the row's own tables. */
export interface ObservedRow {
  /** The strongest mode the statement newly took on the row's table; null: none (or, outside a transaction, none of SHARE UPDATE EXCLUSIVE or above). */
  lock: LockMode | null;
  /** The table (its leaf partitions, or the index the row's lock is on) got a new file node. */
  rewrites: boolean;
  /** Its scan counter rose; null where the server could not say (`outside-transaction.ts`). */
  scans: boolean | null;
  /** The modes the file's transaction held on the table before the statement, strongest first: a request for a mode held already is not seen. */
  held?: LockMode[];
  /** The strongest mode it newly took on the table's indexes. */
  indexLock?: LockMode;
  /** The mode it newly took on the row's second table. */
  other?: LockMode | null;
  /** The row's table is not in the copy before the statement. */
  absent?: true;
  /**
   * A row without a table (a DO block, CREATE TABLE): `lock` is the
   * strongest the statement took on a relation that existed before it,
   * this one; `rewrites` and `scans` say whether it rewrote or read any.
   */
  on?: string;
}

export interface StatementTrace {
  file: string;
  line: number;
  column: number;
  /** Every lock the statement took on a relation that existed before it, strongest per relation (`schema.name`). */
  locks: { relation: string; kind: string; lock: LockMode }[];
  /** One per plan row of the statement, in the rows' order. */
  rows: ObservedRow[];
  /** Locks that block writes, taken on tables none of its rows names. */
  unpredicted?: { relation: string; lock: LockMode }[];
  /** Ran outside a transaction block: only its lock on the row's table is seen. */
  outside?: true;
  /** The statement failed on the copy: SQLSTATE and message. */
  error?: string;
  /** Not run: why. */
  skipped?: string;
}

export interface CopyConnection {
  /** The copy's driver: the sessions a no-transaction statement is watched from. */
  driver: Driver;
  /** The session the files run in. */
  session: Session;
  /** The copy server's major version. */
  major: number;
}

/** Plan rows by `file:line:column`. */
function rowsByPlace(rows: readonly StatementLockReport[]): Map<string, StatementLockReport[]> {
  const by = new Map<string, StatementLockReport[]>();
  for (const r of rows) by.set(place(r.file, r.line, r.column), [...(by.get(place(r.file, r.line, r.column)) ?? []), r]);
  return by;
}

const place = (file: string, line: number, column: number) => `${file}:${line}:${column}`;

/**
 * Runs `pending` on the copy and returns a trace per statement with plan
 * rows, in order. `keepLast`: commit the last file too (the copy moves on).
 */
export async function runFiles(copy: CopyConnection, pending: readonly Migration[], rows: readonly StatementLockReport[]): Promise<StatementTrace[]> {
  const byPlace = rowsByPlace(rows);
  const traces: StatementTrace[] = [];
  let failed: string | undefined;
  for (const [k, m] of pending.entries()) {
    if (failed) {
      traces.push(...skippedFile(m, byPlace, `not run: ${failed} failed on the copy, and this file builds on it`));
      continue;
    }
    const fileTraces = runsOutsideTransaction(m) ? await runOutside(copy, m, byPlace) : await runInTransaction(copy, m, byPlace, k < pending.length - 1);
    traces.push(...fileTraces);
    if (fileTraces.some((t) => t.error)) failed = m.file;
    await resetSession(copy.session);
  }
  return traces;
}

/** The next file starts from a clean session, as migrate gives each file. */
async function resetSession(session: Session): Promise<void> {
  const reset = session.resetSql?.();
  if (reset) await session.query(reset);
}

function skippedFile(m: Migration, byPlace: Map<string, StatementLockReport[]>, why: string): StatementTrace[] {
  return [...byPlace.entries()]
    .filter(([, rows]) => rows[0].file === m.file)
    .map(([, rows]) => ({ file: m.file, line: rows[0].line, column: rows[0].column, locks: [], rows: rows.map(unobserved), skipped: why }));
}

const unobserved = (): ObservedRow => ({ lock: null, rewrites: false, scans: null });

async function runInTransaction(copy: CopyConnection, m: Migration, byPlace: Map<string, StatementLockReport[]>, commit: boolean): Promise<StatementTrace[]> {
  const { session } = copy;
  const traces: StatementTrace[] = [];
  const book = new RelationBook();
  await session.query('BEGIN');
  let ok = false;
  try {
    for (const batch of bodyBatches(m, 64 * 1024)) {
      for (const s of batch) {
        const rows = byPlace.get(place(m.file, s.line, s.column));
        if (traces.some((t) => t.error)) {
          if (rows)
            traces.push({
              file: m.file,
              line: s.line,
              column: s.column,
              locks: [],
              rows: rows.map(unobserved),
              skipped: 'not run: an earlier statement failed',
            });
          continue;
        }
        if (rows) traces.push(await watchInTransaction(session, book, m.file, s, rows));
        else await runQuietly(session, s.text, traces, m, s);
      }
    }
    ok = !traces.some((t) => t.error);
  } finally {
    if (ok && commit) await session.query('COMMIT');
    else await session.query('ROLLBACK');
  }
  return traces;
}

/** A statement no row stands for: run, and watched only for failing. */
async function runQuietly(session: Session, sql: string, traces: StatementTrace[], m: Migration, s: { line: number; column: number }): Promise<void> {
  try {
    await session.query(sql);
  } catch (e) {
    traces.push({ file: m.file, line: s.line, column: s.column, locks: [], rows: [], error: errorText(e) });
  }
}

async function watchInTransaction(
  session: Session,
  book: RelationBook,
  file: string,
  s: { text: string; line: number; column: number },
  rows: StatementLockReport[],
): Promise<StatementTrace> {
  const names = rowNames(s.text, rows);
  const before = await readState<{ targets: string }>(session, book, targetsColumn(names));
  const targets = targetsOf(names, before.extra.targets);
  const base = { file, line: s.line, column: s.column };
  try {
    await session.query(s.text);
  } catch (e) {
    return { ...base, locks: [], rows: rows.map(unobserved), error: errorText(e) };
  }
  const { state, ...seen } = await readState(session, book);
  const effect = effectBetween(before.state, state, seen);
  const unpredicted = unnamedLocks(effect, book, targets, rows);
  return { ...base, locks: locksTaken(effect, book), rows: targets.map((t) => observedRow(t, effect, book)), ...(unpredicted.length ? { unpredicted } : {}) };
}

/** Kinds of relation whose lock a reader of the plan would want named: tables, partitioned, foreign and materialized. */
const TABLE_KINDS = new Set(['r', 'p', 'f', 'm']);

/** Locks that block writes on existing tables no row of the statement names. */
function unnamedLocks(effect: StatementEffect, book: RelationBook, targets: RowTargets[], rows: StatementLockReport[]): { relation: string; lock: LockMode }[] {
  // A lock on tables the plan does not name one by one (ALL IN TABLESPACE), or code plan does not read: every lock is the row's.
  if (rows.some((r) => (r.lock !== null && r.table === null && !r.domain) || r.notRead)) return [];
  const named = new Set(
    targets.flatMap((t) => [
      ...(t.lockOn !== undefined ? [t.lockOn] : []),
      ...t.tables,
      ...t.storage,
      ...t.indexes,
      ...t.also,
      ...(t.other !== undefined ? [t.other] : []),
    ]),
  );
  return [...effect.took]
    .filter(([oid, lock]) => !effect.created.has(oid) && !named.has(oid) && blocksWrites(lock) && TABLE_KINDS.has(book.get(oid)?.kind ?? ''))
    .map(([oid, lock]) => ({ relation: present(book.get(oid)).name, lock }))
    .sort((a, b) => (a.relation < b.relation ? -1 : a.relation > b.relation ? 1 : 0));
}

/** The locks a statement took on relations that existed before it (a relation it creates is its own). */
function locksTaken(effect: StatementEffect, book: RelationBook): StatementTrace['locks'] {
  return [...effect.took]
    .filter(([oid]) => !effect.created.has(oid))
    .map(([oid, lock]) => ({ rel: book.get(oid), lock }))
    .filter((x) => x.rel)
    .map(({ rel, lock }) => ({ relation: present(rel).name, kind: present(rel).kind, lock }))
    .sort((a, b) => (a.relation < b.relation ? -1 : a.relation > b.relation ? 1 : 0));
}

function observedRow(t: RowTargets, e: StatementEffect, book: RelationBook): ObservedRow {
  if (t.tableless) return anywhere(e, book);
  if (t.lockOn === undefined) return { lock: null, rewrites: false, scans: false, absent: true };
  const held = e.heldBefore.get(t.lockOn);
  const indexLock = t.indexes.reduce<LockMode | undefined>((a, oid) => strongest(a, e.took.get(oid)), undefined);
  return {
    lock: e.took.get(t.lockOn) ?? null,
    rewrites: t.storage.some((oid) => e.rewritten.has(oid)),
    scans: t.tables.some((oid) => e.scanned.has(oid)),
    ...(held ? { held } : {}),
    ...(indexLock ? { indexLock } : {}),
    ...(t.other !== undefined ? { other: e.took.get(t.other) ?? null } : {}),
  };
}

/** What a statement without a table of its own did to the relations that existed before it. */
function anywhere(e: StatementEffect, book: RelationBook): ObservedRow {
  let lock: LockMode | undefined;
  let on: number | undefined;
  for (const [oid, mode] of e.took) {
    if (e.created.has(oid) || strongest(lock, mode) === lock) continue;
    lock = mode;
    on = oid;
  }
  const existing = (oids: Set<number>) => [...oids].some((oid) => !e.created.has(oid));
  return {
    lock: lock ?? null,
    rewrites: existing(e.rewritten),
    scans: existing(e.scanned),
    ...(on !== undefined ? { on: book.get(on)?.name ?? String(on) } : {}),
  };
}

/** A no-transaction file: each statement in a transaction of its own (as autocommit runs it), or, where PostgreSQL refuses one, behind a holder. */
async function runOutside(copy: CopyConnection, m: Migration, byPlace: Map<string, StatementLockReport[]>): Promise<StatementTrace[]> {
  const traces: StatementTrace[] = [];
  for (const batch of bodyBatches(m, 64 * 1024)) {
    for (const s of batch) {
      const rows = byPlace.get(place(m.file, s.line, s.column));
      if (traces.some((t) => t.error)) {
        if (rows)
          traces.push({ file: m.file, line: s.line, column: s.column, locks: [], rows: rows.map(unobserved), skipped: 'not run: an earlier statement failed' });
        continue;
      }
      const kind = classifySql(s.text).kind;
      if (refusesTransactionBlock(kind)) traces.push(await watchOutside(copy, m.file, s, rows ?? []));
      else if (mayEndTransactions(kind) || !rows) await runQuietly(copy.session, s.text, traces, m, s);
      else traces.push(...(await runInTransactionOf(copy, m, s, rows)));
    }
  }
  return traces.filter((t) => t.rows.length || t.error);
}

/** One statement of a no-transaction file in a transaction of its own, committed. */
async function runInTransactionOf(copy: CopyConnection, m: Migration, s: { text: string; line: number; column: number }, rows: StatementLockReport[]) {
  const { session } = copy;
  await session.query('BEGIN');
  let trace: StatementTrace | undefined;
  try {
    trace = await watchInTransaction(session, new RelationBook(), m.file, s, rows);
  } finally {
    await session.query(trace && !trace.error ? 'COMMIT' : 'ROLLBACK');
  }
  return [trace];
}

async function watchOutside(
  copy: CopyConnection,
  file: string,
  s: { text: string; line: number; column: number },
  rows: StatementLockReport[],
): Promise<StatementTrace> {
  const targets = rows.length ? await resolveTargets(copy.session, rowNames(s.text, rows)) : [];
  const first = targets[0] ?? { storage: [], tables: [], indexes: [], also: [] };
  const seen = await observeOutside(copy.driver, copy.session, s.text, first, copy.major);
  const base = { file, line: s.line, column: s.column, outside: true as const };
  if (seen.error) return { ...base, locks: [], rows: rows.map(unobserved), error: errorText(seen.error) };
  const row: ObservedRow = { lock: seen.lock, rewrites: seen.rewrites, scans: seen.scans, ...(first.lockOn === undefined ? { absent: true as const } : {}) };
  return { ...base, locks: [], rows: rows.map((_r, k) => (k === 0 ? row : unobserved())) };
}

/** `SQLSTATE: message` of a failure. */
export function errorText(e: unknown): string {
  const err = e as { code?: string; message?: string };
  return `${err.code ? `${err.code}: ` : ''}${err.message ?? String(e)}`;
}
