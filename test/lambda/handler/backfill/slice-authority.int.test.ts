/**
 * Invoke is not authority, for a backfill's slices: the migration function,
 * after a deploy left its backfill running, refuses every hand-made slice
 * that names something the deploy did not ask for — a file without a
 * backfill, another file under the backfill's version, a backfill recorded
 * in the database by files the function does not have, one whose recorded
 * statement differs from the function's file — and so does the role
 * provisioner (it holds the master secret) for the deploy's own slice.
 * After each refusal no batch ran: the backfill's row and the table are as
 * they were. The deploy's own slice, to the migration function, still runs.
 * On a real PostgreSQL.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { PgDriver } from '../../../../lambda/driver/pg/pg-driver';
import { loadMigrations } from '../../../../lambda/engine/files/source';
import { migrate } from '../../../../lambda/engine/runner';
import { BACKFILL_SLICE_FIELD } from '../../../../lambda/handler/backfill/protocol';
import { ENV, MIGRATOR_ROLE_RESOURCE_TYPE } from '../../../../lambda/handler/constants';
import type { Handlers } from '../../../../lambda/handler/handler';
import { backfillHandlers, deploy } from '../../../support/backfill-deploy';
import { dropDatabases, freshDatabase, rows, targets } from '../../../support/db';
import { tempDir } from '../../../support/files';

afterAll(dropDatabases);

const ORDERS =
  "CREATE TABLE orders (id bigint PRIMARY KEY, country text NOT NULL, region text, note text);\nINSERT INTO orders (id, country) SELECT g, 'FR' FROM generate_series(1, 3000) g;\n";
const REGION = '-- schemaguard:backfill\nUPDATE orders SET region = lower(country) WHERE region IS NULL;\n';
const ctx = { getRemainingTimeInMillis: () => 3000, awsRequestId: 'req-forged' };
const slice = (version: number, file: string) => ({ [BACKFILL_SLICE_FIELD]: { version, file } });

/** What a batch would change: the backfills' rows and the table's filled columns. */
const snapshot = async (url: string) => ({
  backfills: await rows(
    url,
    'SELECT version, file, state, last_key, rows_done::int AS rows_done, batches::int AS batches FROM schemaguard.backfills ORDER BY version',
  ),
  filled: await rows(url, 'SELECT count(region)::int AS region, count(note)::int AS note FROM orders'),
});

describe('Backfill slices: invoke is not authority', () => {
  const target = targets[0]!;

  it("refuses slices the deploy did not ask for, changing nothing; runs the deploy's own", async () => {
    const url = await freshDatabase(target, 'backfill_slice_authority');
    // The function's files: the expand and its backfill, and a 0003 whose backfill statement is not the one the database recorded.
    const dir = tempDir({
      '0001_orders.sql': ORDERS,
      '0002_region.sql': REGION,
      '0003_note.sql': "-- schemaguard:backfill\nUPDATE orders SET note = 'n' WHERE note IS NULL;\n",
    });
    // Another set of files migrated the same database first: its 0003 and 0004 record backfills this function's files do not have.
    const other = tempDir({
      '0001_orders.sql': ORDERS,
      '0002_region.sql': REGION,
      '0003_note.sql': "-- schemaguard:backfill\nUPDATE orders SET note = 'x' || id WHERE note IS NULL;\n",
      '0004_other.sql': "-- schemaguard:backfill\nUPDATE orders SET note = 'other' WHERE note IS NULL;\n",
    });
    const handlers = backfillHandlers(url, dir, { backfill: { minRows: 100, maxRows: 100 } });
    await migrate({
      driver: new PgDriver({ connectionString: url }),
      migrations: loadMigrations(other),
      appliedBy: 'another-checkout',
      backfills: 'start',
      backfillSettings: { minRows: 100, maxRows: 100 },
    });
    const before = await snapshot(url);
    expect(before.backfills.map((b) => b.state)).toEqual(['running', 'running', 'running']);

    const refused = async (h: Handlers, event: ReturnType<typeof slice>, message: RegExp) => {
      await expect(h.onEvent(event as never, ctx)).rejects.toThrow(message);
      expect(await snapshot(url)).toEqual(before);
    };
    await refused(handlers, slice(1, '0001_orders.sql'), /not a backfill of this function's files/);
    await refused(handlers, slice(2, '0001_orders.sql'), /not a backfill of this function's files \(version 2 is 0002_region\.sql\)/);
    await refused(handlers, slice(4, '0004_other.sql'), /not a backfill of this function's files/);
    await refused(
      handlers,
      slice(3, '0003_note.sql'),
      /0003_note\.sql: the backfill of version 3 in schemaguard\.backfills records 0003_note\.sql's statement, another than the file has/,
    );
    // The role provisioner: same code, the master secret, serving the role resources only.
    const provisioner = backfillHandlers(url, dir, {
      backfill: { minRows: 100, maxRows: 100 },
      env: { [ENV.serves]: JSON.stringify([{ type: MIGRATOR_ROLE_RESOURCE_TYPE, fixed: {} }]) },
    });
    await refused(provisioner, slice(2, '0002_region.sql'), /a backfill slice came to a function that does not run the migrations/);

    const own = (await handlers.onEvent(slice(2, '0002_region.sql') as never, ctx)) as unknown as { state: string; file: string; rowsDone: number };
    expect(own.file).toBe('0002_region.sql');
    expect(own.rowsDone).toBeGreaterThan(Number(before.backfills[0]!.rows_done));
    const after = await snapshot(url);
    expect(after.filled[0]!.region).toBeGreaterThan(Number(before.filled[0]!.region));
    expect(after.backfills.slice(1)).toEqual(before.backfills.slice(1));
  }, 120_000);

  it("the deploy's own function runs its deploy's slice after the deploy", async () => {
    const url = await freshDatabase(target, 'backfill_slice_deployed');
    const dir = tempDir({ '0001_orders.sql': ORDERS, '0002_region.sql': REGION });
    const handlers = backfillHandlers(url, dir, { backfill: { minRows: 100, maxRows: 100 } });
    const response = await deploy(handlers, dir, 'Create');
    expect(response.Status, response.Reason).toBe('SUCCESS');
    const result = (await handlers.onEvent(slice(2, '0002_region.sql') as never, { ...ctx, getRemainingTimeInMillis: () => 60_000 })) as unknown as {
      state: string;
    };
    expect(result.state).toBe('done');
    expect(await rows(url, 'SELECT count(*)::int AS n FROM orders WHERE region IS NULL')).toEqual([{ n: 0 }]);
  }, 120_000);
});
