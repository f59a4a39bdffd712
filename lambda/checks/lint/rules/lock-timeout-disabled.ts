/**
 * lock-timeout-disabled: a migration that waits for its locks forever, by
 * the `lock-timeout=0` directive, by setting lock_timeout to 0 (`SET [LOCAL]
 * lock_timeout = 0`, `'0s'`, `'0.4'` — PostgreSQL rounds to whole
 * milliseconds — or `set_config('lock_timeout', '0', …)`), or by resetting
 * it (`RESET lock_timeout`, `RESET ALL`, `SET lock_timeout TO DEFAULT`,
 * `set_config('lock_timeout', NULL, …)`), which drops the timeout
 * schemaguard set for the migration and leaves the session default: 0
 * unless postgresql.conf, the database or the role sets one (checked on
 * PostgreSQL 15 and 18 after `set_config('lock_timeout', '5000', true)`,
 * as schemaguard sets it).
 *
 * A no-transaction file of concurrent index statements only (CREATE / DROP
 * INDEX CONCURRENTLY, REINDEX CONCURRENTLY) is still refused, with its own
 * why: such a build holds up no read or write while it waits (it holds
 * SHARE UPDATE EXCLUSIVE; checked on PostgreSQL 15 and 18 with pg_locks, a
 * SELECT, an INSERT and an UPDATE went on behind a build waiting for an old
 * transaction), but lock_timeout bounds its waits for the transactions older
 * than it, so with 0 it waits forever for an idle-in-transaction session,
 * holding a lock that stops VACUUM, ANALYZE, other index builds and ALTER
 * TABLE on the table (each timed out behind it there), and the deploy hangs
 * instead of failing with the blocking sessions named.
 */
import { quoteLiteral, sqlComment } from '../../../engine/sql/sql-quote';
import { as, findAll, list, names, optionOn, type Node, type ParsedStatement } from '../../parser/parse';
import { inPlace, renderFix } from '../fix';
import type { LintRule, RuleContext } from '../rule';
import { present } from '../../../engine/errors/present';

export const LOCK_TIMEOUT_DISABLED: LintRule = {
  id: 'lock-timeout-disabled',
  severity: 'error',
  title: 'lock_timeout overridden to 0 (wait forever) or reset to the session default',
  why: 'an ALTER waiting for its lock holds the queue: every query on the table waits behind it until the blocker ends, which is an outage on a busy table',
  fix: 'keep a bounded lock timeout (the lock-timeout directive, e.g. 5s); schemaguard retries lock timeouts with backoff',
  squawk: [],
  examples: {
    triggers: 'SET lock_timeout = 0;\nCREATE TABLE t (id int);',
    passes: '-- schemaguard:lock-timeout=5s\nCREATE TABLE t (id int);',
  },
  file(ctx) {
    if (ctx.src.lockTimeoutMs === 0) concurrentOnly.set(ctx, ctx.src.noTransaction);
  },
  statement(ctx, s) {
    if (concurrentOnly.get(ctx) && !concurrentIndexStatement(s)) concurrentOnly.set(ctx, false);
    // DISCARD ALL resets every setting too; a transactional file cannot hold it at all (the engine refuses it there).
    const discardAll = ctx.src.noTransaction && s.kind === 'DiscardStmt' && s.node.target === 'DISCARD_ALL';
    const change = discardAll ? { what: 'DISCARD ALL', to: 'default' as const } : s.kind === 'VariableSetStmt' ? setStatement(s.node) : setConfigCall(s);
    if (change) report(ctx, s, change);
  },
  // The directive is reported at the end of the file: what it costs depends on the file's statements.
  endFile(ctx) {
    const concurrent = concurrentOnly.get(ctx);
    concurrentOnly.delete(ctx);
    if (concurrent === undefined) return;
    const line = ctx.src.text.split('\n').findIndex((l) => /schemaguard:lock-timeout/i.test(l)) + 1;
    ctx.reportAt(
      LOCK_TIMEOUT_DISABLED,
      line || 1,
      concurrent
        ? CONCURRENT_REPORT(ctx.src.file)
        : {
            message: `${ctx.src.file} sets lock-timeout=0: its statements wait for locks forever`,
            fix: renderFix([inPlace('-- schemaguard:lock-timeout=5s', '-- a bounded timeout in the header; schemaguard retries lock timeouts with backoff')]),
          },
    );
  },
};

/** Files with the lock-timeout=0 directive: whether every statement so far is a concurrent index statement in a no-transaction file. */
const concurrentOnly = new WeakMap<RuleContext, boolean>();

/** CREATE INDEX CONCURRENTLY, DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY: SHARE UPDATE EXCLUSIVE, no read or write held up. */
function concurrentIndexStatement(s: ParsedStatement): boolean {
  if (s.kind === 'IndexStmt' || s.kind === 'DropStmt') return s.node.concurrent === true;
  return s.kind === 'ReindexStmt' && optionOn(s.node.params, 'concurrently');
}

