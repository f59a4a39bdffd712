/**
 * What one migration file says, read in one pass of the statement scanner
 * (`sql/splitter.ts`): its header directives, its body statements, its checks
 * and its allowances. The scanner hands statements and comments over in the
 * order they appear; a `-- schemaguard:check` line starts a check, and every
 * statement after it up to the next one is that check's.
 *
 * The text can arrive in pieces (a large file read in chunks): the parser
 * keeps the body's statements only when asked to (`keepStatements`), and
 * otherwise only counts them, so a 16 MiB file is validated in the memory of
 * its longest statement.
 *
 * Every problem of the file is reported at once (`InputProblems`), in order
 * of line, so one run names them all: the scanner steps over what is not SQL
 * (a psql meta-command, a placeholder) and the parser goes on past its own
 * refusals (transaction control, transaction modes: `transaction-modes.ts`;
 * the first 50 of each kind, the others counted). Only text left open (a
 * string, a comment) ends the file. Each is an InputError (exit 2) with file
 * and line. A body without statements is a no-op, not an error (`source.ts`).
 */
import { downMarker, downSectionError, type DownMarker } from './down-section';
import { DURATION_FORMAT_HINT, MAX_DURATION_MS, parseDuration } from './duration';
import { InputError } from '../errors/errors';
import { InputProblems } from '../errors/input-problems';
import { readBackfillStatement } from './backfill-statement';
import { foreignMarkerAdvice, foreignNoTransactionFileName, foreignNoTransactionMarker, type ForeignNoTransactionMarker } from './foreign-no-transaction';
import type { Allowance, Check, MigrationDirectives } from './migration';
import { classifyStatement, refusesTransactionBlock, TRANSACTION_WORDS, type StatementClass } from '../sql/classify';
import {
  isSetTransaction,
  refusedTransactionSetting,
  setTransactionError,
  TRANSACTION_SETTINGS,
  transactionModesAdvice,
  transactionSettingError,
} from './transaction-modes';
import { afterBackfillArgument, allowArgument, checksumArgument, DIRECTIVE_FORMS, readDirectives, type Directive } from '../sql/directives';
import { isComment, lexSql, tokenize, type Token } from '../sql/lexer';
import { readsAsTrue, settingChanges, type SettingChange } from '../sql/settings';
import { isCopyFromStdin, textIncludes, type LineComment, type ScanSink, type SqlStatement } from '../sql/splitter';
import { present } from '../errors/present';

/** drizzle-kit's statement separator (its migrator splits a file's text on it). */
const BREAKPOINT = '--> statement-breakpoint';

const HEADER_DIRECTIVES = new Set(['no-transaction', 'lock-timeout', 'statement-timeout', 'valid-checksum', 'replication-planned', 'after-backfill']);

export interface ParsedFile {
  directives: MigrationDirectives;
  allowances: Allowance[];
  checks: Check[];
  /** The body's statements, when kept. */
  statements?: SqlStatement[];
  /** How many statements the body has. */
  statementCount: number;
  /** The statement after `-- schemaguard:backfill`, run in batches once the body committed; not one of the body's. */
  backfill?: SqlStatement;
}

/** A refused `SET TRANSACTION`, or a change of a transaction-mode setting (`setting`): what its refusal shows. */
type SetTransaction = Pick<SqlStatement, 'line' | 'words' | 'text'> & { setting?: SettingChange };

interface CheckRegion {
  line: number;
  directive: Directive;
  statements: SqlStatement[];
}

