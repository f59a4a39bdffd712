/**
 * The PostgreSQL error classes schemaguard alarms on: one list that feeds the
 * CloudWatch metric filters, the alarms and their runbooks, the saved Logs
 * Insights queries, and the tests that prove the filter patterns against the
 * log lines a real PostgreSQL writes. Plain data and string functions only, so
 * that tests and tools can import it without aws-cdk-lib.
 *
 * Log format: RDS for PostgreSQL writes every line with the prefix
 * `%t:%r:%u@%d:[%p]:` followed by the level, e.g.
 *   2026-11-22 19:14:06 UTC:10.0.1.7(42652):app@shop:[7714]:ERROR:  null value in column "id" ...
 *   2026-11-22 19:14:06 UTC:10.0.1.7(42652):app@shop:[7714]:DETAIL:  Failing row contains (...)
 *   2026-11-22 19:14:06 UTC:10.0.1.7(42652):app@shop:[7714]:STATEMENT:  INSERT INTO ...
 * The prefix has no `%e`, and RDS's default log_error_verbosity does not add the
 * SQLSTATE, so classes are recognised by message text, never by SQLSTATE.
 */
import { DOCS_POINTERS } from '../../lambda/engine/errors/docs-pointers';
import {
  CHECK_VIOLATION,
  DEADLOCK_DETECTED,
  FOREIGN_KEY_VIOLATION,
  INVALID_COLUMN_REFERENCE,
  INVALID_TEXT_REPRESENTATION,
  IN_FAILED_SQL_TRANSACTION,
  LOCK_NOT_AVAILABLE,
  NOT_NULL_VIOLATION,
  NUMERIC_VALUE_OUT_OF_RANGE,
  SYNTAX_ERROR,
  UNDEFINED_COLUMN,
  UNDEFINED_FUNCTION,
  UNIQUE_VIOLATION,
} from '../../lambda/engine/errors/sqlstate';

export type Severity = 'page' | 'ticket';

/** The log_line_prefix the patterns are written for (RDS for PostgreSQL's, not configurable there). */
export const RDS_LOG_LINE_PREFIX = '%t:%r:%u@%d:[%p]:';

/**
 * First part of the error metrics' namespace. Each database's metrics are in
 * a namespace of their own, `Schemaguard/Database/<identifier>`
 * (errorMetricNamespace): a metric filter's dimension can only take its value
 * from a field of a JSON or space-delimited pattern, never a literal, so the
 * text patterns here cannot tell two databases apart by dimension.
 */
export const METRIC_NAMESPACE_PREFIX = 'Schemaguard/Database';

/** The namespace of one database's error metrics: `Schemaguard/Database/<instance or cluster identifier>`. */
export function errorMetricNamespace(databaseIdentifier: string): string {
  return `${METRIC_NAMESPACE_PREFIX}/${databaseIdentifier}`;
}

/**
 * What ends the prefix of an ERROR line: the `]` closing `[%p]`, then the level.
 * Required in every pattern: a STATEMENT, DETAIL, HINT, CONTEXT or LOG line
 * never has it unless its own text does.
 */
export const ERROR_LINE_TAG = ']:ERROR:';

/**
 * Level tags of the other lines: those that follow an ERROR (STATEMENT,
 * DETAIL, HINT, CONTEXT, QUERY) and those of other severities (a statement
 * logged by log_statement, a RAISE WARNING). Every pattern excludes them, so a
 * line whose text merely quotes `]:ERROR:` and a message fragment does not
 * count: that line also carries its own level tag.
 */
export const OTHER_LEVEL_TAGS = [
  ']:STATEMENT:',
  ']:DETAIL:',
  ']:HINT:',
  ']:CONTEXT:',
  ']:QUERY:',
  ']:LOG:',
  ']:WARNING:',
  ']:NOTICE:',
  ']:INFO:',
  ']:FATAL:',
  ']:PANIC:',
] as const;

