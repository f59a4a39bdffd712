/**
 * Per-test-file databases on the run's servers: `freshDatabase(target)` makes
 * an empty database and returns its URL; it is dropped in afterAll by
 * `dropDatabases()`.
 */
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import type { Target } from './targets';

export const targets: Target[] = inject('targets');

const created: { target: Target; name: string }[] = [];

export function urlFor(target: Target, database: string): string {
  const u = new URL(target.adminUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url, application_name: 'schemaguard-test' });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

export async function freshDatabase(target: Target, label = 'db'): Promise<string> {
  const name = `sg_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase().slice(0, 30)}_${randomBytes(4).toString('hex')}`;
  await withClient(target.adminUrl, (c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(name)} TEMPLATE template0`));
  created.push({ target, name });
  return urlFor(target, name);
}

export async function dropDatabases(): Promise<void> {
  for (const { target, name } of created.splice(0)) {
    await withClient(target.adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`)).catch(() => undefined);
  }
}

/** Rows of a query as plain objects. */
export async function rows<T = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  return withClient(url, async (c) => (await c.query(sql, params)).rows as T[]);
}
