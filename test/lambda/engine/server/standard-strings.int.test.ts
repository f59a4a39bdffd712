/**
 * A database whose sessions read '…' with backslash escapes
 * (standard_conforming_strings off): the server reads a file's whole message
 * with that setting, even after the file's own `SET
 * standard_conforming_strings = on` (pg_dump's first lines). A file with a
 * backslash in such a string is refused before anything runs; the others
 * run. With the setting on, the same file keeps its backslashes. A file that
 * sets it off in a DO block or through pg_settings, as by a plain SET, is
 * refused before anything runs.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { InputError, InputProblemsError } from '../../../../lambda/engine/errors/errors';
import { dropDatabases, freshDatabase, targets, withClient } from '../../../support/db';
import { driverKinds } from '../../../support/drivers';
import { rejection, runEngine } from '../../../support/engine';
import { tempDir } from '../../../support/files';

afterAll(dropDatabases);

const pg = driverKinds.find((d) => d.name === 'pg')!;

// pg_dump's header, then a CHECK whose regular expression needs its backslashes.
const DUMPED = `SET standard_conforming_strings = on;
CREATE TABLE users (email text CHECK (email ~ '^\\S+@\\S+$'));
`;

const definition = (url: string) =>
  withClient(
    url,
    async (c) =>
      (await c.query<{ def: string }>("SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'users'::regclass AND contype = 'c'"))
        .rows[0]!.def,
  );

describe.each(targets)('standard_conforming_strings off for the database, on $name', (target) => {
  it('refuses a file with a backslash in a string, naming its line, and leaves the database as it was', async () => {
    const url = await freshDatabase(target, 'scs_off');
    await withClient(url, (c) => c.query(`ALTER DATABASE ${new URL(url).pathname.slice(1)} SET standard_conforming_strings = off`));
    const dir = tempDir({ '0001_ok.sql': "CREATE TABLE notes (body text DEFAULT E'a\\\\b');\n", '0002_dumped.sql': DUMPED });
    const e = await rejection<InputError>(runEngine(pg, url, dir));
    expect(e).toBeInstanceOf(InputError);
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/^0002_dumped\.sql:2: a string with a backslash, and this session's standard_conforming_strings is off/);
    expect(e.fix).toMatch(/ALTER DATABASE \S+ SET standard_conforming_strings = on/);
    const left = await withClient(
      url,
      async (c) => (await c.query("SELECT to_regclass('notes') AS notes, to_regclass('users') AS users, to_regnamespace('schemaguard') AS state")).rows[0],
    );
    expect(left).toEqual({ notes: null, users: null, state: null });
  });

  it("runs files without one: an E'…' string reads the same either way", async () => {
    const url = await freshDatabase(target, 'scs_off_e');
    await withClient(url, (c) => c.query(`ALTER DATABASE ${new URL(url).pathname.slice(1)} SET standard_conforming_strings = off`));
    const run = await runEngine(pg, url, tempDir({ '0001_ok.sql': "CREATE TABLE notes (body text DEFAULT E'a\\\\b');\nINSERT INTO notes DEFAULT VALUES;\n" }));
    expect(run.applied).toHaveLength(1);
    expect(await withClient(url, async (c) => (await c.query('SELECT body FROM notes')).rows[0].body)).toBe('a\\b');
  });

  it('with the setting on (the default), the dumped file runs and keeps its backslashes', async () => {
    const url = await freshDatabase(target, 'scs_on');
    await runEngine(pg, url, tempDir({ '0001_dumped.sql': DUMPED }));
    expect(await definition(url)).toBe("CHECK ((email ~ '^\\S+@\\S+$'::text))");
  });
});

/** standard_conforming_strings set off otherwise than by a plain SET: in a DO block, or through pg_settings. */
const OFF_ELSEWHERE = [
  "DO $$ BEGIN EXECUTE 'SET standard_conforming_strings = off'; END $$",
  "DO $$ BEGIN PERFORM set_config('standard_conforming_strings', 'off', false); END $$",
  "UPDATE pg_settings SET setting = 'off' WHERE name = 'standard_conforming_strings'",
];

describe.each(targets)('standard_conforming_strings set off in a DO block or through pg_settings, on $name', (target) => {
  it.each(OFF_ELSEWHERE)(
    'what the refusal says of %j: psql, sending statements one at a time, reads a string after it with escapes; one message, as schemaguard sends a file, reads it as written',
    async (off) => {
      const url = await freshDatabase(target, 'scs_elsewhere');
      const length = "SELECT length('a\\b') AS n";
      const alone = await withClient(url, async (c) => {
        await c.query(off);
        return (await c.query<{ n: number }>(length)).rows[0]!.n;
      });
      const together = await withClient(url, async (c) => {
        const results = (await c.query(`BEGIN; ${off}; ${length}; COMMIT`)) as unknown as { rows: { n: number }[] }[];
        return results[2]!.rows[0]!.n;
      });
      expect({ alone, together }).toEqual({ alone: 2, together: 3 });
    },
  );

  // Regression: the refusal saw only SET and set_config as statements of the file; these ran.
  it('refuses each before anything runs, with its line', async () => {
    const url = await freshDatabase(target, 'scs_elsewhere_refused');
    const dir = tempDir({
      '0001_ok.sql': 'CREATE TABLE notes (body text);\n',
      '0002_do.sql': `${OFF_ELSEWHERE[0]};\nINSERT INTO notes VALUES ('C:\\dir');\n`,
      '0003_settings.sql': `CREATE TABLE more (id int);\n${OFF_ELSEWHERE[2]};\n`,
    });
    const e = await rejection<InputProblemsError>(runEngine(pg, url, dir));
    expect(e).toBeInstanceOf(InputProblemsError);
    expect(e.problems.map((p) => p.message)).toEqual([
      '0002_do.sql:1: standard_conforming_strings set off: the statements after it would not be read as psql reads them',
      '0003_settings.sql:2: standard_conforming_strings set off: the statements after it would not be read as psql reads them',
    ]);
    const left = await withClient(url, async (c) => (await c.query("SELECT to_regclass('notes') AS notes, to_regnamespace('schemaguard') AS state")).rows[0]);
    expect(left).toEqual({ notes: null, state: null });
  });
});