/** How to find the offending object in the logs (a Logs Insights query built from it). */
export interface LocateQuery {
  /** Which line of the failure carries the names: the ERROR line itself, or one (or either) of the lines after it. */
  readonly line: 'ERROR' | 'STATEMENT' | 'CONTEXT' | readonly ('STATEMENT' | 'CONTEXT' | 'DETAIL')[];
  /**
   * Regex the text after the level tag must match, for lines other than ERROR
   * (an ERROR line is selected by the class's fragments).
   */
  readonly text?: string;
  /** Logs Insights `parse` regex (also valid JavaScript) with named groups. */
  readonly parse: string;
  /** Named groups to count by. */
  readonly by: readonly string[];
}

export interface ErrorClass {
  /** Stable id, kebab-case; used in construct ids and query names. */
  readonly id: string;
  /** Human name. */
  readonly title: string;
  /** The SQLSTATE PostgreSQL reports to the client (not present in the RDS log line). */
  readonly sqlstate: string;
  /**
   * Text that every ERROR line of this class contains, verbatim as PostgreSQL
   * writes it (checked against PostgreSQL 15 and 18). All must appear.
   */
  readonly fragments: readonly string[];
  /** One real ERROR message of this class, as PostgreSQL wrote it. */
  readonly example: string;
  readonly severity: Severity;
  /** Metric name in the namespace (count of ERROR lines per minute). */
  readonly metricName: string;
  /** Whether the message quotes client input (a value), which may contain anything. */
  readonly echoesInput?: boolean;
  readonly runbook: {
    /** What it means. */
    readonly meaning: string;
    /** The usual fix. */
    readonly fix: string;
  };
  readonly locate: LocateQuery;
  /**
   * Logged only after another error of the same transaction, which has its
   * own class (a 25P02 after the 42P10 that aborted the transaction). Its page
   * is held back while another paging class's alarm of the database is in
   * ALARM (`DatabaseAlarms`: a composite alarm with an actions suppressor), so
   * one incident pages once.
   */
  readonly followsAnotherError?: boolean;
}

/** A regex that matches `word` in any case, written with classes (`[Ii][Nn]…`): no inline flag, which engines spell differently. */
function anyCase(word: string): string {
  return word.replace(/[A-Za-z]/g, (c) => `[${c.toUpperCase()}${c.toLowerCase()}]`);
}

/** A statement's start: a leading comment, then an optional WITH (its queries may hold anything), as regex. */
// \x2F is "/": the regex sits between slashes in the query (`like /…/`), where a bare one would end it.
const STATEMENT_START = `(?:\\x2F\\*[\\s\\S]*?\\*\\x2F\\s*|--[^\\n]*\\n\\s*)*(?:${anyCase('WITH')}\\b[\\s\\S]*?)?`;

/** An optional EXPLAIN before a statement, with its options (`EXPLAIN (FORMAT JSON)`, `EXPLAIN ANALYZE VERBOSE`), as regex. */
const EXPLAIN = `(?:${anyCase('EXPLAIN')}\\s+(?:\\([^)]*\\)\\s*)?(?:(?:${anyCase('ANALYZE')}|${anyCase('VERBOSE')})\\s+)*)?`;

/** A table name as SQL writes it: quoted (one name, spaces and dots inside) or not. */
const NAME = '(?:"(?:[^"]|"")+"|[^\\s(."]+)';

/**
 * The sessions that hold a table lock, the one that blocks others first (the
 * lock timeout runbook's query, in a compact spelling so that the
 * description carries it whole): one row per table or index a session holds
 * locked, with whom it waits for (`blocked_by`, pg_blocking_pids), the mode,
 * state, transaction age and query. First the sessions in a waiter's
 * pg_blocking_pids(), then those that wrote (they hold a transaction id,
 * backend_xid, what a waiter for a row waits on), then the oldest: the
 * runbook's pg_terminate_backend ends the first row, which must be the holder,
 * not a read-only report that blocks nothing. After the waiters gave up,
 * nothing blocks any more: the log's DETAIL line `Process holding the lock: N`
 * (log_lock_waits, waits past deadlock_timeout) names the holder. It reads pg_locks, which every role
 * reads in full: PostgreSQL hides another role's state, xact_start and query
 * (NULL, `<insufficient privilege>`) from a role without pg_read_all_stats
 * (pg_monitor, the RDS master user), but not its pid, locks or
 * pg_blocking_pids(), nor backend_xid (PostgreSQL 18 and 15). Only locks
 * on this database's relations and on shared catalogs (`database` 0:
 * pg_shdescription, pg_authid), which a session of another database can hold
 * and block here; another database's tables block no one here.
 */
