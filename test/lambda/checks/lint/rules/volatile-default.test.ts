/** Rule volatile-default: the findings it reports, and what it lets pass. */
import { describe, expect, it } from 'vitest';
import { lint, rules } from '../pending';

describe('Rule: volatile-default', () => {
  it.each(['clock_timestamp()', 'random()', 'gen_random_uuid()'])('reports ADD COLUMN … DEFAULT %s on an existing table', async (expr) => {
    const r = await lint(
      `ALTER TABLE leads ADD COLUMN x ${expr.startsWith('gen') ? 'uuid' : expr.startsWith('random') ? 'float8' : 'timestamptz'} DEFAULT ${expr};`,
    );
    expect(r.findings.map((f) => f.rule)).toEqual(['volatile-default']);
    expect(r.findings[0]!.message).toContain(expr);
  });
  it('reports ADD COLUMN of a serial type and a stored generated column', async () => {
    expect(await rules('ALTER TABLE leads ADD COLUMN n bigserial;')).toEqual(['volatile-default']);
    expect(await rules('ALTER TABLE leads ADD COLUMN s int GENERATED ALWAYS AS (score * 2) STORED;')).toEqual(['volatile-default']);
  });
  it('accepts a constant or now() default (stored once, no rewrite)', async () => {
    expect(await rules("ALTER TABLE leads ADD COLUMN created_at timestamptz NOT NULL DEFAULT now(), ADD COLUMN source text DEFAULT 'web';")).toEqual([]);
  });
  it('does not fire on a new table', async () => {
    expect(await rules('CREATE TABLE t (id int); ALTER TABLE t ADD COLUMN at timestamptz DEFAULT clock_timestamp();')).toEqual([]);
  });

  it('reports a default calling a VOLATILE function created by a migration (VOLATILE when not declared)', async () => {
    const fn = 'CREATE FUNCTION make_code() RETURNS text LANGUAGE plpgsql AS $$BEGIN RETURN md5(random()::text); END$$;';
    const r = await lint(fn, 'ALTER TABLE leads ADD COLUMN ref text DEFAULT make_code();');
    expect(r.findings.map((f) => f.message)).toEqual(['ADD COLUMN ref on existing table leads with a volatile default (make_code())']);
  });
  it('accepts a default calling a function a migration declares STABLE or IMMUTABLE', async () => {
    const fn = "CREATE FUNCTION app_tenant() RETURNS text LANGUAGE sql STABLE AS $$SELECT current_setting('app.tenant')$$;";
    expect(await rules(fn, 'ALTER TABLE leads ADD COLUMN tenant text DEFAULT app_tenant();')).toEqual([]);
  });
  it('follows CREATE OR REPLACE and ALTER FUNCTION … IMMUTABLE', async () => {
    expect(
      await rules(
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';",
        'ALTER FUNCTION f() IMMUTABLE;\nALTER TABLE leads ADD COLUMN a int DEFAULT f();',
      ),
    ).toEqual([]);
    expect(
      await rules(
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 1';",
        "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql VOLATILE AS 'SELECT 1';\nALTER TABLE leads ADD COLUMN a int DEFAULT f();",
      ),
    ).toEqual(['volatile-default']);
  });
  it('tells overloads apart by their number of arguments, and schemas apart', async () => {
    const fns =
      "CREATE SCHEMA util;\nCREATE FUNCTION util.code() RETURNS text LANGUAGE sql IMMUTABLE AS $$SELECT 'a'$$;\nCREATE FUNCTION util.code(n int) RETURNS text LANGUAGE plpgsql VOLATILE AS $$BEGIN RETURN n::text; END$$;";
    expect(await rules(fns, 'ALTER TABLE leads ADD COLUMN a text DEFAULT util.code();')).toEqual([]);
    expect(await rules(fns, 'ALTER TABLE leads ADD COLUMN a text DEFAULT util.code(3);')).toEqual(['volatile-default']);
    expect(await rules(fns, 'ALTER TABLE leads ADD COLUMN a text DEFAULT other.code();')).toEqual(['volatile-default']);
  });
  it('reports a default calling a function lint does not know, as one that may rewrite', async () => {
    const r = await lint('ALTER TABLE leads ADD COLUMN slug text DEFAULT make_slug();');
    expect(r.findings.map((f) => f.message)).toEqual([
      'ADD COLUMN slug on existing table leads with a default calling make_slug(), whose volatility lint does not know: it rewrites the table if that function is VOLATILE',
    ]);
    expect(r.findings[0]!.fix).toContain('--database-url');
  });
  it('reports now(…) with arguments: not the built-in now()', async () => {
    expect(await rules("ALTER TABLE leads ADD COLUMN at timestamptz DEFAULT now('utc');")).toEqual(['volatile-default']);
  });
  it.each([
    ['txid_current()', 'bigint'],
    ['statement_timestamp()', 'timestamptz'],
    ["timezone('utc', now())", 'timestamp'],
    ["(now() AT TIME ZONE 'utc')", 'timestamp'],
    ['CURRENT_DATE', 'date'],
    ["jsonb_build_object('a', 1)", 'jsonb'],
    ["'{}'::jsonb", 'jsonb'],
  ])('accepts a stable or constant default: %s', async (expr, type) => {
    expect(await rules(`ALTER TABLE leads ADD COLUMN x ${type} DEFAULT ${expr};`)).toEqual([]);
  });
  it('accepts a virtual generated column (PostgreSQL 18: computed on read, no rewrite)', async () => {
    expect(await rules('ALTER TABLE leads ADD COLUMN doubled int GENERATED ALWAYS AS (score * 2) VIRTUAL;')).toEqual([]);
  });
  it('reports a column of a domain with a CHECK or NOT NULL (every row is checked: a rewrite), not of a plain domain', async () => {
    expect(await rules('CREATE DOMAIN positive_int AS int CHECK (VALUE > 0);', 'ALTER TABLE leads ADD COLUMN qty positive_int;')).toEqual(['volatile-default']);
    expect(await rules('CREATE DOMAIN qty_t AS int;', 'ALTER DOMAIN qty_t SET NOT NULL;\nALTER TABLE leads ADD COLUMN qty qty_t DEFAULT 1;')).toEqual([
      'volatile-default',
    ]);
    expect(await rules('CREATE DOMAIN label AS text;', 'ALTER TABLE leads ADD COLUMN l label;')).toEqual([]);
  });

  it('matches a quoted mixed-case function name exactly', async () => {
    const fn = 'CREATE FUNCTION "MakeCode"() RETURNS text LANGUAGE sql STABLE AS $$SELECT 1::text$$;';
    expect(await rules(fn, 'ALTER TABLE leads ADD COLUMN c text DEFAULT "MakeCode"();')).toEqual([]);
    expect(await rules(fn, 'ALTER TABLE leads ADD COLUMN c text DEFAULT makecode();')).toEqual(['volatile-default']);
  });
});
