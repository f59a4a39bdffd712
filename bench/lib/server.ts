/**
 * The PostgreSQL server a benchmark run uses: the embedded package's binaries
 * (the same major the CLI runs locally), started for the run and removed after.
 * With `--database-url` (or BENCH_DATABASE_URL) a server of your own is used
 * instead; its user must be allowed to CREATE DATABASE.
 */
import { randomBytes } from 'node:crypto';
import { accessSync, constants, statfsSync } from 'node:fs';
import type pg from 'pg';
import { cleanup, databaseUrl, embeddedBinDir, startServer, withClient as withTestClient } from '../../test/support/system-postgres';

export interface BenchServer {
  /** URL of the maintenance database (`postgres`), used to create and drop databases. */
  adminUrl: string;
  /** e.g. `PostgreSQL 18.1` */
  version: string;
  stop(): Promise<void>;
}

/** Where `--tmpfs` puts the server's data directory. */
export const TMPFS_DIR = '/dev/shm';

/**
 * `tmpfs`: the data directory in memory (TMPFS_DIR) instead of the OS temp
 * directory's file system. On ext4, creating a file soon after many were
 * deleted (a dropped database of 1,000 tables) scans the inode tables for
 * one not recently freed: a `perf` profile of the backend applying 1,000
 * small files showed 58% of its time there, slowing every tool's CREATE
 * TABLE alike by an amount that grows over a run (BENCHMARKS.md). In memory,
 * the server's work per file is the database's own.
 */
export async function startBenchServer(existingUrl?: string, options: { tmpfs?: boolean } = {}): Promise<BenchServer> {
  if (existingUrl) {
    return { adminUrl: existingUrl, version: await serverVersion(existingUrl), stop: async () => undefined };
  }
  if (options.tmpfs) assertTmpfs();
  // A disposable server: durability off, so the numbers measure round trips
  // and the engine rather than this machine's disk.
  const server = await startServer(
    embeddedBinDir(),
    {
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      max_wal_size: '4GB',
    },
    'bench',
    options.tmpfs ? TMPFS_DIR : undefined,
  );
  const adminUrl = `postgres://postgres:${server.password}@127.0.0.1:${server.port}/postgres`;
  const stop = async () => {
    await server.stop();
    cleanup(server);
  };
  try {
    return { adminUrl, version: await serverVersion(adminUrl), stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** What a full run's server may write (its WAL may grow to max_wal_size, 4 GB, before a checkpoint). */
export const TMPFS_NEEDED_BYTES = 6 * 1024 ** 3;

function assertTmpfs(): void {
  try {
    accessSync(TMPFS_DIR, constants.W_OK);
  } catch {
    throw new Error(`--tmpfs: ${TMPFS_DIR} is not a writable directory here; run without --tmpfs (the data directory then goes in the OS temp directory)`);
  }
  const { bavail, bsize } = statfsSync(TMPFS_DIR);
  const free = bavail * bsize;
  if (free < TMPFS_NEEDED_BYTES) {
    const gib = (n: number) => `${(n / 1024 ** 3).toFixed(1)} GiB`;
    throw new Error(
      `--tmpfs: ${TMPFS_DIR} has ${gib(free)} free, and a run may write ${gib(TMPFS_NEEDED_BYTES)} there (a container's default is 64 MB); run without --tmpfs, or give ${TMPFS_DIR} more room (docker run --shm-size=8g)`,
    );
  }
}

async function serverVersion(url: string): Promise<string> {
  return withClient(url, async (c) => `PostgreSQL ${(await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v.split(' ')[0]}`);
}

/** A client for the bench's own set-up queries (not counted in any measurement). */
export function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  return withTestClient(url, fn, 'schemaguard-bench');
}

/** A new database (empty from template0, or a copy of `template`); returns its URL and name. */
export async function createDatabase(adminUrl: string, label: string, template = 'template0'): Promise<{ url: string; name: string }> {
  const name = `bench_${label
    .replace(/[^a-z0-9_]/gi, '_')
    .toLowerCase()
    .slice(0, 30)}_${randomBytes(3).toString('hex')}`;
  const copy = template === 'template0' ? '' : ' STRATEGY FILE_COPY';
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(name)} TEMPLATE ${c.escapeIdentifier(template)}${copy}`));
  return { url: databaseUrl(adminUrl, name), name };
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`));
}