/** The directive in a no-transaction file of concurrent index statements only: no read or write waits, but the build may wait forever. */
const CONCURRENT_REPORT = (file: string) => ({
  message: `${file} sets lock-timeout=0: its concurrent index statements wait forever for every transaction older than them (an idle-in-transaction session too)`,
  why: "a concurrent index build holds up no read or write while it waits, but it holds SHARE UPDATE EXCLUSIVE on the table, which stops VACUUM, ANALYZE, other index builds and every ALTER TABLE there, and schemaguard's runner lock: the deploy hangs instead of failing with the blocking sessions named",
  fix: renderFix([
    inPlace(
      '-- schemaguard:lock-timeout=10min',
      '-- a long but bounded wait for the transactions older than the build; when one outlives it, the build fails naming it and schemaguard drops its INVALID index',
    ),
  ]),
});

interface Change {
  /** The statement or call, as the message names it. */
  what: string;
  to: 'zero' | 'default';
}

const RESET_TO =
  'the statements after it wait for locks as long as the session default says: 0, forever, unless postgresql.conf, the database or the role sets lock_timeout (ALTER DATABASE/ROLE … SET lock_timeout)';

function report(ctx: RuleContext, s: ParsedStatement, c: Change): void {
  ctx.report(LOCK_TIMEOUT_DISABLED, s, {
    message:
      c.to === 'zero'
        ? `${c.what} turns off the lock timeout schemaguard sets (lock_timeout 0): the statements after it wait for locks forever`
        : `${c.what} drops the lock timeout schemaguard set for this migration: ${RESET_TO}`,
    fix: renderFix([
      inPlace(
        sqlComment(`remove the ${c.to === 'zero' ? 'SET' : 'reset'}; when the default does not fit, bound it in the header instead:`),
        '-- schemaguard:lock-timeout=5s',
      ),
    ]),
  });
}

/** `SET [LOCAL] lock_timeout = 0`, `SET lock_timeout TO DEFAULT`, `RESET lock_timeout`, `RESET ALL`. */
function setStatement(n: Node): Change | undefined {
  if (n.kind === 'VAR_RESET_ALL') return { what: 'RESET ALL', to: 'default' };
  if (String(n.name ?? '').toLowerCase() !== 'lock_timeout') return undefined;
  if (n.kind === 'VAR_RESET') return { what: 'RESET lock_timeout', to: 'default' };
  if (n.kind === 'VAR_SET_DEFAULT') return { what: 'SET lock_timeout TO DEFAULT', to: 'default' };
  const value = as(list(n.args)[0], 'A_Const');
  if (n.kind === 'VAR_SET_VALUE' && isZero(value))
    return { what: `SET${n.is_local ? ' LOCAL' : ''} lock_timeout = ${constantText(present(value))}`, to: 'zero' };
  return undefined;
}

/** `set_config('lock_timeout', '0' | NULL, is_local)` anywhere in the statement (pg_catalog-qualified or not). */
function setConfigCall(s: ParsedStatement): Change | undefined {
  for (const call of findAll(s.node, 'FuncCall')) {
    const fn = names(call.funcname);
    if (fn.at(-1) !== 'set_config' || fn.length > 2 || (fn.length === 2 && fn[0] !== 'pg_catalog')) continue;
    const [name, value] = list(call.args).map((a) => as(a, 'A_Const'));
    const setting = (name?.sval as Node | undefined)?.sval;
    if (typeof setting !== 'string' || setting.toLowerCase() !== 'lock_timeout') continue;
    // A NULL value resets the setting, as RESET does.
    if (value?.isnull === true) return { what: "set_config('lock_timeout', NULL, …)", to: 'default' };
    if (isZero(value)) return { what: `set_config('lock_timeout', ${constantText(present(value))}, …)`, to: 'zero' };
  }
  return undefined;
}

/** A constant that PostgreSQL reads as lock_timeout 0: `0`, `'0s'`, `0.4`, `'400us'` (rounded to whole milliseconds). */
function isZero(c: Node | undefined): boolean {
  if (!c) return false;
  if (c.ival !== undefined) return ((c.ival as Node).ival ?? 0) === 0;
  const text = (c.fval as Node | undefined)?.fval ?? (c.sval as Node | undefined)?.sval;
  return typeof text === 'string' && timeoutMs(text) === 0;
}

/** A constant as written: `0`, `0.4`, `'0s'`. */
function constantText(c: Node): string {
  if (c.ival !== undefined) return String((c.ival as Node).ival ?? 0);
  const f = (c.fval as Node | undefined)?.fval;
  return typeof f === 'string' ? f : quoteLiteral(String((c.sval as Node | undefined)?.sval ?? ''));
}

/** Milliseconds per unit of a time setting; PostgreSQL's unit names are case-sensitive. */
const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A lock_timeout value as PostgreSQL reads it (parse_int, then the unit,
 * then rint: half to even): a number, decimal, hexadecimal (`0x0`) or with
 * a fraction or exponent, then an optional unit (milliseconds without one).
 * Undefined when PostgreSQL would refuse it.
 */
export function timeoutMs(text: string): number | undefined {
  const m = /^\s*([+-]?)(0x[0-9a-f]+|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = m[3] === '' ? 1 : UNIT_MS[m[3]];
  if (unit === undefined) return undefined;
  const value = (m[1] === '-' ? -1 : 1) * (/^0x/i.test(m[2]) ? parseInt(m[2].slice(2), 16) : Number(m[2]));
  const ms = value * unit;
  // rint rounds half to even: 0.5 ms is 0.
  const rounded = Math.abs(ms) <= 0.5 ? 0 : Math.round(ms);
  return rounded < 0 ? undefined : rounded;
}
