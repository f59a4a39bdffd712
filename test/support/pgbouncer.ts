/**
 * A real PgBouncer in front of a test server (Debian's `pgbouncer` package):
 * `ensurePgbouncer()` installs it when missing (the global setup calls it, so
 * CI always runs the pooler tests), `startPgbouncer()` runs one instance per
 * test file with the pool mode and size the test needs. PgBouncer refuses to
 * run as root: it runs as the `postgres` OS user, like the servers.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../bin/cli/embedded';
import type { Target } from './targets';

export const PGBOUNCER_BIN = process.env.SCHEMAGUARD_TEST_PGBOUNCER ?? '/usr/sbin/pgbouncer';

/** The binary's path, installing Debian's package when it is missing; throws a message that says what to do. */
export function ensurePgbouncer(): string {
  if (existsSync(PGBOUNCER_BIN)) return PGBOUNCER_BIN;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `PgBouncer not found at ${PGBOUNCER_BIN} and not running as root to install it: run \`sudo apt-get install pgbouncer\` (or set SCHEMAGUARD_TEST_PGBOUNCER to its path)`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'pgbouncer'], { env, stdio: 'pipe', timeout: 300_000 });
  try {
    try {
      install();
    } catch {
      // A fresh machine may not have the package lists yet.
      execFileSync('apt-get', ['update'], { env, stdio: 'pipe', timeout: 300_000 });
      install();
    }
  } catch (e) {
    const out = (e as { stderr?: Buffer }).stderr?.toString().trim().split('\n').slice(-3).join(' | ') ?? String(e);
    throw new Error(
      `PgBouncer is needed by the pooler tests and \`apt-get install pgbouncer\` failed: ${out}; install it by hand (or set SCHEMAGUARD_TEST_PGBOUNCER)`,
    );
  }
  if (!existsSync(PGBOUNCER_BIN))
    throw new Error(`apt-get installed pgbouncer, but ${PGBOUNCER_BIN} does not exist; set SCHEMAGUARD_TEST_PGBOUNCER to its path`);
  return PGBOUNCER_BIN;
}

export interface PgbouncerOptions {
  /** @default 'transaction' */
  poolMode?: 'session' | 'transaction' | 'statement';
  /** Server connections per database and user. @default 2 */
  poolSize?: number;
}

export interface RunningPgbouncer {
  port: number;
  /** `directUrl` (a database on the target) rewritten to go through this PgBouncer. */
  url(directUrl: string): string;
  /** PgBouncer's log so far. */
  log(): string;
  stop(): Promise<void>;
}

function postgresIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  return {
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
  };
}

function config(target: Target, dir: string, port: number, o: Required<PgbouncerOptions>): string {
  return [
    '[databases]',
    `* = host=127.0.0.1 port=${target.port}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    // Clients are trusted here; PgBouncer logs in to the server with the password from the auth file.
    'auth_type = trust',
    `auth_file = ${join(dir, 'users.txt')}`,
    `pool_mode = ${o.poolMode}`,
    `default_pool_size = ${o.poolSize}`,
    'max_client_conn = 500',
    `logfile = ${join(dir, 'pgbouncer.log')}`,
    `pidfile = ${join(dir, 'pgbouncer.pid')}`,
    'log_connections = 0',
    'log_disconnections = 0',
  ].join('\n');
}

export async function startPgbouncer(target: Target, options: PgbouncerOptions = {}): Promise<RunningPgbouncer> {
  const bin = ensurePgbouncer();
  const o = { poolMode: options.poolMode ?? 'transaction', poolSize: options.poolSize ?? 2 } as const;
  const ids = postgresIds();
  const dir = mkdtempSync(join(tmpdir(), 'schemaguard-pgbouncer-'));
  const port = await freePort();
  writeFileSync(join(dir, 'users.txt'), `"postgres" "${target.password.replace(/"/g, '""')}"\n`);
  writeFileSync(join(dir, 'pgbouncer.ini'), config(target, dir, port, o));
  if (ids) for (const f of ['', 'users.txt', 'pgbouncer.ini']) chownSync(join(dir, f), ids.uid, ids.gid);
  let output = '';
  const child = spawn(bin, [join(dir, 'pgbouncer.ini')], { ...(ids ?? {}), stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`PgBouncer did not start within 10 s:\n${output}`)), 10_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`PgBouncer exited with ${code}:\n${output}`));
    });
    const check = setInterval(() => {
      if (/listening on 127\.0\.0\.1/.test(output + readLog(dir))) {
        clearInterval(check);
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve();
      }
    }, 25);
  });
  return {
    port,
    url: (directUrl) => {
      const u = new URL(directUrl);
      u.port = String(port);
      return u.toString();
    },
    log: () => output + readLog(dir),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) {
          rmSync(dir, { recursive: true, force: true });
          resolve();
          return;
        }
        child.once('exit', () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        // SIGTERM: immediate shutdown (SIGINT would wait for clients to finish).
        child.kill('SIGTERM');
      }),
  };
}

function readLog(dir: string): string {
  try {
    return readFileSync(join(dir, 'pgbouncer.log'), 'utf8');
  } catch {
    return '';
  }
}
