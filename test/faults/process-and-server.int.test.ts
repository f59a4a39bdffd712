/**
 * Fault matrix: the runner process killed with SIGKILL, the PostgreSQL
 * server restarted under a run, and a database that is down, silent or
 * refusing TLS at start. Server restarts use a server of this file's own
 * (startServer), never the run's shared ones.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgDriver } from '../../lambda/driver/pg/pg-driver';
import { ConnectionError, MigrationError } from '../../lambda/engine/errors/errors';
import { migrate } from '../../lambda/engine/runner';
import { loadMigrations } from '../../lambda/engine/files/source';
import { CLI, ROOT, runCli, type CliRun } from '../support/cli';
import { dropDatabases, freshDatabase, targets, withClient } from '../support/db';
import { driverKinds } from '../support/drivers';
import { rejection, runEngine } from '../support/engine';
import { tempDir } from '../support/files';
import { cleanup, embeddedBinDir, startServer, type StartedServer } from '../support/system-postgres';
import { COUNT_RUNS, expectConsistent, leaks, sleep, sleepFirstRun, steps, Transcript, waitForMarker } from './support';

afterAll(dropDatabases);

const target = targets[0]!;
const pg = driverKinds[0]!;
const transcript = new Transcript();
const record = (r: CliRun) => {
  transcript.add(r.stdout, r.stderr);
  return r;
};

describe.each(targets)('Faults: the runner process killed, on $name', (t) => {
  it('SIGKILL mid-migration: nothing of that migration stays, the server ends the orphaned statement, and the next runner takes the lock and finishes', async () => {
    // Prepare
    const url = await freshDatabase(t, 'sigkill');
    // The first execution of migration 2 would run for 20 s: the server must end
    // the orphaned statement rather than let it run out. nextval survives the
    // rollback, so the rerun's execution is quick.
    const dir = tempDir(
      steps(3, {
        1: COUNT_RUNS,
        2: `SELECT 'marker_fault_sigkill' AS m, ${sleepFirstRun(20)};`,
      }),
    );
    const child = spawn(process.execPath, [CLI, 'migrate', '--dir', dir, '--database-url', url], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, signal) => r(signal)));

    // Act: kill the process while migration 2 runs, then start the next runner at once
    await waitForMarker(url, 'marker_fault_sigkill', 10_000, { inSleep: true });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    transcript.add(output);
    const started = Date.now();
    const next = record(await runCli(['migrate', '--dir', dir, '--database-url', url, '--lock-wait', '30s'], { timeoutMs: 40_000 }));

    // Assess
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toMatch(/^applied 2 migrations .*; version 3, 3 applied/);
    expect(Date.now() - started, 'the orphaned statement was ended by the server').toBeLessThan(8000);
    await expectConsistent(url, [1, 2, 3]);
  }, 60_000);
});

describe('Faults: PostgreSQL restarted, unreachable or refusing TLS (a server of this file)', () => {
  let server: StartedServer;
  let url: string;
  beforeAll(async () => {
    // The run's binaries, or the embedded package's when the run uses an outside server (DATABASE_URL).
    server = await startServer(target.binDir ?? embeddedBinDir(), {}, 'fault-restart');
    url = `postgres://postgres:${server.password}@127.0.0.1:${server.port}/postgres`;
  });
  afterAll(async () => {
    await server?.stop('immediate');
    if (server) cleanup(server);
  });

  it("migrate with nothing to do leaves no line in the server's log: its one connection is closed as any other", async () => {
    const db = 'noop_quiet';
    await withClient(url, (c) => c.query(`CREATE DATABASE ${db}`));
    const dbUrl = url.replace(/\/postgres$/, `/${db}`);
    const dir = tempDir(steps(2));
    expect((await runCli(['migrate', '--dir', dir, '--database-url', dbUrl])).code).toBe(0);
    const from = server.log().length;

    for (let k = 0; k < 4; k++) {
      const r = await runCli(['migrate', '--dir', dir, '--database-url', dbUrl]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^up to date: version 2, 2 applied/);
    }

    // A process that exits with a connection half-open makes the server log "could not receive data from client: Connection reset by peer".
    await sleep(300);
    expect(
      server
        .log()
        .slice(from)
        .split('\n')
        .filter((l) => /LOG|FATAL|ERROR|WARNING/.test(l)),
    ).toEqual([]);
  });

  it('sslmode=require against a server without TLS: a clear message, exit 1, no retry and no hang', async () => {
    // This file's own server: started without TLS, whatever the run's servers are.
    const u = new URL(url);
    u.search = '?sslmode=require';
    const started = Date.now();
    const r = record(await runCli(['migrate', '--dir', tempDir(steps(1)), '--database-url', u.toString(), '--connect-retries', '5']));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('The server does not support SSL connections');
    expect(r.stderr).toContain('fix: the server has TLS off');
    expect(r.stderr).not.toContain('cannot connect yet');
    expect(Date.now() - started).toBeLessThan(8000);
  });

  it('fast shutdown during a migration: the run fails saying the connection was lost; after the restart a rerun converges', async () => {
    const db = 'restart_mid_run';
    await withClient(url, (c) => c.query(`CREATE DATABASE ${db}`));
    const dbUrl = url.replace(/\/postgres$/, `/${db}`);
    const dir = tempDir(steps(3, { 2: "SELECT 'marker_fault_restart' AS m, pg_sleep(3);" }));

    const run = rejection<MigrationError>(runEngine(pg, dbUrl, dir));
    await waitForMarker(dbUrl, 'marker_fault_restart', 10_000, { inSleep: true });
    await server.stop('fast');
    const e = await run;
    await server.restart();

    expect(e).toBeInstanceOf(MigrationError);
    expect(e.file).toBe('2_step2.sql');
    expect(e.message).toMatch(/connection lost: .*(terminat|shut ?down)/i);
    transcript.add(e.message);
    await expectConsistent(dbUrl, [1]);
    const r = record(await runCli(['migrate', '--dir', dir, '--database-url', dbUrl]));
    expect(r.code, r.stderr).toBe(0);
    await expectConsistent(dbUrl, [1, 2, 3]);
  });

  it('down at start, up a second later: bounded retries connect and the run completes', async () => {
    const dir = tempDir(steps(2));
    await withClient(url, (c) => c.query('CREATE DATABASE down_at_start'));
    const dbUrl = url.replace(/\/postgres$/, '/down_at_start');
    await server.stop('fast');
    const comeBack = sleep(1000).then(() => server.restart());

    const r = record(await runCli(['migrate', '--dir', dir, '--database-url', dbUrl, '--connect-retries', '8', '--connect-timeout', '2s']));
    await comeBack;

    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/cannot connect yet \(attempt 1\): .*ECONNREFUSED.*; retrying in \d+ ms/);
    expect(r.stdout).toContain('applied 2 migrations');
    await expectConsistent(dbUrl, [1, 2]);
  });

  it('down for good: the engine gives up after the bounded attempts with the count and the time', async () => {
    const port = server.port;
    await server.stop('fast');
    try {
      const driver = new PgDriver({
        connectionString: `postgres://postgres:${server.password}@127.0.0.1:${port}/postgres`,
        connectRetry: { attempts: 3, initialDelayMs: 100 },
      });
      const started = Date.now();
      const e = await rejection<ConnectionError>(migrate({ driver, migrations: loadMigrations(tempDir(steps(1))), appliedBy: 'test' }));
      expect(e).toBeInstanceOf(ConnectionError);
      expect(e.message).toMatch(
        /^cannot connect to postgres:\/\/postgres:\*\*\*\*@127\.0\.0\.1:\d+\/postgres: .*ECONNREFUSED.* after 3 attempts over \d+\.\d s$/,
      );
      expect(Date.now() - started).toBeLessThan(3000);
      transcript.add(e.message);
    } finally {
      await server.restart();
    }
  });
});

describe('Faults: a database that does not answer', () => {
  let silent: Server;
  let silentPort = 0;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    // Accepts TCP connections and never says a word: a black-holed server.
    silent = createServer((socket) => {
      sockets.push(socket);
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    silentPort = (silent.address() as { port: number }).port;
  });
  afterAll(
    () =>
      new Promise<void>((r) => {
        for (const x of sockets) x.destroy();
        silent.close(() => r());
      }),
  );

  it('a server that accepts and never answers: --connect-timeout bounds each attempt, exit 1, no hang', async () => {
    const started = Date.now();
    const r = record(
      await runCli([
        'status',
        '--dir',
        tempDir(steps(1)),
        '--database-url',
        `postgres://u:silent-Secret-77@127.0.0.1:${silentPort}/db`,
        '--connect-timeout',
        '500ms',
        '--connect-retries',
        '1',
      ]),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: cannot connect to postgres://u:****@127.0.0.1:${silentPort}/db`);
    expect(r.stderr).toMatch(/timeout/i);
    expect(r.stderr).toContain('after 2 attempts');
    expect(Date.now() - started).toBeLessThan(8000);
  });
});

describe('Security: the output of these runs', () => {
  it('holds no password and no connection string with a password', () => {
    expect(transcript.texts.length).toBeGreaterThan(5);
    expect(leaks(transcript.texts, [target.password, 'silent-Secret-77'])).toEqual([]);
  });
});