export class MigrationParser implements ScanSink {
  private readonly directives: Directive[] = [];
  private readonly checkRegions: CheckRegion[] = [];
  private readonly kept: SqlStatement[] = [];
  private count = 0;
  private firstStatementLine = Number.POSITIVE_INFINITY;
  /** Each body statement of transaction control, and each that refuses a transaction block (the first REFUSALS_KEPT of each, the others counted): judged once the directives are known. */
  private readonly controls = new Refusals();
  private readonly blockRefusing = new Refusals();
  /** Each body statement `SET TRANSACTION …`, or that sets a transaction-mode setting: refused, every one, once the directives are known. */
  private readonly setTransactions: SetTransaction[] = [];
  /** A check directive found inside a statement. */
  private splitBy?: { directive: Directive; statement: SqlStatement };
  /** Another tool's down-section marker (`-- Down Migration`, `-- +goose Down`, …): a statement after it is refused. */
  private down?: DownMarker;
  /** Another tool's no-transaction marker (`-- morph:nontransactional`, …): named in the fix when the file is refused for running in a transaction. */
  private foreignNoTransaction?: ForeignNoTransactionMarker;
  /** Lines of drizzle's `--> statement-breakpoint` comments since the last statement. */
  private breakpoints: number[] = [];
  /** Whether a statement below the down marker was refused (once for the section). */
  private downRefused = false;
  /** Whether a statement set standard_conforming_strings off (refused): the text after it is not read as the server would. */
  private stringsOff = false;
  private readonly problems = new InputProblems();
  /** The `-- schemaguard:backfill` line, until the statement after it is read. */
  private backfillMark?: Directive;
  /** The statement it marks. */
  private backfill?: SqlStatement;

  private readonly keepStatements: boolean;
  private readonly onStatement?: (s: SqlStatement) => void;
  private readonly concurrentlyInTransaction: boolean;
  private readonly serverMajor?: number;

  /**
   * `keepStatements`: hold the body's statements; `onStatement`: hand each one over as it is found;
   * `concurrentlyInTransaction`: CONCURRENTLY in a transactional file is not refused (lint reports it as a finding);
   * `serverMajor`: the target server's major version, where known (`lint --server-version`): syntax it lacks is refused as such.
   */
  constructor(
    private readonly file: string,
    options: { keepStatements: boolean; onStatement?: (s: SqlStatement) => void; concurrentlyInTransaction?: boolean; serverMajor?: number },
  ) {
    this.keepStatements = options.keepStatements;
    this.onStatement = options.onStatement;
    this.concurrentlyInTransaction = options.concurrentlyInTransaction === true;
    if (options.serverMajor !== undefined) this.serverMajor = options.serverMajor;
  }

  comment(c: LineComment): void {
    if (c.text.includes(BREAKPOINT)) this.breakpoints.push(c.line);
    this.down ??= downMarker(c);
    this.foreignNoTransaction ??= foreignNoTransactionMarker(c);
    for (const d of readDirectives([c])) {
      this.directives.push(d);
      if (d.name === 'check' && !d.nearMiss) this.checkRegions.push({ line: d.line, directive: d, statements: [] });
      if (d.name === 'backfill' && !d.nearMiss) this.markBackfill(d);
    }
  }

  problem(error: InputError, leftOpen?: boolean): void {
    // After standard_conforming_strings set off, a string left open is that setting's doing: its refusal says so.
    if (leftOpen && this.stringsOff) return;
    this.problems.add(error);
  }

  statement(s: SqlStatement): void {
    this.refuseCutByBreakpoint(s);
    // What follows it is not read as psql reads it (data lines, strings).
    const changes = watchedChanges(s);
    const unlike = unlikePsql(this.file, s, changes);
    if (unlike) this.problems.add(unlike);
    this.stringsOff ||= unlike !== undefined && !isCopyFromStdin(s.words);
    // A marker inside a statement (the statement began above it) is that statement's comment, not a section.
    if (this.down && s.line < this.down.line) this.down = undefined;
    // It would undo the up section in the same run; the section's other statements are its own.
    if (this.down) {
      if (!this.downRefused) this.problems.add(downSectionError(this.file, this.down, s.line));
      this.downRefused = true;
      return;
    }
    this.firstStatementLine = Math.min(this.firstStatementLine, s.line);
    const region = this.checkRegions.at(-1);
    if (region && s.line < region.line) this.splitBy ??= { directive: region.directive, statement: s };
    if (region) {
      region.statements.push(s);
      return;
    }
    if (this.backfillStatement(s)) return;
    this.count++;
    if (this.keepStatements) this.kept.push(s);
    this.onStatement?.(s);
    this.judge(s, changes);
  }

  /** A second backfill line in the file: refused (one backfill a file, its last statement). */
  private markBackfill(d: Directive): void {
    if (this.backfillMark || this.backfill) {
      this.problems.add(
        new InputError(`${this.file}:${d.line}: a second schemaguard:backfill in one file`, {
          file: this.file,
          line: d.line,
          value: d.text.trim(),
          fix: 'one backfill a file: put the other in a file of its own (each file expands, then backfills)',
        }),
      );
      return;
    }
    this.backfillMark = d;
  }

