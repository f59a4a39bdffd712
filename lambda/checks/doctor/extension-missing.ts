/**
 * extension-missing: the function a default needs is not there, or comes from
 * somewhere other than the extension that should provide it.
 */
import type { Finding } from '../finding';
import { keysWithoutDefault } from './pk-without-default';
import { USER_SCHEMAS, qualified, type DoctorContext, type DoctorRule } from './rule';

export const EXTENSION_MISSING: DoctorRule = {
  id: 'extension-missing',
  severity: 'error',
  title: 'extension a default needs is not installed',
  why: 'INSERTs fail with "function … does not exist" (42883) here, or in the next environment built from this schema',
  fix: 'CREATE EXTENSION: pgcrypto for gen_random_uuid() before PostgreSQL 13, uuid-ossp for uuid_generate_v4(), …',
  check: extensionMissing,
};

export async function extensionMissing(ctx: DoctorContext): Promise<Finding[]> {
  return [...await generatorMissing(ctx), ...await defaultsWithoutExtension(ctx)];
}

/** uuid keys that need gen_random_uuid() for their default, on a server without it. */
async function generatorMissing(ctx: DoctorContext): Promise<Finding[]> {
  if (ctx.hasGenRandomUuid || !(await keysWithoutDefault(ctx)).some((p) => p.type === 'uuid')) return [];
  return [{
    rule: EXTENSION_MISSING.id, severity: EXTENSION_MISSING.severity, object: 'gen_random_uuid()',
    message: `gen_random_uuid() does not exist on this server (PostgreSQL ${Math.floor(ctx.serverVersion / 10000)}), and the uuid primary keys above need it for their default`,
    why: 'INSERTs fail with "function gen_random_uuid() does not exist" (42883), or the default cannot be added at all',
    fix: 'CREATE EXTENSION IF NOT EXISTS pgcrypto;  -- built into PostgreSQL 13 and later',
  }];
}

/** Defaults that call an extension's function (uuid_generate_v4(), digest(), …) where that extension is not installed. */
async function defaultsWithoutExtension(ctx: DoctorContext): Promise<Finding[]> {
  const needs = (await ctx.q.query<{ schema: string; table: string; column: string; expr: string }>(
    `SELECT n.nspname AS schema, c.relname AS table, a.attname AS column, pg_get_expr(d.adbin, d.adrelid) AS expr
       FROM pg_attrdef d JOIN pg_class c ON c.oid = d.adrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
      WHERE ${USER_SCHEMAS} AND pg_get_expr(d.adbin, d.adrelid) ~ '(uuid_generate_v[14]|gen_random_bytes|digest|crypt)\\('`, [ctx.stateSchema],
  )).rows;
  const installed = new Set((await ctx.q.query<{ extname: string }>('SELECT extname FROM pg_extension')).rows.map((r) => r.extname));
  const findings: Finding[] = [];
  for (const n of needs) {
    const ext = /uuid_generate/.test(n.expr) ? 'uuid-ossp' : 'pgcrypto';
    if (installed.has(ext)) continue;
    findings.push({
      rule: EXTENSION_MISSING.id, severity: EXTENSION_MISSING.severity, object: `${qualified(n.schema, n.table)}.${n.column}`,
      message: `the default of ${qualified(n.schema, n.table)}.${n.column} (${n.expr}) needs extension ${ext}, which is not installed (the function comes from elsewhere)`,
      why: `a restore or a new environment built from this schema fails where ${ext} is absent; the function resolved today may not be the extension's`,
      fix: `CREATE EXTENSION IF NOT EXISTS "${ext}";${ext === 'uuid-ossp' ? '  -- or switch the default to gen_random_uuid() (built in since PostgreSQL 13)' : ''}`,
    });
  }
  return findings;
}
