/**
 * waitForStandbys on Aurora's readers, read from `aurora_replica_status()`:
 * Aurora is not here, so a function of that name with the documented
 * columns (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora_replica_status.html)
 * stands in for it in a database of the test server. The streaming path is
 * tested on a real standby (replication.int.test.ts); a server with no
 * standby reports none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForStandbys } from '../../../../lambda/checks/replication/standbys';
import { StandbyLagError } from '../../../../lambda/engine/errors/errors';
import { dropDatabases, freshDatabase, targets, withClient } from '../../../support/db';

afterAll(dropDatabases);

/** A reader whose last status update is `updated` ago, lagging `lagMs`; the writer's own row as Aurora gives it. */
const STAND_IN = (updated: string, lagMs: number) => `
CREATE OR REPLACE FUNCTION aurora_replica_status()
RETURNS TABLE (server_id text, session_id text, replica_lag_in_msec real, last_update_timestamp timestamptz)
LANGUAGE sql AS $$
  VALUES ('writer-1', 'MASTER_SESSION_ID', NULL::real, NULL::timestamptz),
         ('reader-1', '7c1d1f8e-0000-4000-8000-000000000001', ${lagMs}::real, clock_timestamp() - interval '${updated}')
$$`;

describe.each(targets)('Function: waitForStandbys, on $name', (target) => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase(target, 'standbys');
  });

  it('a server without standbys: none, caught up, no wait', async () => {
    const report = await withClient(url, (c) => waitForStandbys(c, { timeoutMs: 5000 }));
    expect(report).toMatchObject({ standbys: [], caughtUp: true, waitedMs: 0 });
  });

  it('an Aurora reader that reported after the commit, less its lag: caught up, its lag reported', async () => {
    await withClient(url, (c) => c.query(STAND_IN('0 seconds', 0)));
    const report = await withClient(url, (c) => waitForStandbys(c, { timeoutMs: 3000, pollMs: 50 }));
    expect(report.caughtUp).toBe(true);
    expect(report.standbys).toEqual([{ name: 'reader-1', caughtUp: true, lagMs: 0 }]);
    expect(report.summary).toBe('standbys: 1 caught up (reader-1, lag 0 ms)');
  });

  it('an Aurora reader whose last status is older than the commit: a warning after the wait, a StandbyLagError when strict', async () => {
    await withClient(url, (c) => c.query(STAND_IN('1 hour', 20)));
    const lines: string[] = [];
    const report = await withClient(url, (c) => waitForStandbys(c, { timeoutMs: 300, pollMs: 50, onProgress: (l) => lines.push(l) }));
    expect(report.caughtUp).toBe(false);
    expect(report.summary).toMatch(/^standbys: 1 still behind after \d+ ms: reader-1, lag 20 ms; the application deployed next may read the old schema there/);
    await expect(withClient(url, (c) => waitForStandbys(c, { timeoutMs: 100, pollMs: 50, strict: true }))).rejects.toBeInstanceOf(StandbyLagError);
  });
});