  /**
   * True when `s` is the backfill statement (the first after its line), kept
   * apart from the body; a body statement after it is refused: the body
   * commits before the backfill runs, so it would run before it, unlike its place.
   */
  private backfillStatement(s: SqlStatement): boolean {
    if (this.backfillMark && s.line > this.backfillMark.line) {
      this.backfill = s;
      this.backfillMark = undefined;
      return true;
    }
    if (this.backfill) {
      this.problems.add(
        new InputError(`${this.file}:${s.line}: a statement after the backfill statement (line ${this.backfill.line})`, {
          file: this.file,
          line: s.line,
          value: s.text.slice(0, 80),
          fix: `the backfill runs after the rest of the file has committed: move this statement above it, or into a later file that starts with -- schemaguard:after-backfill ${this.file}`,
        }),
      );
    }
    return false;
  }

  /**
   * drizzle's migrator cuts a file at each `--> statement-breakpoint` and
   * sends each piece as a statement; schemaguard ends a statement at its `;`.
   * A breakpoint inside a statement (before its `;`) makes the two read
   * different statements: refused with its line.
   */
  private refuseCutByBreakpoint(s: SqlStatement): void {
    const inside = this.breakpoints.find((line) => line > s.line);
    this.breakpoints = [];
    if (inside === undefined) return;
    this.problems.add(
      new InputError(
        `${this.file}:${inside}: "${BREAKPOINT}" inside the statement that starts on line ${s.line}: drizzle's migrator sends the text on each side of it as a statement of its own, schemaguard the whole statement up to its ;`,
        {
          file: this.file,
          line: inside,
          value: BREAKPOINT,
          fix: `end the statement with ; before the breakpoint (drizzle-kit writes "...;${BREAKPOINT}"), so that both read the same statements`,
        },
      ),
    );
  }

  /** Notes what of a body statement is refused once the directives are known. */
  private judge(s: SqlStatement, changes: readonly SettingChange[]): void {
    const c = classifyStatement(s);
    const kind = c.kind;
    if (kind === 'transaction-control') this.controls.add(s, c);
    // What its refusal shows, not the statement (a file may hold thousands).
    else if (isSetTransaction(s.words)) this.setTransactions.push({ line: s.line, words: s.words.slice(0, 16), text: s.text.slice(0, 80) });
    else if (kind === 'do-commits' || (refusesTransactionBlock(kind) && !(kind === 'concurrently' && this.concurrentlyInTransaction)))
      this.blockRefusing.add(s, c);
    const setting = refusedTransactionSetting(changes);
    if (setting) this.setTransactions.push({ line: s.line, words: [], text: s.text.slice(0, 80), setting });
  }

  /** Everything read: the file's meaning, or its problems (InputError, or InputProblemsError for several, in order of line). */
  finish(): ParsedFile {
    const { directives, allowances } = this.readDirectives();
    // A check inside a statement is not judged as a check: the statement is cut in two.
    if (this.splitBy) this.problems.add(this.splitError(this.splitBy.directive, this.splitBy.statement));
    const checks = this.splitBy ? [] : this.checkRegions.map((r) => this.problems.attempt(() => this.check(r))).filter((c): c is Check => c !== undefined);
    // Every statement in the file that cannot run where this file runs it
    // (those refusing a transaction block not judged when the no-transaction directive is misspelt: which it is, is not known).
    const noTransactionMisspelt = this.directives.some((d) => d.nearMiss && d.name === 'no-transaction');
    const judged = directives.noTransaction || noTransactionMisspelt ? [this.controls] : [this.controls, this.blockRefusing];
    for (const refusals of judged) {
      for (const r of refusals.kept) this.problems.attempt(() => this.validate(r, directives));
      this.problems.countMore(refusals.more);
    }
    for (const s of this.setTransactions) {
      this.problems.add(
        s.setting ? transactionSettingError(this.file, s, s.setting, directives.noTransaction) : setTransactionError(this.file, s, directives.noTransaction),
      );
    }
    this.problems.attempt(() => this.readBackfill(directives));
    this.problems.throwIfAny();
    return {
      directives,
      allowances,
      checks,
      statements: this.keepStatements ? this.kept : undefined,
      statementCount: this.count,
      ...(this.backfill ? { backfill: this.backfill } : {}),
    };
  }