export const LOCK_HOLDERS_SQL =
  'SELECT pid,pg_blocking_pids(pid) blocked_by,relation::regclass,mode,usename,state,now()-xact_start age,left(query,60) FROM pg_locks JOIN pg_stat_activity USING(pid)' +
  ' WHERE granted AND relation>0 AND pid<>pg_backend_pid() AND(database=0 OR datname=current_database())ORDER BY pid IN(SELECT unnest(pg_blocking_pids(pid)) FROM pg_stat_activity) DESC,' +
  'backend_xid IS NOT NULL DESC,age DESC NULLS LAST';

/** @deprecated Use LOCK_HOLDERS_SQL (the same query: the blocking session first, not the oldest transaction). */
export const OLDEST_TRANSACTIONS_SQL = LOCK_HOLDERS_SQL;

/**
 * Logs Insights query for every ERROR line of one server process, in order
 * (the transaction-aborted runbook's: the error before a 25P02 is its cause).
 */
export function sessionErrorsQuery(pid: string): string {
  return `fields @timestamp, @message | filter @message like /:\\[${pid}\\]:ERROR:/ | sort @timestamp asc`;
}

export const ERROR_CATALOG: readonly ErrorClass[] = [
  {
    id: 'not-null-violation',
    title: 'Not-null violation',
    sqlstate: NOT_NULL_VIOLATION,
    fragments: ['null value in column', 'violates not-null constraint'],
    example: 'null value in column "id" of relation "lead_purchases" violates not-null constraint',
    severity: 'page',
    metricName: 'NotNullViolations',
    runbook: {
      meaning:
        'An INSERT/UPDATE wrote NULL into a NOT NULL column: typically a uuid key without DEFAULT gen_random_uuid() here, or a NOT NULL column that callers cannot fill yet (a column made NOT NULL before the code that writes it shipped).',
      fix: "Add the missing default (ALTER COLUMN id SET DEFAULT gen_random_uuid()) or drop the NOT NULL via a migration; or make the caller send the value. schemaguard guard, as the guard role, prints a lost default's SQL.",
    },
    locate: { line: 'ERROR', parse: 'null value in column "(?<column>[^"]+)" of relation "(?<relation>[^"]+)"', by: ['relation', 'column'] },
  },
  {
    id: 'on-conflict-without-constraint',
    title: 'ON CONFLICT without a matching constraint',
    sqlstate: INVALID_COLUMN_REFERENCE,
    fragments: ['there is no unique or exclusion constraint matching the ON CONFLICT specification'],
    example: 'there is no unique or exclusion constraint matching the ON CONFLICT specification',
    severity: 'page',
    metricName: 'OnConflictWithoutConstraint',
    runbook: {
      meaning:
        'An upsert names a conflict target that no unique index or constraint matches; the statement fails, its transaction is aborted, and the write is lost unless the caller retries it.',
      fix: "Create the unique (partial) index in this environment; for a partial index the statement must repeat its predicate: ON CONFLICT (a, b) WHERE is_active = true. schemaguard guard, as the guard role, prints a lost index's SQL.",
    },
    // Any case, across the statement's lines (a log entry of several lines is one event), after a WITH: only the words are matched.
    locate: {
      // At the statement's start (after a comment, a WITH, an EXPLAIN); whole words, so "version conflict" is not ON CONFLICT. A quoted name is one name.
      // Also the CONTEXT line of a PL/pgSQL function's statement (`SQL statement "insert …"`: its STATEMENT is the `SELECT f(…)`), and
      // EXECUTE of a prepared statement (the guard's and `schemaguard check`'s EXPLAIN EXECUTE): no INSERT in the log, the statement's name stands for the relation.
      line: ['STATEMENT', 'CONTEXT'],
      text: `(?:SQL statement ")?${STATEMENT_START}${EXPLAIN}(?:${anyCase('INSERT')}\\s+${anyCase('INTO')}\\s[\\s\\S]*\\b${anyCase('ON')}\\s+${anyCase('CONFLICT')}\\b|${anyCase('EXECUTE')}\\s)`,
      parse: `\\b(?:${anyCase('INSERT')}\\s+${anyCase('INTO')}|${anyCase('EXECUTE')})\\s+(?<relation>${NAME}(?:\\.${NAME})?)`,
      by: ['relation'],
    },
  },
  {
    id: 'transaction-aborted',
    title: 'Current transaction aborted',
    sqlstate: IN_FAILED_SQL_TRANSACTION,
    fragments: ['current transaction is aborted, commands ignored until end of transaction block'],
    example: 'current transaction is aborted, commands ignored until end of transaction block',
    severity: 'page',
    metricName: 'TransactionAborted',
    followsAnotherError: true,
    runbook: {
      meaning:
        "A client went on after an error in its transaction; the cause is that session's (same pid) ERROR just before. It pages only while no other paging alarm of this database is in ALARM.",
      fix: `The cause: ${sessionErrorsQuery('PID')} (Aurora: and @logStream = "STREAM" of the row). Fix it; make the client roll back after an error.`,
    },
    locate: { line: 'ERROR', parse: ':(?<user>[^:@]*)@(?<database>[^:]*):\\[(?<pid>\\d+)\\]:ERROR:', by: ['database', 'user', 'pid'] },
  },
  {
    id: 'undefined-function',
    title: 'Undefined function',
    sqlstate: UNDEFINED_FUNCTION,
    fragments: ['function', ') does not exist'],
    example: 'function gen_random_uuid() does not exist',
    severity: 'page',
    metricName: 'UndefinedFunctions',
    runbook: {
      meaning:
        'No function of that name takes these argument types: a type mismatch (lower(uuid): a column changed type; HINT: add explicit type casts), an extension missing (uuid_generate_v4()), or a schema not on search_path.',
      fix: 'Cast (lower(id::text)) or restore the type in a migration; or migrate CREATE EXTENSION IF NOT EXISTS "uuid-ossp"; CREATE EXTENSION IF NOT EXISTS pgcrypto; or qualify the call (s.f()).',
    },
    locate: { line: 'ERROR', parse: 'function (?<name>[^ ]+\\([^)]*\\)) does not exist', by: ['name'] },
  },
  {
    id: 'foreign-key-violation',
    title: 'Foreign-key violation',
    sqlstate: FOREIGN_KEY_VIOLATION,
    fragments: ['violates foreign key constraint'],
    example: 'insert or update on table "web_sessions" violates foreign key constraint "web_sessions_lead_id_fkey"',
    severity: 'ticket',
    metricName: 'ForeignKeyViolations',
    runbook: {
      meaning:
        'A write referenced a missing parent row, or a delete left children behind; the constraint did its job, the caller sent a bad reference or wrote in the wrong order.',
      fix: 'Write parent and child in one transaction, parent first; look up the DETAIL line (Key (...)=(...) is not present) for the value.',
    },
    locate: { line: 'ERROR', parse: 'on table "(?<relation>[^"]+)" violates foreign key constraint "(?<constraint>[^"]+)"', by: ['relation', 'constraint'] },
  },
  {
    id: 'unique-violation',
    title: 'Unique violation',
    sqlstate: UNIQUE_VIOLATION,
    fragments: ['duplicate key value violates unique constraint'],
    example: 'duplicate key value violates unique constraint "enrolments_student_course_active_key"',
    severity: 'ticket',
    metricName: 'UniqueViolations',
    runbook: {
      meaning:
        'A write duplicated a key that a unique index protects: a sequence behind the data (duplicate on a serial key, e.g. t_pkey), a retried event, or an INSERT that should be an upsert.',
      fix: 'The DETAIL line names the key and value. Serial key: schemaguard guard/doctor report sequence-behind with its SELECT setval(...); ON CONFLICT would drop those rows silently. A retried event: make the write idempotent (ON CONFLICT on that index).',
    },
    locate: { line: 'ERROR', parse: 'violates unique constraint "(?<constraint>[^"]+)"', by: ['constraint'] },
  },
  {
    id: 'check-violation',
    title: 'Check violation',
    sqlstate: CHECK_VIOLATION,
    fragments: ['violates check constraint'],
    example: 'new row for relation "lead_purchases" violates check constraint "lead_purchases_amount_check"',
    severity: 'ticket',
    metricName: 'CheckViolations',
    runbook: {
      meaning: 'A row failed a CHECK constraint (or a domain check): the application sent a value the schema forbids.',
      fix: 'Validate the value in the caller, or change the constraint in a migration if the rule changed; DETAIL shows the failing row.',
    },
    locate: { line: 'ERROR', parse: 'violates check constraint "(?<constraint>[^"]+)"', by: ['constraint'] },
  },
  {
    id: 'invalid-text-representation',
    title: 'Invalid text representation',
    sqlstate: INVALID_TEXT_REPRESENTATION,
    fragments: ['invalid input syntax for type'],
    example: 'invalid input syntax for type uuid: "lead-42"',
    severity: 'ticket',
    metricName: 'InvalidTextRepresentation',
    echoesInput: true,
    runbook: {
      meaning:
        'A value could not be converted to the column type, e.g. a non-UUID string into a uuid column, often a varchar key compared with or copied into a uuid key.',
      fix: 'Validate input; align key column types (uuid vs varchar) in a migration after cleaning the non-conforming rows.',
    },
    locate: { line: 'ERROR', parse: 'invalid input syntax for type (?<type>[a-z0-9_ ]+): ', by: ['type'] },
  },
  {
    id: 'deadlock',
    title: 'Deadlock',
    sqlstate: DEADLOCK_DETECTED,
    fragments: ['deadlock detected'],
    example: 'deadlock detected',
    severity: 'ticket',
    metricName: 'Deadlocks',
    runbook: {
      meaning: 'Two transactions waited for each other; PostgreSQL cancelled one. The DETAIL lines name both processes and their statements.',
      fix: 'A relation the query gives as a number is a whole-table deadlock (LOCK TABLE, DDL): SELECT N::regclass in that database. Take locks in one consistent order (sort ids before updating), keep transactions short, retry on 40P01.',
    },
    // Rows: the CONTEXT line names the table (a row lock timeout writes one too); whole tables: only the DETAIL line, by number.
    locate: {
      line: ['CONTEXT', 'DETAIL'],
      text: '(?:while [a-z ]+ tuple|Process \\d+ waits for \\w+ on (?:tuple \\S+ of )?relation \\d)',
      parse: '(?:tuple \\S+ in relation "|Process \\d+ waits for \\w+ on (?:tuple \\S+ of )?relation )(?<relation>[^"]+?)(?:"|\\s+of database)',
      by: ['relation'],
    },
  },
  {
    id: 'lock-timeout',
    title: 'Lock timeout',
    sqlstate: LOCK_NOT_AVAILABLE,
    fragments: ['canceling statement due to lock timeout'],
    example: 'canceling statement due to lock timeout',
    severity: 'ticket',
    metricName: 'LockTimeouts',
    runbook: {
      meaning:
        'A statement waited past lock_timeout for another session\'s lock. Its pid N: the saved query (DETAIL "Process holding the lock: N", waits over 1 s).',
      fix: `A deploy that retried and applied: nothing to do. Else as the master user, blocker first: ${LOCK_HOLDERS_SQL}; end N or a blocker: SELECT pg_terminate_backend(N).`,
    },
    // The DETAIL of the lock wait's LOG entry (log_lock_waits, past deadlock_timeout) names the holder; the ERROR line does not.
    locate: {
      line: ['DETAIL'],
      text: 'Process(?:es)? holding the lock: ',
      parse: '@(?<database>[^:]*):\\[\\d+\\]:DETAIL:\\s+Process(?:es)? holding the lock: (?<holder>[0-9, ]+)\\.',
      by: ['database', 'holder'],
    },
  },
];

