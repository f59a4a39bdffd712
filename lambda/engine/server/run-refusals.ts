/**
 * What `migrate` refuses through a URL before it runs anything, once the
 * files and the recorded state agree (an old server, another tool's history,
 * a file the connection cannot run, backslash strings with
 * standard_conforming_strings off). One list, so that `migrate` (stopping at
 * the first refusal, each at its step of `runner.ts`) and `plan` (naming
 * every refusal) agree on them and their order.
 */
import { MigrationError } from '../errors/errors';
import { emptyForeignHistoryNote, foreignHistoryNote, foreignHistoryRefusal, foreignHistoryTables } from '../foreign-history/foreign-tables';
import type { Migration } from '../files/migration';
import type { Driver, Queryable, Session } from '../ports';
import { unsupportedServer } from './server-majors';
import { refuseEscapedStrings } from './standard-strings';

/** The steps of migrate's run at which it checks, in the order it reaches them. */
export const RUN_STEPS = ['state-read', 'files-parsed', 'session-open'] as const;
export type RunStep = (typeof RUN_STEPS)[number];

/** What the checks read. */
export interface RunFacts {
  driver: Pick<Driver, 'assertRunnable'>;
  /** Reads the catalog: the runner lock's own connection, or the one session. */
  reader: Queryable;
  /** The session that applies the files, connected when first asked for. */
  session(): Promise<Pick<Session, 'standardStrings' | 'query'>>;
  pending: Migration[];
  /** Schemaguard has recorded nothing here yet. */
  firstRun: boolean;
  /** migrate's `ignoreForeignHistory`: another tool's history is noted instead of refused. */
  ignoreForeignHistory?: boolean;
  /** migrate's `firstRunCheck`: the caller's own refusal of a first run, made before the engine's checks. */
  firstRunCheck?: FirstRunCheck;
  /** The caller's own checks (the replication check), made at their steps after the engine's. @default - none */
  checks?: readonly RunCheck[];
}

/**
 * A caller's own check of a first run (schemaguard has recorded nothing, files
 * are pending), read before anything runs: the custom resource refuses a
 * database that already has tables unless its `baseline` says what they are.
 */
export type FirstRunCheck = (reader: Queryable, pending: Migration[]) => Promise<MigrationError | undefined>;

/** One check's answer: what migrate would refuse (with its fix), or a note it says and goes on. */
export interface RunCheckResult {
  refusal?: MigrationError;
  note?: string;
}

/** A check migrate makes at one step of its run (the caller's own come through `RunFacts.checks`). */
export interface RunCheck {
  step: RunStep;
  check(facts: RunFacts): Promise<RunCheckResult>;
}

/**
 * A server older than the oldest supported major: nothing is run on it. Nothing pending runs nothing: a no-op asks
 * nothing more, and neither does a reader that read the version on connecting.
 */
async function serverMajor(facts: RunFacts): Promise<RunCheckResult> {
  if (facts.pending.length === 0) return {};
  const known = (facts.reader as Partial<Pick<Session, 'serverVersion'>>).serverVersion;
  const v = known ?? Number((await facts.reader.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0].v);
  const refused = unsupportedServer(v);
  return refused ? { refusal: new MigrationError(refused.message, { fix: refused.fix }) } : {};
}

/** The caller's own check of a first run with files pending. */
async function callersFirstRun(facts: RunFacts): Promise<RunCheckResult> {
  if (!facts.firstRunCheck || !facts.firstRun || facts.pending.length === 0) return {};
  return { refusal: await facts.firstRunCheck(facts.reader, facts.pending) };
}

/** A first run with files pending where another tool's history table is: refused (baseline first), or noted when it records no applied migration. */
async function foreignHistory(facts: RunFacts): Promise<RunCheckResult> {
  if (!facts.firstRun || facts.pending.length === 0) return {};
  const found = await foreignHistoryTables(facts.reader);
  if (found.length === 0) return {};
  const none = await emptyForeignHistoryNote(facts.reader, found);
  if (none) return { note: none };
  if (facts.ignoreForeignHistory) return { note: await foreignHistoryNote(facts.reader, found) };
  return { refusal: await foreignHistoryRefusal(facts.reader, found, facts.pending.length) };
}

/** What the driver cannot run through this connection (a no-transaction file through a pooler). */
async function driverRefusal(facts: RunFacts): Promise<RunCheckResult> {
  try {
    await facts.driver.assertRunnable?.(facts.pending);
    return {};
  } catch (e) {
    if (!(e instanceof MigrationError)) throw e;
    return { refusal: e };
  }
}

/** A pending file with a backslash in a '…' string, where the session reads it as an escape. */
async function escapedStrings(facts: RunFacts): Promise<RunCheckResult> {
  if (facts.pending.length === 0) return {};
  const session = await facts.session();
  if (session.standardStrings !== false) return {};
  try {
    refuseEscapedStrings(facts.pending, (await session.query<{ d: string }>('SELECT current_database() AS d')).rows[0].d);
    return {};
  } catch (e) {
    if (!(e instanceof MigrationError)) throw e;
    return { refusal: e };
  }
}

/** Every check, in the order migrate makes them (their steps in the order of `RUN_STEPS`). */
export const RUN_CHECKS: readonly RunCheck[] = [
  { step: 'state-read', check: serverMajor },
  { step: 'state-read', check: callersFirstRun },
  { step: 'state-read', check: foreignHistory },
  { step: 'files-parsed', check: driverRefusal },
  { step: 'session-open', check: escapedStrings },
];

/** The engine's checks and the caller's, in the order of their steps. */
function checksOf(facts: RunFacts): RunCheck[] {
  const all = [...RUN_CHECKS, ...(facts.checks ?? [])];
  return RUN_STEPS.flatMap((step) => all.filter((c) => c.step === step));
}

/** migrate: makes the checks of `step` in order and throws the first refusal; returns the notes to say. */
export async function refuseAtStep(step: RunStep, facts: RunFacts): Promise<string[]> {
  const notes: string[] = [];
  for (const c of checksOf(facts).filter((k) => k.step === step)) {
    const r = await c.check(facts);
    if (r.refusal) throw r.refusal;
    if (r.note) notes.push(r.note);
  }
  return notes;
}

/** plan: every refusal migrate would meet through this connection, in the order it meets them, and the notes it would say. */
export async function runRefusals(facts: RunFacts): Promise<{ refusals: MigrationError[]; notes: string[] }> {
  const refusals: MigrationError[] = [];
  const notes: string[] = [];
  for (const c of checksOf(facts)) {
    const r = await c.check(facts);
    if (r.refusal) refusals.push(r.refusal);
    if (r.note) notes.push(r.note);
  }
  return { refusals, notes };
}
