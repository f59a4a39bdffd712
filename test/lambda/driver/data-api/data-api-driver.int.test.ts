import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../../../support/db';
import { DataApiStandin } from '../../../support/data-api-standin';
import { makeDataApiDriver } from '../../../support/drivers';
import { tempDir } from '../../../support/files';
import { PgDriver } from '../../../../lambda/driver/pg/pg-driver';
import { typed, DataApiSqlError } from '../../../../lambda/driver/data-api/data-api-codec';
import { migrate, type MigrateResult } from '../../../../lambda/engine/runner';
import { loadMigrations } from '../../../../lambda/engine/files/source';
import { LockTimeoutError, StatementError } from '../../../../lambda/engine/errors/errors';
import { readCatalog } from '../../../../lambda/schema/catalog';
import { MigrationError } from '../../../../lambda/engine/errors/errors';
import { markDoBlock, markerName } from '../../../../lambda/driver/data-api/outcome-marker';

afterAll(dropDatabases);

const standins: DataApiStandin[] = [];
afterAll(async () => {
  for (const s of standins.splice(0)) await s.close();
});

const roles: { adminUrl: string; url: string; role: string }[] = [];
afterAll(async () => {
  for (const { adminUrl, url, role } of roles.splice(0)) {
    await withClient(url, (c) => c.query(`DROP OWNED BY ${role}`)).catch(() => undefined);
    await withClient(adminUrl, (c) => c.query(`DROP ROLE IF EXISTS ${role}`)).catch(() => undefined);
  }
});

function standin(url: string, options: ConstructorParameters<typeof DataApiStandin>[1] = {}): DataApiStandin {
  const s = new DataApiStandin(url, options);
  standins.push(s);
  return s;
}