  /** The backfill statement, refused where batching cannot run it (`backfill/statement.ts`), in a no-transaction file, or missing after its line. */
  private readBackfill(directives: MigrationDirectives): void {
    const file = this.file;
    if (this.backfillMark) {
      throw new InputError(`${file}:${this.backfillMark.line}: schemaguard:backfill with no statement after it`, {
        file,
        line: this.backfillMark.line,
        value: this.backfillMark.text.trim(),
        fix: 'put the UPDATE that fills the new column right after the line, as the last statement of the body (before any check)',
      });
    }
    if (!this.backfill) return;
    if (directives.noTransaction) {
      throw new InputError(`${file}:${this.backfill.line}: a backfill in a no-transaction file`, {
        file,
        line: this.backfill.line,
        fix: 'put the backfill in a file of its own without -- schemaguard:no-transaction: its expand commits in one transaction with the backfill recorded',
      });
    }
    readBackfillStatement(file, this.backfill);
  }

  private readDirectives(): { directives: MigrationDirectives; allowances: Allowance[] } {
    const directives: MigrationDirectives = { noTransaction: false };
    const allowances: Allowance[] = [];
    for (const d of this.directives) this.problems.attempt(() => this.readDirective(d, directives, allowances));
    return { directives, allowances };
  }

  private readDirective(d: Directive, directives: MigrationDirectives, allowances: Allowance[]): void {
    if (d.nearMiss) {
      throw new InputError(
        `${this.file}:${d.line}: "${d.text.trim()}" is not read as a directive: schemaguard reads "-- schemaguard:${d.name}" only as written so (lower case, no space around the colon), and would take this line for a plain comment`,
        {
          file: this.file,
          line: d.line,
          value: d.text.trim(),
          fix: `write the line as: ${d.nearMiss.canonical}`,
        },
      );
    }
    if (HEADER_DIRECTIVES.has(d.name)) this.readHeaderDirective(d, directives);
    else if (d.name === 'check') checkDescription(this.file, d);
    else if (d.name === 'backfill') noArgument(this.file, d);
    else if (d.name === 'allow') allowances.push(allowance(this.file, d));
    else {
      throw new InputError(`${this.file}:${d.line}: unknown directive schemaguard:${d.name}`, {
        file: this.file,
        line: d.line,
        value: d.text.trim(),
        fix: `known directives: ${DIRECTIVE_FORMS}`,
      });
    }
  }

  private readHeaderDirective(d: Directive, directives: MigrationDirectives): void {
    const file = this.file;
    if (d.line > this.firstStatementLine) {
      throw new InputError(`${file}:${d.line}: directive schemaguard:${d.name} must come before the first statement`, {
        file,
        line: d.line,
        value: d.text.trim(),
        fix: 'move it to the comment block at the top of the file',
      });
    }
    if (d.name === 'no-transaction') {
      if (d.argument.trim() !== '') {
        throw new InputError(`${file}:${d.line}: schemaguard:no-transaction takes no value`, {
          file,
          line: d.line,
          value: d.text.trim(),
          fix: 'write the line as: -- schemaguard:no-transaction',
        });
      }
      directives.noTransaction = true;
      return;
    }
    if (d.name === 'valid-checksum') {
      (directives.validChecksums ??= []).push(validChecksum(file, d));
      return;
    }
    if (d.name === 'replication-planned') {
      directives.replicationPlanned = replicationReason(file, d);
      return;
    }
    if (d.name === 'after-backfill') {
      (directives.afterBackfill ??= []).push(afterBackfillFile(file, d));
      (directives.afterBackfillLines ??= []).push(d.line);
      return;
    }
    refuseMissingEquals(file, d);
    const v = /^\s*=\s*(\S+)\s*$/.exec(d.argument);
    // A number with a unit too large to hold exactly is out of range, not malformed.
    const ms = v ? (parseDuration(v[1]) ?? (/^\d+(?:\.\d+)?(?:ms|s|m|min|h)$/.test(v[1]) ? Infinity : undefined)) : undefined;
    if (ms === undefined) {
      throw new InputError(`${file}:${d.line}: schemaguard:${d.name} has a bad duration "${d.argument.replace(/^\s*=\s*/, '').trim()}"`, {
        file,
        line: d.line,
        value: d.argument.trim(),
        fix: `${DURATION_FORMAT_HINT}, e.g. -- schemaguard:${d.name}=5s`,
      });
    }
    if (ms > MAX_DURATION_MS) {
      throw new InputError(
        `${file}:${d.line}: schemaguard:${d.name}=${present(v)[1]} is out of range (from 0 to ${MAX_DURATION_MS}ms, about 596h: PostgreSQL's largest ${d.name.replace('-', '_')})`,
        {
          file,
          line: d.line,
          value: present(v)[1],
          fix: `write a duration from 0 to 596h, e.g. -- schemaguard:${d.name}=5s (0 = none)`,
        },
      );
    }
    if (d.name === 'lock-timeout') directives.lockTimeoutMs = ms;
    else directives.statementTimeoutMs = ms;
  }

