/**
 * Every problem of the files in one run: a pg_dump file holds several things
 * schemaguard refuses (psql meta-commands, COPY … FROM stdin with its data
 * lines, standard_conforming_strings set off), and a run that stopped at the
 * first took one run per problem to learn them all. They are refused
 * together, before anything runs, on both drivers; one problem alone is the
 * InputError it always was.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { InputError, InputProblemsError } from '../../../../lambda/engine/errors/errors';
import { loadMigrations } from '../../../../lambda/engine/files/source';
import { dropDatabases, freshDatabase, rows } from '../../../support/db';
import { driverCases } from '../../../support/drivers';
import { rejection, runEngine } from '../../../support/engine';
import { tempDir } from '../../../support/files';

afterAll(dropDatabases);

/** What pg_dump writes for a database with standard_conforming_strings off (PostgreSQL 17.6 and later add \restrict and \unrestrict). */
const DUMP = [
  '--',
  '-- PostgreSQL database dump',
  '--',
  '\\restrict Kx9aQ',
  '',
  'SET statement_timeout = 0;',
  'SET standard_conforming_strings = off;',
  "SELECT pg_catalog.set_config('search_path', '', false);",
  '',
  'CREATE TABLE public.orders (id integer, note text);',
  '',
  'COPY public.orders (id, note) FROM stdin;',
  "1\tit's here; -- not SQL",
  '2\tC:\\\\dir',
  '\\.',
  '',
  '\\connect app',
  'CREATE INDEX orders_id ON public.orders (id);',
  '',
  '\\unrestrict Kx9aQ',
  '',
].join('\n');

/** A golang-migrate file written as a Go template, and a Flyway placeholder. */
const TEMPLATE = 'CREATE TABLE {{ .Schema }}.items (id int);\nGRANT SELECT ON items TO ${app_role};\n';

