/** Watching other sessions from the outside: what pg_stat_activity says about them over time. */
import { sleep } from '../../lambda/engine/runtime/sleep';
import { withClient } from './system-postgres';

export interface ActivitySample {
  pid: number;
  state: string | null;
  wait_event_type: string | null;
  wait_event: string | null;
  /** An open transaction (xact_start is set). */
  in_transaction: boolean;
  /** A snapshot is held (backend_xmin is set). */
  xmin: boolean;
  query: string;
}

/** pg_stat_activity of the sessions named `application` in this database (other test files run beside), every `everyMs` for `forMs`. */
export async function sampleActivity(url: string, application: string, forMs: number, everyMs = 20): Promise<ActivitySample[]> {
  return withClient(
    url,
    async (c) => {
      const out: ActivitySample[] = [];
      const until = Date.now() + forMs;
      while (Date.now() < until) {
        const r = await c.query<ActivitySample>(
          `SELECT pid, state, wait_event_type, wait_event, xact_start IS NOT NULL AS in_transaction,
                backend_xmin IS NOT NULL AS xmin, left(query, 200) AS query
           FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = $1 AND pid <> pg_backend_pid()
            -- A backend still starting (its connection's own setup runs in a transaction before its first command) reports no state yet.
            AND state IS NOT NULL`,
          [application],
        );
        out.push(...r.rows);
        await sleep(everyMs);
      }
      return out;
    },
    'schemaguard-test-observer',
  );
}