  /** The one query after a check directive (undefined for a directive without a description: refused with the directives). */
  private check(r: CheckRegion): Check | undefined {
    const file = this.file;
    const description = r.directive.argument.trim();
    if (!description) return undefined;
    if (r.statements.length !== 1) {
      throw new InputError(`${file}:${r.line}: check "${description}" must be exactly one query (found ${r.statements.length})`, {
        file,
        line: r.line,
        fix: 'follow each -- schemaguard:check line with one SELECT that returns the offending rows',
      });
    }
    const stmt = r.statements[0];
    if (classifyStatement(stmt).kind !== 'query') {
      throw new InputError(
        `${file}:${stmt.line}: check "${description}" must be a query (SELECT/WITH/VALUES/TABLE), found ${(stmt.words[0] ?? '').toUpperCase()}`,
        {
          file,
          line: stmt.line,
          value: stmt.text.slice(0, 80),
          fix: 'a check returns the rows that violate it; move changes into the migration body',
        },
      );
    }
    return { description, statement: stmt };
  }

  private splitError(d: Directive, s: SqlStatement): InputError {
    return new InputError(`${this.file}:${d.line}: schemaguard:check inside the statement that starts on line ${s.line}`, {
      file: this.file,
      line: d.line,
      value: d.text.trim(),
      fix: 'end the statement with ; before the check line; a check starts after the body (or the previous check)',
    });
  }

  /** Refuse transaction control anywhere, and what cannot run in a transaction block in a transactional file. */
  private validate(s: Refusal, directives: MigrationDirectives): void {
    const file = this.file;
    const c = s.c;
    if (c.kind === 'transaction-control') {
      const [where, fix] = directives.noTransaction
        ? [
            'in a no-transaction file',
            'a no-transaction file runs each statement on its own; split transactional work into a separate migration without the directive',
          ]
        : ['inside a transactional migration', 'remove it: schemaguard wraps each migration in its own transaction together with its state row and checks'];
      const modes = transactionModesAdvice(s.words);
      throw new InputError(`${file}:${s.line}: ${c.keyword} ${where}`, {
        file,
        line: s.line,
        value: s.text.slice(0, 80),
        fix: modes ? `${fix}. ${modes}` : fix,
      });
    }
    if (!directives.noTransaction && c.kind === 'do-commits') {
      throw new InputError(`${file}:${s.line}: a DO block with COMMIT or ROLLBACK inside a transactional migration`, {
        file,
        line: s.line,
        value: s.text.slice(0, 80),
        fix: 'put "-- schemaguard:no-transaction" on the first line of the file: a DO block may end transactions only when it does not run inside a transaction block (PostgreSQL refuses it with 2D000), and schemaguard runs a transactional file in one',
      });
    }
    if (directives.noTransaction || !refusesTransactionBlock(c.kind)) return;
    const bare = unnamedReindex(s.words, s.text);
    if (bare && this.serverMajor !== undefined && this.serverMajor < UNNAMED_REINDEX_SINCE) {
      throw new InputError(`${file}:${s.line}: ${unnamedReindexSyntax(bare, this.serverMajor)}`, {
        file,
        line: s.line,
        value: s.text.slice(0, 80),
        fix: unnamedReindexFix(bare, this.serverMajor),
      });
    }
    const [why, fixFor] =
      c.kind === 'concurrently'
        ? [
            'CONCURRENTLY cannot run inside a transaction',
            `move it to a migration of its own that starts with "-- schemaguard:no-transaction"${RERUNNABLE[s.words[0] ?? ''] ?? ''}: there each statement commits on its own, and a failure leaves those before it applied; or drop CONCURRENTLY`,
          ]
        : [
            `${c.keyword} cannot run inside a transaction block${BLOCK_REFUSAL_WHY[c.keyword] ?? ''}`,
            BLOCK_REFUSAL_FIX[c.keyword] ??
              `move it to a migration of its own that starts with "-- schemaguard:no-transaction" (each statement there commits on its own, and a failure leaves those before it applied)${BLOCK_REFUSAL_OR[c.keyword] ?? ''}`,
          ];
    const fix = bare && this.serverMajor === undefined ? `${fixFor}; ${UNNAMED_REINDEX_BEFORE_16}` : fixFor;
    const marker = this.foreignNoTransaction ?? foreignNoTransactionFileName(this.file);
    throw new InputError(`${file}:${c.line}: ${why}`, {
      file,
      line: c.line,
      value: s.text.slice(0, 80),
      fix: marker ? `${fix}; ${foreignMarkerAdvice(marker)}` : fix,
    });
  }
}