/** An error outside the catalog whose message quotes what the client sent. */
export interface EchoingMessage {
  /** Its SQLSTATE (not in the RDS log line). */
  readonly sqlstate: string;
  /** Text every such message contains, verbatim as PostgreSQL writes it (15 and 18), no double quote. */
  readonly fragment: string;
  /** What it quotes: a value (a cast, a parameter) or a name (a column, a table, a token). */
  readonly echoes: 'value' | 'name';
  /** One real message, quoting another class's words. */
  readonly example: string;
}

/**
 * Errors outside the catalog whose ERROR line quotes client input, which may
 * hold any class's words: each class's pattern and query leaves them out (but
 * a class whose own fragment contains the text: 42883's `) does not exist`),
 * as it leaves out 22P02's lines (`echoesInput`). Without it, an enum value
 * that read `null value in column "x" violates not-null constraint` paged as
 * a not-null violation.
 */
export const ECHOING_MESSAGES: readonly EchoingMessage[] = [
  {
    sqlstate: INVALID_TEXT_REPRESENTATION,
    fragment: 'invalid input value for enum',
    echoes: 'value',
    example: 'invalid input value for enum mood: "null value in column "x" violates not-null constraint"',
  },
  {
    sqlstate: NUMERIC_VALUE_OUT_OF_RANGE,
    fragment: 'is out of range for type',
    echoes: 'value',
    example: 'value "999999999999 deadlock detected" is out of range for type integer',
  },
  // Each literal kind on its own: `malformed` alone left out every line of a table, column or constraint whose name held it (malformed_events).
  ...['array', 'range', 'multirange', 'record'].map(
    (kind): EchoingMessage => ({
      sqlstate: INVALID_TEXT_REPRESENTATION,
      fragment: `malformed ${kind} literal:`,
      echoes: 'value',
      example: `malformed ${kind} literal: "deadlock detected"`,
    }),
  ),
  { sqlstate: UNDEFINED_COLUMN, fragment: 'does not exist', echoes: 'name', example: 'column "violates check constraint" does not exist' },
  { sqlstate: SYNTAX_ERROR, fragment: 'syntax error at or near', echoes: 'name', example: 'syntax error at or near ""deadlock detected""' },
];

