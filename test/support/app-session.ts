/** The application's side of a migration: what its statements get from the server. */
import type pg from 'pg';

/** The SQLSTATE a statement fails with on the application's connection, or 'ok'. */
export async function outcome(c: pg.Client, q: pg.QueryConfig): Promise<string> {
  try {
    await c.query(q);
    return 'ok';
  } catch (e) {
    return (e as { code?: string }).code ?? 'no code';
  }
}