/** What the refusal of a statement shows (its class, its line, its first words and text), not the statement: a file may hold thousands. */
interface Refusal extends Pick<SqlStatement, 'line' | 'words' | 'text'> {
  c: StatementClass;
}

/** How many refusals of one kind a file keeps; the others are counted ("and N more"), so a huge file is refused in bounded memory. */
const REFUSALS_KEPT = 50;

class Refusals {
  readonly kept: Refusal[] = [];
  more = 0;
  add(s: SqlStatement, c: StatementClass): void {
    if (this.kept.length < REFUSALS_KEPT) this.kept.push({ line: s.line, words: s.words.slice(0, 16), text: s.text.slice(0, 80), c });
    else this.more++;
  }
}

/** The first PostgreSQL major whose grammar takes REINDEX SYSTEM / DATABASE without the database's name. */
export const UNNAMED_REINDEX_SINCE = 16;

/** `SYSTEM` or `DATABASE` for REINDEX [(…)] SYSTEM / DATABASE without a name (its last token, a quoted name not being a word), else undefined. */
export function unnamedReindex(words: readonly string[], text: string): 'SYSTEM' | 'DATABASE' | undefined {
  if (words[0] !== 'reindex') return undefined;
  let last: Token | undefined;
  for (const token of lexSql(text)) if (!isComment(token)) last = token;
  const word = last?.kind === 'word' ? last.text.toLowerCase() : undefined;
  return word === 'system' || word === 'database' ? (word.toUpperCase() as 'SYSTEM' | 'DATABASE') : undefined;
}

/** The refusal of REINDEX SYSTEM / DATABASE without a name on a server older than 16, in the words of lint's server-version-syntax. */
export function unnamedReindexSyntax(object: 'SYSTEM' | 'DATABASE', major: number): string {
  return `REINDEX ${object} without the database's name is PostgreSQL ${UNNAMED_REINDEX_SINCE} syntax; the server is PostgreSQL ${major}, which refuses it (42601 syntax error)`;
}

export function unnamedReindexFix(object: 'SYSTEM' | 'DATABASE', major: number): string {
  return `for PostgreSQL ${major}: REINDEX ${object} followed by the current database's name (the only database it takes), in a migration of its own that starts with "-- schemaguard:no-transaction"; or upgrade the server to ${UNNAMED_REINDEX_SINCE}`;
}

const UNNAMED_REINDEX_BEFORE_16 = `on PostgreSQL 15 and older it needs the database's name too (REINDEX SYSTEM name: without it, a syntax error)`;

/** Why PostgreSQL refuses this form in a transaction block, where its words do not say it. */
const BLOCK_REFUSAL_WHY: Record<string, string> = {
  'CREATE SUBSCRIPTION': ' when it creates its replication slot (create_slot is true unless set false, or connect = false)',
  'ALTER SUBSCRIPTION SET PUBLICATION': ' with its refresh (on unless refresh = false)',
  'ALTER SUBSCRIPTION ADD PUBLICATION': ' with its refresh (on unless refresh = false)',
  'ALTER SUBSCRIPTION DROP PUBLICATION': ' with its refresh (on unless refresh = false)',
};