/** What a pattern or query leaves echoes out of: a class, or the lines of every class. */
type EchoSubject = Pick<ErrorClass, 'id' | 'fragments' | 'echoesInput'>;

/** The fragments that `cls` leaves out: those of the messages that quote input, but its own words. */
function echoFragmentsFor(cls: EchoSubject, catalog: readonly ErrorClass[], kinds: readonly EchoingMessage['echoes'][] = ['value', 'name']): string[] {
  const classes = catalog.filter((c) => c.echoesInput && c.id !== cls.id).flatMap((c) => c.fragments);
  // A class that quotes input itself keeps counting its lines whatever they quote (22P02's value may read "does not exist").
  const others = cls.echoesInput ? [] : ECHOING_MESSAGES.filter((m) => kinds.includes(m.echoes)).map((m) => m.fragment);
  return [...classes, ...others].filter((f) => !cls.fragments.some((own) => own.includes(f)));
}

/** The catalog entry with this id; throws listing the known ids. */
export function errorClass(id: string): ErrorClass {
  const found = ERROR_CATALOG.find((c) => c.id === id);
  if (!found) throw new Error(`unknown error class "${id}"; known: ${ERROR_CATALOG.map((c) => c.id).join(', ')}`);
  return found;
}

function phrase(text: string): string {
  if (text.includes('"'))
    throw new Error(`filter pattern phrase ${JSON.stringify(text)} contains a double quote, which CloudWatch cannot match inside a quoted phrase`);
  return `"${text}"`;
}