describe.each(targets)('$name', (target) => {
  describe('Class: DataApiDriver', () => {
    describe('Method: query', () => {
      it('sends an array parameter as array text: `= ANY ($1::text[])` and readCatalog of given schemas work (the service has no array parameters)', async () => {
        const url = await freshDatabase(target, 'dapi_array');
        await withClient(url, (c) => c.query('CREATE SCHEMA "odd ""name"""; CREATE TABLE "odd ""name""".t (id int); CREATE TABLE public.u (id int)'));
        const session = await makeDataApiDriver(url, standin(url)).connect();

        const found = await session.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE nspname = ANY ($1::text[]) ORDER BY 1', [
          ['public', 'odd "name"', 'absent'],
        ]);
        const catalog = await readCatalog(session, { schemas: ['public', 'odd "name"'] });
        await session.close();

        expect(found.rows.map((r) => r.nspname)).toEqual(['odd "name"', 'public']);
        expect(catalog.tables.map((t) => `${t.schema}.${t.name}`).sort()).toEqual(['odd "name".t', 'public.u']);
      });

      it('decodes every type the engine reads exactly as node-postgres does', async () => {
        // Prepare
        const url = await freshDatabase(target, 'dapi_types');
        const sql = `SELECT 42::int AS i, 9007199254740993::bigint AS b, 'x'::text AS t, true AS ok, false AS nok,
                            '2026-01-02 03:04:05.678+02'::timestamptz AS ts, '{"a":[1,"b"]}'::jsonb AS j, '[1]'::json AS js,
                            ARRAY[1,2]::int[] AS ints, ARRAY['a',NULL,'c d']::text[] AS texts, NULL::text AS n,
                            1.50::numeric AS dec, 2.5::float8 AS f, 'b7c1b4a0-0d6e-4e0f-9d0a-7d1c1f1f1f1f'::uuid AS u,
                            'schemaguard'::name AS nm`;
        const pgDriver = new PgDriver({ connectionString: url });
        const pgSession = await pgDriver.connect();
        const dataApi = await makeDataApiDriver(url, standin(url)).connect();

        // Act
        const expected = (await pgSession.query(sql)).rows[0];
        const actual = (await dataApi.query(sql)).rows[0];
        await pgSession.close();

        // Assess
        expect(actual).toEqual(expected);
        expect(actual).toMatchObject({ b: '9007199254740993', i: 42, dec: '1.50', n: null, j: { a: [1, 'b'] } });
        expect((actual as { ts: Date }).ts.toISOString()).toBe('2026-01-02T01:04:05.678Z');
      });

      it('binds $n parameters as named parameters with type hints', async () => {
        const url = await freshDatabase(target, 'dapi_params');
        const s = await makeDataApiDriver(url, standin(url)).connect();
        await s.query(
          `CREATE TABLE p (id uuid PRIMARY KEY, at timestamptz, doc jsonb, amount numeric(10,2), d date, t time, n bigint, ok boolean, x float8, note text)`,
        );
        const id = '3f1c9a52-3c3e-4d9a-9d55-0c8a1e1e2b77';
        const at = new Date('2026-03-04T05:06:07.890Z');
        const r = await s.query(
          `INSERT INTO p VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id::text, at, doc, amount, d::text, t::text, n, ok, x, note`,
          [
            typed(id, 'UUID'),
            at,
            { k: ['v', 1] },
            typed('12.34', 'DECIMAL'),
            typed('2026-03-04', 'DATE'),
            typed('05:06:07', 'TIME'),
            9007199254740993n,
            true,
            0.25,
            "it's $1 -- not a parameter",
          ],
        );
        expect(r.rowCount).toBe(1);
        expect(r.rows[0]).toEqual({
          id,
          at,
          doc: { k: ['v', 1] },
          amount: '12.34',
          d: '2026-03-04',
          t: '05:06:07',
          n: '9007199254740993',
          ok: true,
          x: 0.25,
          note: "it's $1 -- not a parameter",
        });
        // Without the UUID hint the service binds a string as varchar: PostgreSQL has no uuid = varchar operator.
        await expect(s.query('SELECT 1 FROM p WHERE id = $1', [id])).rejects.toMatchObject({ code: '42883' });
        expect((await s.query('SELECT count(*)::int AS c FROM p WHERE id = $1', [typed(id, 'UUID')])).rows).toEqual([{ c: 1 }]);
        expect((await s.query('UPDATE p SET note = $1 WHERE n = $2::bigint', [null, '9007199254740993'])).rowCount).toBe(1);
      });

      it('raises the service error with PostgreSQL fields and the SQLSTATE', async () => {
        const url = await freshDatabase(target, 'dapi_errors');
        const s = await makeDataApiDriver(url, standin(url)).connect();
        const missing = await s.query('SELECT * FROM nowhere').catch((e: unknown) => e);
        expect(missing).toBeInstanceOf(DataApiSqlError);
        expect(missing).toMatchObject({ code: '42P01', position: '15', message: 'relation "nowhere" does not exist', exception: 'DatabaseErrorException' });
        await s.query('CREATE TABLE u (id int PRIMARY KEY)');
        await s.query('INSERT INTO u VALUES (1)');
        await expect(s.query('INSERT INTO u VALUES (1)')).rejects.toMatchObject({ code: '23505', detail: 'Key (id)=(1) already exists.' });
      });

      it('refuses a response over 1 MiB with SQLSTATE 54000 and says why', async () => {
        const url = await freshDatabase(target, 'dapi_big');
        const s = await makeDataApiDriver(url, standin(url)).connect();
        await expect(s.query(`SELECT repeat('x', 60000) AS big FROM generate_series(1, 20)`)).rejects.toMatchObject({
          code: '54000',
          message: expect.stringContaining('1 MiB'),
        });
      });
    });

    describe('Method: begin/commit/rollback', () => {
      it('keeps a transaction on its id and ends it on commit or rollback', async () => {
        const url = await freshDatabase(target, 'dapi_tx');
        const s = standin(url);
        const session = await makeDataApiDriver(url, s).connect();
        await session.query('CREATE TABLE t (v int)');
        await session.begin({ lockTimeoutMs: 1234, statementTimeoutMs: 0 });
        await session.query('INSERT INTO t VALUES (1)');
        expect((await session.query(`SELECT current_setting('lock_timeout') AS lt`)).rows).toEqual([{ lt: '1234ms' }]);
        expect(await rows(url, 'SELECT * FROM t')).toEqual([]); // not visible outside yet
        await session.commit();
        await session.begin({ lockTimeoutMs: 0, statementTimeoutMs: 0 });
        await session.query('INSERT INTO t VALUES (2)');
        await session.rollback();
        expect(await rows(url, 'SELECT v FROM t')).toEqual([{ v: 1 }]);
        expect(s.openTransactions).toBe(0);
      });

      it('shares no session state between calls outside a transaction', async () => {
        const url = await freshDatabase(target, 'dapi_nosession');
        const session = await makeDataApiDriver(url, standin(url)).connect();
        await session.query(`SET lock_timeout = '7s'`);
        expect((await session.query(`SELECT current_setting('lock_timeout') AS lt`)).rows).toEqual([{ lt: '0' }]);
        // A session-level advisory lock taken in one call is gone after it: why the Data API needs a lease.
        await session.query('SELECT pg_advisory_lock(42)');
        const held = await rows(
          url,
          `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = 42 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        );
        expect(held).toEqual([{ n: 0 }]);
      });

      it('applies setTimeouts to every statement outside a transaction', async () => {
        const url = await freshDatabase(target, 'dapi_timeouts');
        const session = await makeDataApiDriver(url, standin(url)).connect();
        await session.query('CREATE TABLE busy (v int)');
        await session.setTimeouts({ lockTimeoutMs: 200, statementTimeoutMs: 0 });
        await withClient(url, async (blocker) => {
          await blocker.query('BEGIN; LOCK TABLE busy IN ACCESS EXCLUSIVE MODE');
          const started = Date.now();
          await expect(session.query('INSERT INTO busy VALUES (1)')).rejects.toMatchObject({ code: '55P03' });
          expect(Date.now() - started).toBeLessThan(3000);
          await blocker.query('ROLLBACK');
        });
        expect((await session.query('INSERT INTO busy VALUES (1)')).rowCount).toBe(1);
      });

      it('reports a transaction the service expired after its idle limit, and rollback still succeeds', async () => {
        const url = await freshDatabase(target, 'dapi_expired');
        const s = standin(url, { transactionIdleMs: 200 });
        const session = await makeDataApiDriver(url, s).connect();
        await session.begin({ lockTimeoutMs: 0, statementTimeoutMs: 0 });
        await new Promise((r) => setTimeout(r, 500));
        await expect(session.query('SELECT 1')).rejects.toMatchObject({ code: '25P03', exception: 'TransactionNotFoundException' });
        await expect(session.rollback()).resolves.toBeUndefined();
        expect(s.openTransactions).toBe(0);
      });
    });

    describe('Limit: 45-second calls', () => {
      it('waits for a DDL statement that outlives its call (continueAfterTimeout) and cancels a read', async () => {
        const url = await freshDatabase(target, 'dapi_continue');
        const s = standin(url, { syncLimitMs: 300 });
        const driver = makeDataApiDriver(url, s);
        driver.options.statementPollMs = 100;
        const session = await driver.connect();
        // With timeouts, as the engine runs every statement: a one-statement transaction, whose outcome the driver sees.
        await session.setTimeouts({ lockTimeoutMs: 5000, statementTimeoutMs: 0 });
        const started = Date.now();
        await session.query('CREATE TABLE slow AS SELECT 1 AS x FROM pg_sleep(1)');
        expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
        expect(await rows(url, 'SELECT x FROM slow')).toEqual([{ x: 1 }]);
        expect(s.calls.find((c) => c.sql?.includes('CREATE TABLE slow'))?.sql).toMatch(/^\/\*schemaguard-[0-9a-f]{16}\*\/ CREATE/);
        await expect(session.query('SELECT pg_sleep(1)')).rejects.toMatchObject({ code: '57014' });
        // In a transaction: the next call waits until the continued statement is done.
        await session.begin({ lockTimeoutMs: 0, statementTimeoutMs: 0 });
        await session.query('CREATE TABLE slow2 AS SELECT 2 AS x FROM pg_sleep(0.8)');
        expect((await session.query('SELECT x FROM slow2')).rows).toEqual([{ x: 2 }]);
        await session.commit();
        expect(await rows(url, 'SELECT x FROM slow2')).toEqual([{ x: 2 }]);
      });
    });
  });

  describe('Engine on the Data API', () => {
    describe('Limit: no-transaction statements that outlive their call', () => {
      /** A driver on a stand-in whose call limit is `syncLimitMs`, polling fast. */
      function slowCallDriver(url: string, syncLimitMs: number): ReturnType<typeof makeDataApiDriver> {
        const driver = makeDataApiDriver(url, standin(url, { syncLimitMs }));
        driver.options.statementPollMs = 100;
        return driver;
      }

      it('a DO block that fails after its call returned at the limit is not recorded as applied (its outcome cannot be confirmed)', async () => {
        // Prepare
        const url = await freshDatabase(target, 'dapi_unconfirmed');
        await withClient(url, (c) =>
          c.query('CREATE TABLE bf (id int PRIMARY KEY, done boolean NOT NULL DEFAULT false); INSERT INTO bf (id) SELECT generate_series(1, 10)'),
        );
        const dir = tempDir({
          '1_backfill.sql':
            "-- schemaguard:no-transaction\nDO $$ BEGIN\n  UPDATE bf SET done = true WHERE id <= 5;\n  COMMIT;\n  PERFORM pg_sleep(1.5);\n  UPDATE bf SET done = true WHERE id > 5;\n  RAISE EXCEPTION 'backfill batch 2 failed';\nEND $$;\n",
        });

        // Act
        const err = await migrate({ driver: slowCallDriver(url, 500), migrations: loadMigrations(dir), appliedBy: 'test' }).catch((e: unknown) => e);

        // Assess
        expect(err).toBeInstanceOf(StatementError);
        expect(err).toMatchObject({ file: '1_backfill.sql', line: 2 });
        expect((err as StatementError).message).toMatch(
          /^1_backfill\.sql:2: .*did not reach its end.*outcome could not be confirmed through the Data API.*not recorded/,
        );
        expect((err as StatementError).fix).toMatch(/check by hand.*CLI over a direct connection/);
        expect(await rows(url, 'SELECT count(*)::int AS n FROM schemaguard.applied_migrations')).toEqual([{ n: 0 }]);
        expect(await rows(url, 'SELECT count(*) FILTER (WHERE done)::int AS done FROM bf')).toEqual([{ done: 5 }]);
        expect(await rows(url, "SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE 'schemaguard\\_outcome\\_%'")).toEqual([{ n: 0 }]);
      });

      it('a DO block that commits its batches and succeeds after its call returned at the limit is recorded (its last step drops a marker table)', async () => {
        // Prepare
        const url = await freshDatabase(target, 'dapi_confirmed');
        await withClient(url, (c) =>
          c.query('CREATE TABLE bf (id int PRIMARY KEY, done boolean NOT NULL DEFAULT false); INSERT INTO bf (id) SELECT generate_series(1, 10)'),
        );
        const dir = tempDir({
          '1_backfill.sql':
            '-- schemaguard:no-transaction\nDO $$\nDECLARE n int;\nBEGIN\n  UPDATE bf SET done = true WHERE id <= 5;\n  COMMIT;\n  PERFORM pg_sleep(1.5);\n  UPDATE bf SET done = true WHERE id > 5;\nEND;  -- the last batch\n$$;\n',
        });

        // Act
        const result = await migrate({ driver: slowCallDriver(url, 500), migrations: loadMigrations(dir), appliedBy: 'test' });

        // Assess
        expect(result.applied.map((a) => a.file)).toEqual(['1_backfill.sql']);
        expect(await rows(url, 'SELECT count(*) FILTER (WHERE done)::int AS done FROM bf')).toEqual([{ done: 10 }]);
        expect(await rows(url, "SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE 'schemaguard\\_outcome\\_%'")).toEqual([{ n: 0 }]);
      });

      it("a DO block that commits its batches and fails within its call still names the line of its error (the marker keeps PL/pgSQL's lines)", async () => {
        const url = await freshDatabase(target, 'dapi_marked_line');
        const dir = tempDir({ '1_do.sql': "-- schemaguard:no-transaction\nDO $$\nBEGIN\n  COMMIT;\n  RAISE EXCEPTION 'batch failed';\nEND\n$$;\n" });

        const err = await migrate({ driver: slowCallDriver(url, 5000), migrations: loadMigrations(dir), appliedBy: 'test' }).catch((e: unknown) => e);

        expect(err).toMatchObject({ file: '1_do.sql', line: 5, sqlstate: 'P0001' });
        expect(await rows(url, "SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE 'schemaguard\\_outcome\\_%'")).toEqual([{ n: 0 }]);
      });

      it('a CREATE UNIQUE INDEX CONCURRENTLY on duplicates that fails after its call returned names its line and the INVALID index, and is not recorded', async () => {
        // Prepare: a key function slow enough that the build outlives a 500 ms call.
        const url = await freshDatabase(target, 'dapi_cic_dupes');
        await withClient(url, (c) =>
          c.query(`CREATE TABLE acct (id int, email text);
          INSERT INTO acct SELECT g, 'a' || (g % 4) FROM generate_series(1, 8) g;
          CREATE FUNCTION slow_key(t text) RETURNS text IMMUTABLE LANGUAGE plpgsql AS $f$ BEGIN PERFORM pg_sleep(0.15); RETURN t; END $f$;`),
        );
        const dir = tempDir({ '1_uniq.sql': '-- schemaguard:no-transaction\n\nCREATE UNIQUE INDEX CONCURRENTLY acct_email ON acct (slow_key(email));\n' });

        // Act
        const err = await migrate({ driver: slowCallDriver(url, 500), migrations: loadMigrations(dir), appliedBy: 'test' }).catch((e: unknown) => e);

        // Assess
        expect(err).toBeInstanceOf(StatementError);
        expect(err).toMatchObject({ file: '1_uniq.sql', line: 3 });
        expect((err as StatementError).message).toMatch(/index build failed after its Data API call returned.*acct_email is INVALID.*23505/);
        expect((err as StatementError).fix).toMatch(/GROUP BY .*HAVING count\(\*\) > 1/);
        expect(await rows(url, 'SELECT count(*)::int AS n FROM schemaguard.applied_migrations')).toEqual([{ n: 0 }]);
        expect(await rows(url, `SELECT to_regclass('acct_email') AS i`)).toEqual([{ i: null }]); // the INVALID index was dropped
      });

      it('a CREATE INDEX CONCURRENTLY waiting for an older transaction past its call is a lock timeout naming the blocker, retried (not a statement timeout)', async () => {
        // Prepare: an open transaction that wrote to the table; the build waits for it.
        const url = await freshDatabase(target, 'dapi_cic_wait');
        await withClient(url, (c) => c.query('CREATE TABLE t (id int)'));
        const old = new PgDriver({ connectionString: url });
        const holder = await old.connect();
        await holder.begin({ lockTimeoutMs: 0, statementTimeoutMs: 0 });
        await holder.query('INSERT INTO t VALUES (1)');
        const dir = tempDir({ '1_idx.sql': '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n' });
        const retries: number[] = [];

        // Act
        const err = await migrate({
          driver: slowCallDriver(url, 400),
          migrations: loadMigrations(dir),
          appliedBy: 'test',
          lockTimeoutMs: 300,
          lockRetries: 1,
          retryDelayMs: 50,
          onEvent: (e) => {
            if (e.type === 'retry') retries.push(e.attempt);
          },
        })
          .catch((e: unknown) => e)
          .finally(async () => {
            await holder.rollback();
            await holder.close();
            await old.end();
          });

        // Assess
        expect(err).toBeInstanceOf(LockTimeoutError);
        expect(err).toMatchObject({ file: '1_idx.sql', line: 2, sqlstate: '55P03', attempts: 2 });
        expect((err as LockTimeoutError).blockers.map((b) => b.pid)).toEqual([holder.pid]);
        expect((err as LockTimeoutError).message).toMatch(new RegExp(`blocked by pid ${holder.pid}`));
        expect(retries).toEqual([1]);
        expect(await rows(url, 'SELECT count(*)::int AS n FROM schemaguard.applied_migrations')).toEqual([{ n: 0 }]);
        expect(await rows(url, `SELECT count(*)::int AS n FROM pg_index WHERE indisvalid AND indexrelid = to_regclass('t_id')`)).toEqual([{ n: 0 }]);
      });
    });

    describe('Outcome markers', () => {
      const markers = (url: string) => rows(url, "SELECT relname AS name FROM pg_class WHERE relname LIKE 'schemaguard\\_outcome\\_%' ORDER BY 1");

      // Regression: a runner that died mid-call (its Lambda ended) left its marker table in the state schema for good.
      it("the next run that applies a file drops, under the runner lock, the markers of runners whose lease is gone; a live runner's stay", async () => {
        // Prepare: the state made by a first run; markers of a dead runner (and one of the form without a holder), and one of a live lease of another name.
        const url = await freshDatabase(target, 'dapi_markers');
        const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' });
        await migrate({ driver: makeDataApiDriver(url, standin(url)), migrations: loadMigrations(dir), appliedBy: 'test' });
        const live = randomUUID();
        const id = () => randomBytes(8).toString('hex');
        const dead = [markerName(id(), randomUUID()), markerName(id())];
        const kept = markerName(id(), live);
        await withClient(url, (c) =>
          c.query(`
          INSERT INTO schemaguard.runner_lease (name, holder, owner, acquired_at, renewed_at, expires_at)
          VALUES ('backfill', '${live}', 'another runner', now(), now(), now() + interval '10 minutes');
          ${[...dead, kept].map((m) => `CREATE TABLE schemaguard.${m} ();`).join('\n')}`),
        );

        // Act: a run with nothing to apply, then one that applies a file.
        await migrate({ driver: makeDataApiDriver(url, standin(url)), migrations: loadMigrations(dir), appliedBy: 'test' });
        const untouched = await markers(url);
        const more = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n', '2_b.sql': 'CREATE TABLE b (id int);\n' });
        const result = await migrate({ driver: makeDataApiDriver(url, standin(url)), migrations: loadMigrations(more), appliedBy: 'test' });

        // Assess
        expect(untouched).toEqual([...dead, kept].sort().map((name) => ({ name })));
        expect(result.applied.map((a) => a.file)).toEqual(['2_b.sql']);
        expect(await markers(url)).toEqual([{ name: kept }]);
      });

      // Regression: a runner that died while its DO block's call went on past 45 s: its lease expired, and the next run started the same file beside the block.
      it('a run while the DO block of a runner whose lease expired still runs: refused before anything runs, naming its pid; once it ends, the run goes on and drops its marker', async () => {
        // Prepare: the state made by a first run; a dead runner's marker, and its block still running on the server (the call outlived the runner).
        const url = await freshDatabase(target, 'dapi_stale_block');
        await migrate({
          driver: makeDataApiDriver(url, standin(url)),
          migrations: loadMigrations(tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' })),
          appliedBy: 'test',
        });
        const marker = markerName(randomBytes(8).toString('hex'), randomUUID());
        await withClient(url, (c) => c.query(`CREATE TABLE schemaguard.${marker} ()`));
        const old = new PgDriver({ connectionString: url });
        const block = await old.connect();
        const pid = Number((await block.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
        // As the driver sent it: longer than the 1 kB of a query pg_stat_activity shows.
        const sent = markDoBlock(
          `DO $$\nBEGIN\n  COMMIT;\n${'  PERFORM 1;\n'.repeat(200)}  PERFORM pg_sleep(60);\nEND\n$$`,
          `schemaguard.${marker}`,
          'sgw_1',
        )!.sql;
        const running = block.query(sent).catch((e: unknown) => e);
        await expect.poll(async () => (await rows(url, `SELECT state FROM pg_stat_activity WHERE pid = ${pid}`))[0]).toEqual({ state: 'active' });
        const files = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n', '2_b.sql': 'CREATE TABLE b (id int);\n' });

        // Act: a run while the block runs; then the block is cancelled, as the fix says, and the run is repeated.
        const err = await migrate({ driver: makeDataApiDriver(url, standin(url)), migrations: loadMigrations(files), appliedBy: 'test' }).catch(
          (e: unknown) => e,
        );
        const whileRunning = await rows(url, "SELECT to_regclass('b') AS b");
        await withClient(url, (c) => c.query(`SELECT pg_cancel_backend(${pid})`));
        expect(await running).toMatchObject({ code: '57014' });
        await block.close();
        await old.end();
        const result = await migrate({ driver: makeDataApiDriver(url, standin(url)), migrations: loadMigrations(files), appliedBy: 'test' });

        // Assess
        expect(err).toBeInstanceOf(MigrationError);
        expect((err as MigrationError).message).toMatch(
          new RegExp(
            `^a DO block of a runner that stopped \\(its lease expired\\) is still running: pid ${pid}, for \\d+ s \\(outcome marker schemaguard\\.${marker}\\); nothing was run$`,
          ),
        );
        expect((err as MigrationError).fix).toContain(`SELECT pg_cancel_backend(${pid})`);
        expect(whileRunning).toEqual([{ b: null }]);
        expect(result.applied.map((a) => a.file)).toEqual(['2_b.sql']);
        expect(await rows(url, `SELECT to_regclass('schemaguard.${marker}') AS m`)).toEqual([{ m: null }]);
      });

      it('a pending DO block that commits its batches, when the role may not create its marker in the state schema: refused before anything runs, with the GRANT', async () => {
        // Prepare: the state made by the admin; a role that may run migrations there but not create tables in it.
        const url = await freshDatabase(target, 'dapi_marker_grant');
        const role = `sg_migrator_${randomBytes(4).toString('hex')}`;
        const password = randomBytes(12).toString('hex');
        roles.push({ adminUrl: target.adminUrl, url, role });
        const files = {
          '1_bf.sql': 'CREATE TABLE bf (id int PRIMARY KEY, done boolean NOT NULL DEFAULT false);\nINSERT INTO bf (id) SELECT generate_series(1, 10);\n',
          '2_backfill.sql':
            '-- schemaguard:no-transaction\nDO $$\nBEGIN\n  UPDATE bf SET done = true WHERE id <= 5;\n  COMMIT;\n  UPDATE bf SET done = true WHERE id > 5;\nEND\n$$;\n',
        };
        await migrate({
          driver: makeDataApiDriver(url, standin(url)),
          migrations: loadMigrations(tempDir({ '1_bf.sql': files['1_bf.sql'] })),
          appliedBy: 'admin',
        });
        await withClient(url, (c) =>
          c.query(`
          CREATE ROLE ${role} LOGIN PASSWORD '${password}';
          GRANT USAGE ON SCHEMA schemaguard TO ${role};
          GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA schemaguard TO ${role};
          GRANT SELECT, UPDATE ON bf TO ${role};`),
        );
        const asRole = new URL(url);
        asRole.username = role;
        asRole.password = password;
        const run = () =>
          migrate({ driver: makeDataApiDriver(asRole.toString(), standin(asRole.toString())), migrations: loadMigrations(tempDir(files)), appliedBy: role });

        // Act
        const err = await run().catch((e: unknown) => e);

        // Assess
        expect(err).toBeInstanceOf(MigrationError);
        expect(err).toMatchObject({ file: '2_backfill.sql', line: 2, sqlstate: '42501' });
        expect((err as MigrationError).message).toBe(
          `2_backfill.sql:2: a DO block that commits its batches runs through the Data API with an outcome marker, a table made in the state schema schemaguard for the call, and role ${role} may not create tables there; nothing was run`,
        );
        expect((err as MigrationError).fix).toMatch(new RegExp(`^GRANT CREATE ON SCHEMA "schemaguard" TO "${role}";  \\(the marker tells the driver`));
        expect(await rows(url, 'SELECT count(*) FILTER (WHERE done)::int AS done FROM bf')).toEqual([{ done: 0 }]);
        expect(await rows(url, 'SELECT version FROM schemaguard.applied_migrations ORDER BY version')).toEqual([{ version: '1' }]);
        expect(await markers(url)).toEqual([]);
        // CREATE revoked after the run looked: the driver says the same when it makes the marker, and runs nothing.
        const driver = makeDataApiDriver(asRole.toString(), standin(asRole.toString()));
        driver.stateSchema = 'schemaguard';
        const session = await driver.connect();
        const late = await session
          .query(files['2_backfill.sql'])
          .catch((e: unknown) => e)
          .finally(() => session.close());
        expect(late).toMatchObject({ sqlstate: '42501', fix: expect.stringMatching(new RegExp(`^GRANT CREATE ON SCHEMA "schemaguard" TO "${role}";`)) });
        expect(await rows(url, 'SELECT count(*) FILTER (WHERE done)::int AS done FROM bf')).toEqual([{ done: 0 }]);

        // The GRANT the error gives: the file runs, marked.
        await withClient(url, (c) => c.query((err as MigrationError).fix!.replace(/;.*$/, ';')));
        expect((await run()).applied.map((a) => a.file)).toEqual(['2_backfill.sql']);
        expect(await rows(url, 'SELECT count(*) FILTER (WHERE done)::int AS done FROM bf')).toEqual([{ done: 10 }]);
        expect(await markers(url)).toEqual([]);
      });
    });

    it('reports a failing statement with its file, line and SQLSTATE', async () => {
      const url = await freshDatabase(target, 'dapi_engine_err');
      const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n\nINSERT INTO a\n  SELECT * FROM missing_table;\n' });
      const err = await migrate({ driver: makeDataApiDriver(url, standin(url)), migrations: loadMigrations(dir), appliedBy: 'test' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StatementError);
      expect(err).toMatchObject({ sqlstate: '42P01', file: '1_a.sql', line: 4 });
      expect(await rows(url, `SELECT to_regclass('a') AS t`)).toEqual([{ t: null }]);
    });

    it('ten concurrent runners apply each migration exactly once', async () => {
      // Prepare
      const url = await freshDatabase(target, 'dapi_ten');
      const dir = tempDir({
        '1_log.sql': "CREATE TABLE log (version int NOT NULL, runner text NOT NULL);\nINSERT INTO log VALUES (1, current_setting('application_name'));\n",
        '2_more.sql': "INSERT INTO log VALUES (2, 'x');\nSELECT pg_sleep(0.2);\n",
        '3_idx.sql': "-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY log_version ON log (version);\nINSERT INTO log VALUES (3, 'x');\n",
      });
      const migrations = loadMigrations(dir);
      const s = standin(url, { poolSize: 20 });

      let waited = 0;

      // Act
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          migrate({
            driver: makeDataApiDriver(url, s),
            migrations,
            appliedBy: `runner-${i}`,
            lockWaitMs: 60_000,
            onEvent: (e) => {
              if (e.type === 'lock-wait') waited++;
            },
          }),
        ),
      );

      // Assess
      const applied = results.flatMap((r: MigrateResult) => r.applied.map((a) => a.version)).sort();
      expect(applied).toEqual([1, 2, 3]);
      expect(waited).toBeGreaterThan(0); // they really ran into each other
      expect(results.every((r) => r.currentVersion === 3)).toBe(true);
      expect(await rows(url, 'SELECT version, count(*)::int AS n FROM log GROUP BY version ORDER BY version')).toEqual([
        { version: 1, n: 1 },
        { version: 2, n: 1 },
        { version: 3, n: 1 },
      ]);
      expect(await rows(url, 'SELECT version FROM schemaguard.applied_migrations ORDER BY version')).toEqual([
        { version: '1' },
        { version: '2' },
        { version: '3' },
      ]);
      expect(await rows(url, 'SELECT count(*)::int AS n FROM schemaguard.runner_lease')).toEqual([{ n: 0 }]);
      expect(s.openTransactions).toBe(0);
    });
  });
});