/** The form that may stay in the file's transaction, where there is one. */
const BLOCK_REFUSAL_OR: Record<string, string> = {
  'CREATE SUBSCRIPTION': "; or, with the slot made on the publisher, add WITH (create_slot = false, slot_name = '…'), which runs in a transaction",
  'ALTER SUBSCRIPTION SET PUBLICATION':
    '; or add WITH (refresh = false), which runs in a transaction, and put ALTER SUBSCRIPTION … REFRESH PUBLICATION in a no-transaction migration',
  'ALTER SUBSCRIPTION ADD PUBLICATION':
    '; or add WITH (refresh = false), which runs in a transaction, and put ALTER SUBSCRIPTION … REFRESH PUBLICATION in a no-transaction migration',
  'ALTER SUBSCRIPTION DROP PUBLICATION':
    '; or add WITH (refresh = false), which runs in a transaction, and put ALTER SUBSCRIPTION … REFRESH PUBLICATION in a no-transaction migration',
};

/** A statement refused in a transaction block that has no place in a no-transaction migration either. */
const BLOCK_REFUSAL_FIX: Record<string, string> = {
  'DISCARD ALL':
    'delete it: it changes no schema, and each migration already starts in a clean session; in a no-transaction migration it would also reset the lock_timeout and statement_timeout schemaguard runs the statements after it under',
};

/** How a concurrent statement is written to run again after a failed run (a no-transaction file is not rolled back). */
const RERUNNABLE: Record<string, string> = {
  create: ', written to run again (CREATE INDEX CONCURRENTLY IF NOT EXISTS name …)',
  drop: ', written to run again (DROP INDEX CONCURRENTLY IF EXISTS …)',
};

const SCS = 'standard_conforming_strings';

/** The settings a statement's changes are read for: standard_conforming_strings and the transaction's modes. */
const WATCHED = new Set([SCS, ...TRANSACTION_SETTINGS]);
const WATCHED_NAMES = /standard_conforming_strings|transaction_(?:isolation|read_only|deferrable)/i;

/** What loading a file asks `textIncludes` about a statement (`SplitOptions.watch`): a long one is read again for none of it. */
export const LOAD_PATTERNS: readonly RegExp[] = [WATCHED_NAMES, TRANSACTION_WORDS];

/**
 * What a statement sets of the WATCHED settings (`sql/settings.ts`). Only a
 * statement whose words show a way to set one (SET, DO, set_config, UPDATE
 * pg_settings) and whose text names one is read again as tokens: a long
 * statement's text is otherwise never decoded to look.
 */
function watchedChanges(s: SqlStatement): SettingChange[] {
  const w = s.words;
  // UPDATE of any table: pg_settings may be written quoted, which its words do not show.
  const may = w[0] === 'set' || w[0] === 'do' || w[0] === 'update' || w.includes('set_config');
  if (!may || !textIncludes(s, WATCHED_NAMES)) return [];
  return settingChanges(tokenize(s.text), WATCHED);
}

/** Whether a value leaves standard_conforming_strings on: what parse_bool reads as true, or DEFAULT. */
const leavesOn = (value: string) => readsAsTrue(value) || value.toLowerCase() === 'default';

/**
 * Statements psql runs one way and schemaguard cannot, refused with the line:
 * - `COPY … FROM STDIN`: psql sends the data lines after it; schemaguard sends
 *   SQL only, and would read the data as statements.
 * - `SET standard_conforming_strings = off` (pg_dump writes it), in any form
 *   (`sql/settings.ts`): psql reads the strings after it with backslash
 *   escapes, but schemaguard sends a transactional file's statements together,
 *   parsed before the SET runs, so its strings would mean something else.
 */
function unlikePsql(file: string, s: SqlStatement, changes: readonly SettingChange[]): InputError | undefined {
  if (isCopyFromStdin(s.words)) {
    return new InputError(`${file}:${s.line}: COPY … FROM STDIN with its data in the file, as psql takes it, is not supported`, {
      file,
      line: s.line,
      value: s.text.slice(0, 80),
      fix: "load data from the application, or write it as INSERT statements (pg_dump --inserts); schemaguard sends SQL to the server, not psql's data lines",
    });
  }
  if (changes.some((c) => c.name === SCS && !leavesOn(c.value))) {
    return new InputError(`${file}:${s.line}: standard_conforming_strings set off: the statements after it would not be read as psql reads them`, {
      file,
      line: s.line,
      value: s.text.slice(0, 80),
      fix: "remove it and write strings with backslash escapes as E'…' (E'C:\\\\path'): schemaguard reads a file's strings with the setting on, and sends a transactional file's statements together, which the server reads all with the setting as it was before this statement ran",
    });
  }
  return undefined;
}