/**
 * How a user appears in the RDS log line prefix (`%t:%r:%u@%d:[%p]:`):
 * between the client's `:` and the database's `@`. A name ending in `*` is a
 * prefix: `schemaguard_guard*` is every user whose name starts with
 * `schemaguard_guard` (the tag then has no `@`).
 */
export function userTag(user: string): string {
  return user.endsWith('*') ? `:${user.slice(0, -1)}` : `:${user}@`;
}

/** CloudWatch filter patterns are limited to 1024 characters. */
export const MAX_FILTER_PATTERN_LENGTH = 1024;

/**
 * The CloudWatch text filter pattern for a class: the ERROR tag and every
 * fragment must appear; the level tags of the other lines must not; the
 * fragments of classes whose message quotes client input are excluded from
 * the other classes, so a value like 'deadlock detected' cast to uuid counts
 * once, as invalid text; and the lines of `ignoredUsers` are not counted.
 * Plain terms only: no regex, so the 5-regex-per-log-group quota is never used.
 */
export function filterPatternFor(cls: ErrorClass, catalog: readonly ErrorClass[] = ERROR_CATALOG, ignoredUsers: readonly string[] = []): string {
  const echoing = echoFragmentsFor(cls, catalog);
  const parts = [
    phrase(ERROR_LINE_TAG),
    ...cls.fragments.map(phrase),
    ...OTHER_LEVEL_TAGS.map((t) => `-${phrase(t)}`),
    ...echoing.map((f) => `-${phrase(f)}`),
    ...ignoredUsers.map((u) => `-${phrase(userTag(u))}`),
  ];
  const pattern = parts.join(' ');
  if (pattern.length > MAX_FILTER_PATTERN_LENGTH) {
    throw new Error(`filter pattern for "${cls.id}" is ${pattern.length} characters; CloudWatch allows ${MAX_FILTER_PATTERN_LENGTH}`);
  }
  return pattern;
}

