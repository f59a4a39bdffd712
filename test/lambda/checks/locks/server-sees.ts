/** What a statement does to some tables, as the server shows it in a transaction rolled back (the locks tests' ground truth). */
import type pg from 'pg';
import { LOCK_MODES, pgLocksMode } from '../../../../lambda/checks/locks/modes';

const STRENGTH = LOCK_MODES.map(pgLocksMode);

/**
 * After `before` (when given), run `sql` and report, for each of `tables`,
 * the strongest lock it holds (of `modes` only, when given; pg_locks' names)
 * and which of them it read (pg_stat_xact_user_tables). Rolled back.
 */
export async function serverSees(
  c: pg.Client,
  sql: string,
  tables: string[],
  options: { before?: string; modes?: string[] } = {},
): Promise<{ locks: Record<string, string>; read: string[] }> {
  await c.query('BEGIN');
  try {
    if (options.before) await c.query(options.before);
    const scans = async () =>
      new Map(
        (
          await c.query<{ relname: string; n: string }>('SELECT relname, seq_scan AS n FROM pg_stat_xact_user_tables WHERE relname = ANY($1)', [tables])
        ).rows.map((r) => [r.relname, Number(r.n)]),
      );
    const start = await scans();
    await c.query(sql);
    const held = (
      await c.query<{ relname: string; mode: string }>(
        'SELECT c.relname, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE l.pid = pg_backend_pid() AND l.granted AND c.relname = ANY($1)',
        [tables],
      )
    ).rows.filter((r) => !options.modes || options.modes.includes(r.mode));
    const locks: Record<string, string> = {};
    for (const { relname, mode } of held) if (!locks[relname] || STRENGTH.indexOf(mode) > STRENGTH.indexOf(locks[relname]!)) locks[relname] = mode;
    const end = await scans();
    return {
      locks,
      read: [...end]
        .filter(([t, n]) => n > (start.get(t) ?? 0))
        .map(([t]) => t)
        .sort(),
    };
  } finally {
    await c.query('ROLLBACK');
  }
}
