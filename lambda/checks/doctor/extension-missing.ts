/**
 * extension-missing: the function a default needs is not there, or comes from
 * somewhere other than the extension that should provide it.
 */
import { sqlIdent } from '../../engine/sql/sql-quote';
import { orderedRows } from '../../schema/catalog-pages';
import type { Finding } from '../findings/finding';
import { qualified } from './names';
import { keysWithoutDefault } from './pk-without-default';
import type { DoctorContext, DoctorRule } from './rule';
import { USER_TABLE, notExtensionMember } from './scope';

export const EXTENSION_MISSING: DoctorRule = {
  id: 'extension-missing',
  severity: 'error',
  title: 'extension a default needs is not installed',
  why: 'INSERTs fail with "function … does not exist" (42883) here, or in the next environment built from this schema',
  fix: 'CREATE EXTENSION: pgcrypto for gen_random_uuid() before PostgreSQL 13, uuid-ossp for uuid_generate_v4(), …',
  examples: {
    finds: `-- a stand-in for uuid-ossp's function, as a restore without the extension leaves one:
CREATE FUNCTION uuid_generate_v4() RETURNS uuid LANGUAGE sql AS 'SELECT gen_random_uuid()';
CREATE TABLE tokens (id uuid PRIMARY KEY DEFAULT uuid_generate_v4());`,
    passes: 'CREATE TABLE tokens (id uuid PRIMARY KEY DEFAULT gen_random_uuid());',
  },
  check: extensionMissing,
};

export async function extensionMissing(ctx: DoctorContext): Promise<Finding[]> {
  return [...(await generatorMissing(ctx)), ...(await defaultsWithoutExtension(ctx))];
}

/** uuid keys that need gen_random_uuid() for their default, on a server without it. */
async function generatorMissing(ctx: DoctorContext): Promise<Finding[]> {
  if (ctx.hasGenRandomUuid || !(await keysWithoutDefault(ctx)).some((p) => p.type === 'uuid')) return [];
  return [
    {
      rule: EXTENSION_MISSING.id,
      severity: EXTENSION_MISSING.severity,
      object: 'gen_random_uuid()',
      message: `gen_random_uuid() does not exist on this server (PostgreSQL ${Math.floor(ctx.serverVersion / 10000)}), and the uuid primary keys above need it for their default`,
      why: 'INSERTs fail with "function gen_random_uuid() does not exist" (42883), or the default cannot be added at all',
      fix: 'CREATE EXTENSION IF NOT EXISTS pgcrypto;  -- built into PostgreSQL 13 and later',
    },
  ];
}

/** The functions of uuid-ossp and pgcrypto that defaults call, by the extension that provides them. */
const EXTENSION_FUNCTIONS: Readonly<Record<string, string>> = {
  uuid_generate_v1: 'uuid-ossp',
  uuid_generate_v1mc: 'uuid-ossp',
  uuid_generate_v3: 'uuid-ossp',
  uuid_generate_v4: 'uuid-ossp',
  uuid_generate_v5: 'uuid-ossp',
  gen_random_bytes: 'pgcrypto',
  digest: 'pgcrypto',
  hmac: 'pgcrypto',
  crypt: 'pgcrypto',
  gen_salt: 'pgcrypto',
};

/**
 * Defaults that call one of those functions (the one the default resolved to,
 * read from pg_depend, not from the expression's text) where no extension
 * provides it and its extension is not installed: a stand-in, which a
 * restore or a new environment will not have.
 */
async function defaultsWithoutExtension(ctx: DoctorContext): Promise<Finding[]> {
  const needs = await orderedRows<{ schema: string; table: string; column: string; expr: string; proname: string }>(
    ctx.q,
    `SELECT d.*, row_number() OVER (ORDER BY d.schema, d.table, d.column, d.proname) AS page_row FROM (
     SELECT DISTINCT n.nspname AS schema, c.relname AS table, a.attname AS column, pg_get_expr(d.adbin, d.adrelid) AS expr, p.proname
       FROM pg_attrdef d JOIN pg_class c ON c.oid = d.adrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
       JOIN pg_depend u ON u.classid = 'pg_attrdef'::regclass AND u.objid = d.oid AND u.refclassid = 'pg_proc'::regclass
       JOIN pg_proc p ON p.oid = u.refobjid
      WHERE ${USER_TABLE} AND a.attinhcount = 0 AND p.proname IN (SELECT json_array_elements_text($2::json))
        AND ${notExtensionMember('p.oid', 'pg_proc')}) d
      ORDER BY page_row`,
    // One JSON text, not an array parameter: the RDS Data API takes none.
    [ctx.stateSchema, JSON.stringify(Object.keys(EXTENSION_FUNCTIONS))],
  );
  const installed = new Set((await ctx.q.query<{ extname: string }>('SELECT extname FROM pg_extension')).rows.map((r) => r.extname));
  return needs
    .filter((n) => !installed.has(EXTENSION_FUNCTIONS[n.proname]))
    .map((n) => {
      const ext = EXTENSION_FUNCTIONS[n.proname];
      const where = `${qualified(n.schema, n.table)}.${n.column}`;
      return {
        rule: EXTENSION_MISSING.id,
        severity: EXTENSION_MISSING.severity,
        object: where,
        message: `the default of ${where} (${n.expr}) needs extension ${ext}, which is not installed (the function comes from elsewhere)`,
        why: `a restore or a new environment built from this schema fails where ${ext} is absent; the function resolved today may not be the extension's`,
        fix: `CREATE EXTENSION IF NOT EXISTS ${sqlIdent(ext)};${ext === 'uuid-ossp' ? '  -- or switch the default to gen_random_uuid() (built in since PostgreSQL 13)' : ''}`,
      };
    });
}
