/**
 * lock-timeout-disabled: a migration that waits for its locks forever, by
 * the `lock-timeout=0` directive or `SET [LOCAL] lock_timeout = 0`.
 */
import { parseDuration } from '../../../engine/duration';
import { as, list, type Node } from '../../parse';
import { inPlace, renderFix } from '../fix';
import type { LintRule } from '../rule';

export const LOCK_TIMEOUT_DISABLED: LintRule = {
  id: 'lock-timeout-disabled',
  severity: 'error',
  title: 'lock_timeout overridden to 0 (wait forever)',
  why: 'an ALTER waiting for its lock holds the queue: every query on the table waits behind it until the blocker ends, which is an outage on a busy table',
  fix: 'keep a bounded lock timeout (the lock-timeout directive, e.g. 5s); schemaguard retries lock timeouts with backoff',
  squawk: [],
  examples: {
    triggers: "SET lock_timeout = 0;\nCREATE TABLE t (id int);",
    passes: "-- schemaguard:lock-timeout=5s\nCREATE TABLE t (id int);",
  },
  file(ctx) {
    if (ctx.src.lockTimeoutMs !== 0) return;
    const line = ctx.src.text.split('\n').findIndex((l) => /schemaguard:lock-timeout/i.test(l)) + 1;
    ctx.reportAt(LOCK_TIMEOUT_DISABLED, line || 1, {
      message: `${ctx.src.file} sets lock-timeout=0: its statements wait for locks forever`,
      fix: renderFix([inPlace('-- schemaguard:lock-timeout=5s', '-- a bounded timeout in the header; schemaguard retries lock timeouts with backoff')]),
    });
  },
  statement(ctx, s) {
    if (s.kind !== 'VariableSetStmt' || String(s.node.name ?? '').toLowerCase() !== 'lock_timeout' || !isZero(s.node)) return;
    ctx.report(LOCK_TIMEOUT_DISABLED, s, {
      message: 'SET lock_timeout = 0 turns off the lock timeout schemaguard sets',
      fix: renderFix([inPlace(
        '-- remove the SET; when the default does not fit, bound it in the header instead:',
        '-- schemaguard:lock-timeout=5s',
      )]),
    });
  },
};

function isZero(n: Node): boolean {
  const arg = as(list(n.args)[0], 'A_Const');
  if (!arg) return false;
  const ival = arg.ival as Node | undefined;
  const sval = (arg.sval as Node | undefined)?.sval as string | undefined;
  if (ival && (ival.ival === undefined || ival.ival === 0)) return true;
  return sval !== undefined && parseDuration(sval.trim()) === 0;
}
