/**
 * `capture`: the application's real statements, from pg_stat_statements,
 * as contract candidates. What the server must provide is checked first
 * (`requirements.ts`); each statement seen at least `minCalls` times in this
 * database is parsed, kept when it is the application's (`classify.ts`),
 * made a valid contract (`restore.ts`), and compared with the contracts
 * already there and the migrations' own statements by fingerprint (constants,
 * parameter numbers, layout and comments do not count). Reads only; writing
 * the files is the caller's (the CLI's `capture`). A statement is written
 * and shown only as `normalise.ts` makes it (no comment, every constant a
 * parameter); a skipped one's text is not shown at all (a `SET` of a
 * secret, a statement with a literal left in it).
 */
import { InputError } from '../../engine/errors/errors';
import type { Driver, Queryable } from '../../engine/ports';
import type { Migration } from '../../engine/files/source';
import { DEFAULT_STATE_SCHEMA } from '../../engine/state/state';
import { parseContract, type Contract } from '../contracts';
import { fingerprint, firstToken, loadParser, parseSql } from '../parser/parse';
import { classify } from './classify';
import { contractText, fileNamer } from './contract-file';
import { literalCount, normalised, unknownQuotedNames, withoutQuotedText } from './normalise';
import { readStatements, type StatRow } from './read-statements';
import { assertCaptureAvailable } from './requirements';
import { restoreArbiterPredicates, restoreTypedLiterals } from './restore';
import { plural } from '../../engine/errors/words';
import { present } from '../../engine/errors/present';

export { CaptureUnavailableError } from './requirements';

export interface CapturedStatement {
  /** pg_stat_statements' id of the statement. */
  queryid: string;
  calls: number;
  /**
   * New or present: the statement as capture writes it (no comment, every
   * constant a parameter). Absent for a skipped one: its text may hold what
   * no parameter replaced (a `SET` of a key, a literal left in it).
   */
  query?: string;
  /**
   * `new`: a contract to write (`file`, `contract`); `present`: a contract
   * (`file`) or a migration already has it; `skipped`: not usable (`reason`).
   */
  status: 'new' | 'present' | 'skipped';
  /** New: the file to write, in the contracts directory. Present: the contract or migration file that has it. */
  file?: string;
  /** New: the contract file's text. */
  contract?: string;
  /** Skipped: why. */
  reason?: string;
  /** Skipped because it is not the application's (a catalog, utility or schemaguard statement). */
  notApplication?: boolean;
}

/** Where capture reads: a driver (a session is opened and closed) or an open session (left open). */
export type CaptureTarget = { driver: Driver; session?: never } | { session: Queryable; driver?: never };

export type CaptureOptions = CaptureTarget & {
  /** The contracts already there (their statements are not captured again; their names are taken). */
  contracts: Contract[];
  /** The migrations: their own statements are not the application's. @default [] */
  migrations?: Migration[];
  /** Only statements executed at least this often. @default 5 */
  minCalls?: number;
  /** @default 'schemaguard' */
  stateSchema?: string;
};

export interface CaptureReport {
  /** Most called first. */
  statements: CapturedStatement[];
  minCalls: number;
}

/**
 * The application's statements from pg_stat_statements as contract
 * candidates: new (with the file name and text to write), present, or skipped
 * with the reason. Reads only. Throws CaptureUnavailableError (exit code 2)
 * naming everything the server lacks.
 */
export async function captureStatements(options: CaptureOptions): Promise<CaptureReport> {
  const minCalls = options.minCalls ?? 5;
  if (!Number.isSafeInteger(minCalls) || minCalls < 1)
    throw new InputError(`minCalls must be a whole number of at least 1, not ${minCalls}`, { value: String(minCalls), fix: 'e.g. 5' });
  await loadParser();
  const own = options.session ? undefined : await options.driver.connect();
  const q = options.session ?? present(own);
  try {
    const pgss = await assertCaptureAvailable(q);
    const known = knownFingerprints(options.contracts, options.migrations ?? []);
    const nextFile = fileNamer(options.contracts);
    const statements: CapturedStatement[] = [];
    const ctx: CaptureContext = { known, nextFile, stateSchema: options.stateSchema ?? DEFAULT_STATE_SCHEMA, thisRun: new Set() };
    for (const row of await readStatements(q, pgss, minCalls)) {
      const captured = await captureOne(q, row, ctx);
      if (captured) statements.push(captured);
    }
    return { statements, minCalls };
  } finally {
    if (own) await own.close();
  }
}