describe.each(driverCases())('Every problem of the files in one run: migrate on $name', ({ target, driver }) => {
  it("refuses a pg_dump file and a template file with each problem's file, line, value and fix, in order, the database as it was", async () => {
    const url = await freshDatabase(target, 'all_problems');
    const dir = tempDir({ '1_users.sql': 'CREATE TABLE users (id int);' });
    await runEngine(driver, url, dir);
    const more = tempDir({ '1_users.sql': 'CREATE TABLE users (id int);', '2_dump.sql': DUMP, '3_template.sql': TEMPLATE });

    // Parsed by the runner (as migrate parses the pending files), and by the loader (as plan reads every file).
    const ran = await rejection<InputProblemsError>(runEngine(driver, url, more, { migrations: loadMigrations(more, { deferParse: true }) }));
    const loaded = await rejection<InputProblemsError>(runEngine(driver, url, more));

    for (const e of [ran, loaded]) {
      expect(e).toBeInstanceOf(InputProblemsError);
      expect(e.exitCode).toBe(2);
      expect(e.total).toBe(7);
      expect(e.problems.map((p) => [p.file, p.line, p.value])).toEqual([
        ['2_dump.sql', 4, '\\restrict'],
        ['2_dump.sql', 7, 'SET standard_conforming_strings = off'],
        ['2_dump.sql', 12, 'COPY public.orders (id, note) FROM stdin'],
        ['2_dump.sql', 17, '\\connect'],
        ['2_dump.sql', 20, '\\unrestrict'],
        ['3_template.sql', 1, '{{ .Schema }}'],
        ['3_template.sql', 2, '${app_role}'],
      ]);
      expect(e.problems.every((p) => p instanceof InputError && p.fix)).toBe(true);
      expect([e.file, e.line]).toEqual(['2_dump.sql', 4]);
      expect(e.message).toMatch(
        /^7 problems in the migration files, each below with its fix:\n {2}2_dump\.sql:4: psql meta-command "\\restrict" is not SQL\n {4}fix: delete the \\restrict and \\unrestrict lines: recent pg_dump releases/,
      );
      expect(e.message).toContain('\n  3_template.sql:1: Go template action {{ .Schema }} is not SQL\n    fix: write the SQL the template gives');
    }
    expect(
      await rows(
        url,
        "SELECT to_regclass('public.orders')::text AS orders, to_regclass('public.items')::text AS items, (SELECT count(*)::int FROM schemaguard.applied_migrations) AS n",
      ),
    ).toEqual([{ orders: null, items: null, n: 1 }]);
  });

  it('refuses one problem alone as the InputError it always was', async () => {
    const url = await freshDatabase(target, 'one_problem');
    const dir = tempDir({ '1_users.sql': 'CREATE TABLE users (id int);\n\\connect app\n' });

    const e = await rejection<InputError>(runEngine(driver, url, dir, { migrations: loadMigrations(dir, { deferParse: true }) }));

    expect(e).toBeInstanceOf(InputError);
    expect(e).not.toBeInstanceOf(InputProblemsError);
    expect(e.message).toBe('1_users.sql:2: psql meta-command "\\connect" is not SQL');
    expect([e.line, e.value]).toEqual([2, '\\connect']);
    expect(await rows(url, "SELECT to_regclass('public.users')::text AS t")).toEqual([{ t: null }]);
  });

  // Regression (tester): only the first statement a transactional file cannot run was refused; a Django sqlmigrate file took a run per problem.
  it('refuses every transaction-control statement and every statement that cannot run in a transaction block, each at its line, nothing run', async () => {
    const url = await freshDatabase(target, 'all_block_refusals');
    const dir = tempDir({
      '1_django.sql': '\\set ON_ERROR_STOP on\nBEGIN;\nCREATE TABLE a (id int);\nVACUUM a;\nCOMMIT;\n',
      '2_db.sql': "CREATE DATABASE other;\nALTER SYSTEM SET work_mem = '64MB';\nVACUUM ANALYZE;\nCREATE TABLE b (id int); CREATE DATABASE other2;\n",
    });

    const e = await rejection<InputProblemsError>(runEngine(driver, url, dir, { migrations: loadMigrations(dir, { deferParse: true }) }));

    expect(e.exitCode).toBe(2);
    expect(e.problems.map((p) => p.message)).toEqual([
      '1_django.sql:1: psql meta-command "\\set" is not SQL',
      '1_django.sql:2: BEGIN inside a transactional migration',
      '1_django.sql:4: VACUUM cannot run inside a transaction block',
      '1_django.sql:5: COMMIT inside a transactional migration',
      '2_db.sql:1: CREATE DATABASE cannot run inside a transaction block',
      '2_db.sql:2: ALTER SYSTEM cannot run inside a transaction block',
      '2_db.sql:3: VACUUM cannot run inside a transaction block',
      '2_db.sql:4: CREATE DATABASE cannot run inside a transaction block',
    ]);
    expect(e.problems.every((p) => p.fix)).toBe(true);
    expect(
      await rows(
        url,
        "SELECT to_regclass('public.a')::text AS a, to_regclass('public.b')::text AS b, to_regnamespace('schemaguard')::text AS s, (SELECT count(*)::int FROM pg_database WHERE datname LIKE 'other%') AS dbs",
      ),
    ).toEqual([{ a: null, b: null, s: null, dbs: 0 }]);
  });

  it('keeps the first 50 statements a file cannot run where it runs them and counts the others', async () => {
    const url = await freshDatabase(target, 'many_block_refusals');
    const dir = tempDir({ '1_vacuum.sql': `${'VACUUM;\n'.repeat(100)}${'COMMIT;\n'.repeat(60)}` });

    const e = await rejection<InputProblemsError>(runEngine(driver, url, dir, { migrations: loadMigrations(dir, { deferParse: true }) }));

    expect(e.total).toBe(160);
    expect(e.problems.map((p) => p.line)).toEqual(Array.from({ length: 20 }, (_, k) => k + 1));
    expect(e.message.split('\n').at(-1)).toBe('  and 140 more (fix these and run again to see them)');
  });

  it('shows the first 20 problems and counts the others', async () => {
    const url = await freshDatabase(target, 'many_problems');
    const dir = tempDir({ '1_vars.sql': Array.from({ length: 25 }, (_, k) => `\\set v${k} ${k}`).join('\n') });

    const e = await rejection<InputProblemsError>(runEngine(driver, url, dir, { migrations: loadMigrations(dir, { deferParse: true }) }));

    expect(e.total).toBe(25);
    expect(e.problems.map((p) => p.line)).toEqual(Array.from({ length: 20 }, (_, k) => k + 1));
    expect(e.message.split('\n').at(-1)).toBe('  and 5 more (fix these and run again to see them)');
    expect(await rows(url, "SELECT to_regnamespace('schemaguard')::text AS s")).toEqual([{ s: null }]);
  });
});
