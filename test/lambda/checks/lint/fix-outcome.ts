/**
 * A statement run as written beside its rule's fix run through the engine,
 * each on a fresh database after the same setup: what PostgreSQL refused
 * (its message) or the CHECK and foreign key constraints each left, table by
 * table, with the NOT NULL columns (and PostgreSQL 18's NOT NULL constraints,
 * by name) and the unique keys; and what lint finds in the fix itself.
 */
import { formatFinding } from '../../../../lambda/checks/findings/finding';
import { fixFiles } from '../../../../lambda/checks/lint/fix';
import { freshDatabase, rows, withClient } from '../../../support/db';
import type { Target } from '../../../support/targets';
import { driverKinds } from '../../../support/drivers';
import { runEngine } from '../../../support/engine';
import { tempDir } from '../../../support/files';
import { lintMigrations, lintSourceFromText } from '../../../../lambda/checks/lint';

const pg = driverKinds.find((d) => d.name === 'pg')!;

/** Every CHECK and foreign key of the database's tables, as PostgreSQL prints them, and whether each is validated. */
const CONSTRAINTS = `SELECT conrelid::regclass::text AS table, conname AS name, pg_get_constraintdef(oid) AS def, convalidated AS valid
  FROM pg_constraint WHERE contype IN ('c', 'f') AND connamespace = 'public'::regnamespace ORDER BY 1, 2`;

/** A partitioned table with a partition, one without partitions yet, and a table inherited from, each with a row (a table's ONLY matters on the first three). */
export const ONLY_SETUP = `CREATE TABLE leads (id int PRIMARY KEY);
INSERT INTO leads VALUES (1);
CREATE TABLE ledger (id int, n int, lead_id int, code text) PARTITION BY RANGE (id);
CREATE TABLE ledger_1 PARTITION OF ledger FOR VALUES FROM (0) TO (100);
CREATE TABLE journal (id int, n int) PARTITION BY RANGE (id);
CREATE TABLE parent (id int, n int, lead_id int);
CREATE TABLE child () INHERITS (parent);
INSERT INTO ledger VALUES (1, 1, 1);
INSERT INTO child VALUES (1, 1, 1);`;

/** Every NOT NULL column of the database's tables, with the name of its NOT NULL constraint (PostgreSQL 18 keeps one; null before). */
const NOT_NULL = `SELECT a.attrelid::regclass::text AS table, a.attname AS column,
    (SELECT c.conname FROM pg_constraint c WHERE c.conrelid = a.attrelid AND c.contype = 'n' AND c.conkey = ARRAY[a.attnum]) AS name
  FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid
  WHERE r.relnamespace = 'public'::regnamespace AND r.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND a.attnotnull ORDER BY 1, 2`;

/** Every unique key and primary key, with its index (its name aside). */
const KEYS = `SELECT conrelid::regclass::text AS table, conname AS name, pg_get_constraintdef(oid) AS def, regexp_replace(pg_get_indexdef(conindid), 'INDEX \\S+ ON', 'INDEX ON') AS index
  FROM pg_constraint WHERE contype IN ('u', 'p') AND connamespace = 'public'::regnamespace ORDER BY 1, 2`;

export interface Outcome {
  refused?: string;
  constraints: Record<string, unknown>[];
  notNull: Record<string, unknown>[];
  keys: Record<string, unknown>[];
}

async function outcome(url: string, run: () => Promise<unknown>): Promise<Outcome> {
  let refused: string | undefined;
  // PostgreSQL's message, without the engine's `file:line: ` before it.
  await run().catch((e: Error) => {
    refused = e.message.split('\n')[0]!.replace(/^\S+\.sql:\d+: /, '');
  });
  return {
    ...(refused === undefined ? {} : { refused }),
    constraints: await rows(url, CONSTRAINTS),
    notNull: await rows(url, NOT_NULL),
    keys: await rows(url, KEYS),
  };
}

/** `sql` after `setup`, and the fix `rule` prints for it (its files, then `after`), each on a fresh database; lint told `serverMajor` when given. */
export async function directAndFixed(
  target: Target,
  rule: string,
  setup: string,
  sql: string,
  after = '',
  serverMajor?: number,
): Promise<{ direct: Outcome; fixed: Outcome; fixFindings: string[]; fix: string }> {
  const direct = await freshDatabase(target, 'as_written');
  await withClient(direct, (c) => c.query(setup));
  const directOutcome = await outcome(direct, () =>
    withClient(direct, async (c) => {
      await c.query(sql);
      if (after) await c.query(after);
    }),
  );
  const lintOf = (...pending: string[]) =>
    lintMigrations(
      [lintSourceFromText('1_existing.sql', setup, true), ...pending.map((text, k) => lintSourceFromText(`${k + 2}_pending.sql`, text))],
      serverMajor === undefined ? {} : { serverMajor },
    );
  const fix = (await lintOf(sql)).findings.find((f) => f.rule === rule)!.fix;
  const files = fixFiles(fix);
  const fixFindings = (await lintOf(...files)).findings.map(formatFinding);
  const fixed = await freshDatabase(target, 'via_fix');
  await withClient(fixed, (c) => c.query(setup));
  const withAfter = after ? [files[0]!, after, ...files.slice(1)] : files;
  const fixedOutcome = await outcome(fixed, () => runEngine(pg, fixed, tempDir(Object.fromEntries(withAfter.map((text, k) => [`${k + 1}_fix.sql`, text])))));
  return { direct: directOutcome, fixed: fixedOutcome, fixFindings, fix };
}