/**
 * Logs Insights regex (also JavaScript) for the start of a real log line up to
 * its level tag: the %t timestamp at the start, then %r (`host(port)`,
 * `[local]` or empty), `%u@%d`, and `[%p]`. Anchored, so a statement that
 * quotes `]:ERROR:` in its text is not taken for an ERROR line.
 */
export const LINE_PREFIX_REGEX = '^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)? [A-Z]+:(?:\\[local\\])?[^\\[\\]\\n]*\\[\\d+\\]:';

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Logs Insights regex that selects the line `locate` reads. */
function lineSelector(cls: ErrorClass): string {
  if (cls.locate.line === 'ERROR') return `${LINE_PREFIX_REGEX}ERROR:\\s+.*${cls.fragments.map(escapeRegex).join('.*')}`;
  const tags = typeof cls.locate.line === 'string' ? cls.locate.line : `(?:${cls.locate.line.join('|')})`;
  return `${LINE_PREFIX_REGEX}${tags}:\\s+${cls.locate.text ?? ''}`;
}

/** ERROR lines of the messages that quote client input, which may repeat another class's words. */
function echoExclusions(cls: EchoSubject, kinds?: readonly EchoingMessage['echoes'][]): string[] {
  return echoFragmentsFor(cls, ERROR_CATALOG, kinds).map((f) => `${LINE_PREFIX_REGEX}ERROR:\\s+.*${escapeRegex(f)}`);
}

/** The Logs Insights query that counts this class's failures by the offending object. */
export function insightsQueryFor(cls: ErrorClass): string {
  const by = cls.locate.by.join(', ');
  const filter = [`@message like /${lineSelector(cls)}/`, ...echoExclusions(cls).map((r) => `@message not like /${r}/`)].join(' and ');
  return [
    'fields @timestamp, @message',
    `filter ${filter}`,
    `parse @message /${cls.locate.parse}/`,
    `stats count(*) as failures by ${by}`,
    'sort failures desc',
    'limit 20',
  ].join(' | ');
}

/** Regex splitting any line of the RDS prefix into its parts (Logs Insights and JavaScript). */
export const LOG_LINE_PARSE = ':(?<user>[^:@]*)@(?<database>[^:]*):\\[(?<pid>\\d+)\\]:(?<level>[A-Z]+):\\s+(?<text>.*)';

/**
 * Saved query: the last not-null violations, each with the DETAIL and
 * STATEMENT lines of its session (read by pid). Only the statements that can
 * write a NULL (INSERT, UPDATE, MERGE, COPY, in any case, after a WITH) are
 * listed: other failed statements' lines would be noise beside them.
 */
export const NOT_NULL_WITH_STATEMENTS_QUERY = [
  'fields @timestamp, @logStream',
  `parse @message /${LOG_LINE_PARSE}/`,
  `filter (level = "ERROR" and text like /^null value in column .* violates not-null constraint/) or (level = "DETAIL" and text like /^Failing row contains/)` +
    ` or (level = "STATEMENT" and text like /^${STATEMENT_START}(?:${['INSERT', 'UPDATE', 'MERGE', 'COPY', 'CALL', 'EXECUTE'].map(anyCase).join('|')})\\b/)`,
  'parse text /null value in column "(?<column>[^"]+)" of relation "(?<relation>[^"]+)"/',
  'display @timestamp, pid, level, relation, column, text',
  'sort @timestamp desc',
  'limit 200',
].join(' | ');

/** Regex for the relation an ERROR line names (`relation "x"` or `table "x"`). */
export const RELATION_PARSE = '(?:relation|table) "(?<relation>[^"]+)"';