/** `-- schemaguard:backfill` takes nothing after it: it marks the statement below. */
function noArgument(file: string, d: Directive): void {
  if (d.argument.trim() === '') return;
  throw new InputError(`${file}:${d.line}: schemaguard:${d.name} takes no value`, {
    file,
    line: d.line,
    value: d.text.trim(),
    fix: `write the line as: -- schemaguard:${d.name} (a comment about it goes on a line of its own)`,
  });
}

/** The file named by `-- schemaguard:after-backfill <file>`. */
function afterBackfillFile(file: string, d: Directive): string {
  const named = afterBackfillArgument(d.argument);
  if (named === undefined) {
    throw new InputError(`${file}:${d.line}: schemaguard:after-backfill needs the file name of the migration whose backfill must be done first`, {
      file,
      line: d.line,
      value: d.text.trim(),
      fix: 'name one file, as it is in the migrations folder, e.g. -- schemaguard:after-backfill 0007_orders_region.sql (one line per file)',
    });
  }
  return named;
}

function checkDescription(file: string, d: Directive): string {
  const description = d.argument.trim();
  if (!description) {
    throw new InputError(`${file}:${d.line}: schemaguard:check needs a description of what it asserts`, {
      file,
      line: d.line,
      fix: 'e.g. -- schemaguard:check no uuid primary key without a default',
    });
  }
  return description;
}

function allowance(file: string, d: Directive): Allowance {
  const a = allowArgument(d.argument);
  if (!a) {
    throw new InputError(`${file}:${d.line}: schemaguard:allow needs a rule id and a reason`, {
      file,
      line: d.line,
      value: d.text.trim(),
      fix: 'e.g. -- schemaguard:allow index-not-concurrent table is created empty in this release',
    });
  }
  return { ...a, line: d.line };
}

/** The value of a `valid-checksum` directive: exactly one sha-256 in lower-case hex. */
function validChecksum(file: string, d: Directive): string {
  const sum = checksumArgument(d.argument);
  if (sum === undefined) {
    throw new InputError(`${file}:${d.line}: schemaguard:valid-checksum needs one sha-256 checksum (64 lower-case hex digits), found "${d.argument.trim()}"`, {
      file,
      line: d.line,
      value: d.text.trim(),
      fix: 'copy the full checksum of the earlier text (the appliedChecksum of `schemaguard status --json`, or `sha256sum` of that text with LF line endings), one directive per checksum',
    });
  }
  return sum;
}

/**
 * `-- schemaguard:lock-timeout 5s` (or `: 5s`, or no value): the `=` is what
 * is missing, not a good duration; the message says so with the line to
 * write. A value that is no duration either falls through to "bad duration".
 */
function refuseMissingEquals(file: string, d: Directive): void {
  if (d.argument.includes('=')) return;
  const value = d.argument.trim().replace(/^:\s*/, '');
  if (value === '') {
    throw new InputError(`${file}:${d.line}: schemaguard:${d.name} has no value`, {
      file,
      line: d.line,
      value: d.text.trim(),
      fix: `${DURATION_FORMAT_HINT}, e.g. -- schemaguard:${d.name}=5s`,
    });
  }
  if (/\s/.test(value) || parseDuration(value) === undefined) return;
  throw new InputError(`${file}:${d.line}: schemaguard:${d.name} is missing the "=" before its value ${value}`, {
    file,
    line: d.line,
    value: d.text.trim(),
    fix: `write the line as: -- schemaguard:${d.name}=${value}`,
  });
}

/** The reason of `-- schemaguard:replication-planned <reason>`: required, as an allow's is. */
function replicationReason(file: string, d: Directive): string {
  const reason = d.argument.trim();
  if (!/^\s/.test(d.argument) || reason === '') {
    throw new InputError(`${file}:${d.line}: schemaguard:replication-planned needs a reason`, {
      file,
      line: d.line,
      value: d.text.trim(),
      fix: 'say how the replication was planned for, e.g. -- schemaguard:replication-planned the subscriber got the column in release 41',
    });
  }
  return reason;
}
