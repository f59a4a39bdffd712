/**
 * Every fix a rule prints applies on real PostgreSQL (18; 15 too in the full
 * matrix): on the existing tables, the fix's files are migrated in order by
 * the engine, as schemaguard would run them. The tables are empty, so a
 * VALIDATE that a backfill would have to prepare succeeds: this checks that
 * each fix is valid SQL naming what exists, in an order that works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixFiles } from '../../../../lambda/checks/lint/fix';
import { loadParser, parseSql } from '../../../../lambda/checks/parser/parse';
import { dropDatabases, freshDatabase, targets, withClient } from '../../../support/db';
import { driverKinds } from '../../../support/drivers';
import { runEngine } from '../../../support/engine';
import { tempDir } from '../../../support/files';
import { FIX_CASES, TABLES } from './fix-cases';
import { lintAfter } from './pending';

afterAll(dropDatabases);

const pg = driverKinds.find((d) => d.name === 'pg')!;

/** The fix files of a case's findings of its rule that hold statements (a comment-only fix is advice, not a migration). */
async function fixesOf(rule: string, sql: string): Promise<string[][]> {
  await loadParser();
  const findings = (await lintAfter(TABLES, sql)).findings.filter((f) => f.rule === rule);
  return findings.map((f) => fixFiles(f.fix).filter((text) => parseSql(text).statements.length > 0));
}

/** Back to an empty database: every schema the cases and the engine create, dropped (extensions in them go too). */
const RESET = 'DROP SCHEMA IF EXISTS public, app, schemaguard CASCADE; CREATE SCHEMA public;';

describe.each(targets)('Fixes on $name', (target) => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase(target, 'lint_fixes');
  });

  it.each(FIX_CASES)('$rule ($what): its fix applies', async ({ rule, sql, databaseOnly, minMajor }) => {
    if (minMajor !== undefined && target.major !== 0 && target.major < minMajor) {
      // The server's grammar has no such statement: neither the case nor its fix can run there.
      await withClient(url, async (c) => {
        await c.query(RESET);
        await c.query(TABLES);
        await expect(c.query(sql)).rejects.toMatchObject({ code: '42601' });
      });
      return;
    }
    for (const files of await fixesOf(rule, sql)) {
      await withClient(url, async (c) => {
        await c.query(RESET);
        await c.query(TABLES);
        if (databaseOnly) await c.query(databaseOnly);
      });
      const run = await runEngine(pg, url, tempDir(Object.fromEntries(files.map((text, k) => [`${k + 2}_fix.sql`, text]))));
      expect(run.applied.map((a) => a.file)).toEqual(files.map((_t, k) => `${k + 2}_fix.sql`));
    }
  });
});