/** Every ERROR line, as the subject of the queries that span classes. */
const ANY_ERROR: EchoSubject = { id: 'any', fragments: [] };

/** Saved query: the relations named by the most ERROR lines. */
export const TOP_FAILING_RELATIONS_QUERY = [
  'fields @message',
  `filter @message like /${LINE_PREFIX_REGEX}ERROR:/`,
  // Lines that quote a value (a name they quote is a relation's name: 42P01's relation "x" does not exist counts).
  ...echoExclusions(ANY_ERROR, ['value']).map((r) => `filter @message not like /${r}/`),
  `parse @message /${RELATION_PARSE}/`,
  'filter ispresent(relation)',
  'stats count(*) as errors by relation',
  'sort errors desc',
  'limit 20',
].join(' | ');

/** Query behind the dashboard's log widget: the latest ERROR lines. */
export const RECENT_ERRORS_QUERY = [
  'fields @timestamp, @message',
  `filter @message like /${LINE_PREFIX_REGEX}ERROR:/`,
  'sort @timestamp desc',
  'limit 50',
].join(' | ');

/**
 * An error-class alarm clears after this many minutes without a matching
 * ERROR line: it alarms on one datapoint out of this many 1-minute periods.
 * The first line still fires it at once; a client that keeps failing every
 * few minutes keeps it in ALARM (one page) instead of raising and clearing it
 * at each failure.
 */
export const QUIET_MINUTES = 15;

/** CloudWatch's limit on AlarmDescription. */
export const MAX_ALARM_DESCRIPTION_LENGTH = 1024;

/**
 * Room every error-class description keeps below MAX_ALARM_DESCRIPTION_LENGTH
 * (with the longest `queryFolder` DatabaseAlarms accepts), checked by the
 * catalog's tests: a runbook can gain a sentence without overflowing. But the
 * lock timeout's, which carries LOCK_HOLDERS_SQL whole: it only stays within
 * the limit.
 */
export const ALARM_DESCRIPTION_MARGIN = 256;

/** The folder of the saved Logs Insights queries unless DatabaseAlarms' `queryFolder` names another. */
export const DEFAULT_QUERY_FOLDER = 'schemaguard';

/**
 * The name of a class's saved Logs Insights query (`insightsQueryFor`), which
 * DatabaseAlarms saves on the PostgreSQL log group:
 * `<folder>/<title> by <what it counts by>`.
 */
export function savedQueryNameFor(cls: ErrorClass, queryFolder: string = DEFAULT_QUERY_FOLDER): string {
  return `${queryFolder}/${cls.title} by ${cls.locate.by.join(', ')}`;
}

/**
 * Where every description sends the engineer for what it has no room for:
 * how to reach the database, the dashboard, silencing an alarm, escalating.
 */
export const ON_CALL_POINTER = `More: ${DOCS_POINTERS.onCall}.`;

/**
 * The alarm description: severity, class, SQLSTATE, meaning, the saved query
 * to run, the fix, when it is over. The description names the saved query
 * rather than quoting it: its text (500-odd characters of anchored regular
 * expressions) would take half of CloudWatch's 1,024, and it is one click away
 * under Logs Insights' saved queries, bound to the right log group.
 * `pagedBy`: for an alarm without actions, the alarm that pages in its stead
 * (the description then starts with `[STATE]`).
 */
export function alarmDescriptionFor(cls: ErrorClass, queryFolder: string = DEFAULT_QUERY_FOLDER, pagedBy?: string): string {
  // An alarm without actions (a held class's own) says so, and which alarm pages: two alarms read [PAGE] and only one paged.
  const head = pagedBy === undefined ? `[${cls.severity.toUpperCase()}]` : '[STATE]';
  return [
    `${head} PostgreSQL ${cls.title} (SQLSTATE ${cls.sqlstate}) logged.${pagedBy === undefined ? '' : ` No actions: ${pagedBy} pages.`}`,
    `Meaning: ${cls.runbook.meaning}`,
    `Find: the saved Logs Insights query "${savedQueryNameFor(cls, queryFolder)}".`,
    `Fix: ${cls.runbook.fix}`,
    `Over: OK after ${QUIET_MINUTES} minutes without one. ${ON_CALL_POINTER}`,
  ].join('\n');
}