/** How a query or data change can start. */
const QUERY_WORDS = new Set(['select', 'insert', 'update', 'delete', 'merge', 'with', 'values', 'table', '(']);

interface CaptureContext {
  /** Fingerprint → the contract or migration file that has it (new captures are added as they come). */
  known: Map<string, string>;
  nextFile: (stem: string) => string;
  stateSchema: string;
  /** Fingerprints captured by this run: the same statement under another role is listed once. */
  thisRun: Set<string>;
}

function knownFingerprints(contracts: readonly Contract[], migrations: readonly Migration[]): Map<string, string> {
  const known = new Map<string, string>();
  for (const m of migrations) {
    for (const s of m.statements) {
      try {
        known.set(fingerprint(s.text), m.file);
      } catch {
        /* not parsable alone (a DO body): not a statement pg_stat_statements shows */
      }
    }
  }
  for (const c of contracts) known.set(fingerprint(c.statement), c.file);
  return known;
}

async function captureOne(q: Queryable, row: StatRow, ctx: CaptureContext): Promise<CapturedStatement | undefined> {
  const base = { queryid: row.queryid, calls: row.calls };
  let parsed;
  try {
    parsed = parseSql(row.query).statements;
  } catch (e) {
    // pg_stat_statements of PostgreSQL 18 writes utility statements' names as $n too (SAVEPOINT $1).
    if (!QUERY_WORDS.has(firstToken(row.query) ?? ''))
      return { ...base, status: 'skipped', reason: 'a utility statement, not a query or data change', notApplication: true };
    return { ...base, status: 'skipped', reason: `not parsable: ${withoutQuotedText((e as Error).message)}` };
  }
  if (parsed.length !== 1) return { ...base, status: 'skipped', reason: `${parsed.length} statements in one entry` };
  const kind = await classify(q, parsed[0], ctx.stateSchema);
  if (!kind.application) return { ...base, status: 'skipped', reason: kind.reason, notApplication: true };
  const print = fingerprint(row.query);
  if (ctx.thisRun.has(print)) return undefined;
  ctx.thisRun.add(print);
  const present = ctx.known.get(print);
  if (present) return { ...base, query: shown(row.query), status: 'present', file: present };
  const made = await makeContract(q, row, `${kind.table}_${kind.kind}`, ctx);
  if ('reason' in made) return { ...base, status: 'skipped', reason: made.reason };
  return { ...base, query: shown(row.query), status: 'new', file: made.file, contract: made.contract };
}

/** The statement as capture shows it: normalised, on one line. */
function shown(query: string): string {
  return normalised(query).replace(/\s+/g, ' ');
}

/** The statement as a contract file that parses as one: constants restored where a parameter cannot stand. */
async function makeContract(q: Queryable, row: StatRow, stem: string, ctx: CaptureContext): Promise<{ file: string; contract: string } | { reason: string }> {
  const draft = `${stem}.sql`;
  try {
    const text = normalised(row.query);
    const left = literalCount(text);
    if (left) return { reason: `${plural(left, 'constant')} where no parameter can stand, not shown (a constant may be data): write this contract by hand` };
    const typed = restoreTypedLiterals(text);
    const restored = await restoreArbiterPredicates(q, typed, await parseContract(draft, typed));
    if ('unrestored' in restored) {
      return {
        reason: `its ON CONFLICT predicate had constants that pg_stat_statements replaced (${restored.unrestored.join(', ')}), and no unique index of its table has a predicate of that form to take them from`,
      };
    }
    const unknown = await unknownQuotedNames(q, parseSql(restored.text).statements[0], restored.text);
    if (unknown)
      return {
        reason: `${plural(unknown, 'quoted name')} neither in the catalog nor defined by the statement, not shown (such a name may be data): write this contract by hand`,
      };
    const contract = contractText(row, restored.text);
    await parseContract(draft, contract);
    return { file: ctx.nextFile(stem), contract };
  } catch (e) {
    if (e instanceof InputError) return { reason: withoutQuotedText(e.message) };
    throw e;
  }
}
