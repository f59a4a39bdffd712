/** Rule dropping-column: the findings it reports, and what it lets pass. */
import { describe, expect, it } from 'vitest';
import { lint, lintAfter, rules } from '../pending';

describe('Rule: dropping-column', () => {
  it('reports DROP COLUMN on an existing table as a warning, naming the column', async () => {
    const r = await lint('CREATE TABLE notes (id int);\nALTER TABLE leads DROP COLUMN code;');
    expect(r.findings).toMatchObject([{ rule: 'dropping-column', severity: 'warning', file: '2_pending.sql', line: 2, column: 1 }]);
    expect(r.findings[0]!.message).toBe(
      "DROP COLUMN code on existing table leads: the running application's statements that name leads.code fail with 42703 until its new version has replaced it",
    );
  });

  it('fix: nothing in place of the statement, the DROP in a later migration after the allow directive', async () => {
    const fix = (await lint('ALTER TABLE leads DROP COLUMN code;')).findings[0]!.fix;
    expect(fix).toBe(
      [
        '-- file 1 of 2: in place of the statement',
        "-- nothing in its place: first release code that no longer names leads.code (an ORM that caches a table's columns: told to ignore it); the statement's other changes stay",
        '-- file 2 of 2: a later migration',
        '-- once no running code names code',
        '-- schemaguard:allow dropping-column no running code names leads.code any more',
        'ALTER TABLE leads DROP COLUMN code;',
      ].join('\n'),
    );
  });

  it('fix keeps IF EXISTS, leaves CASCADE out (drop-cascade) and says so, and quotes names that need it', async () => {
    const fix = (await lint('ALTER TABLE leads DROP COLUMN IF EXISTS score CASCADE;')).findings.find((f) => f.rule === 'dropping-column')!.fix;
    expect(fix).toContain(
      '\n-- without CASCADE (drop-cascade): PostgreSQL refuses the drop while anything depends on it, and names each dependent; drop those explicitly first\n',
    );
    expect(fix).toContain('\nALTER TABLE leads DROP COLUMN IF EXISTS score;');
    const r = await lintAfter('CREATE SCHEMA app;\nCREATE TABLE app."Accounts" ("Name" text, id int);', 'ALTER TABLE app."Accounts" DROP COLUMN "Name";');
    expect(r.findings[0]!.message).toContain('DROP COLUMN "Name" on existing table app."Accounts"');
    expect(r.findings[0]!.fix).toContain('\nALTER TABLE app."Accounts" DROP COLUMN "Name";');
  });

  it('reports each column of a statement that drops several, and a table lint knows only from the database', async () => {
    expect(await rules('ALTER TABLE leads DROP COLUMN code, DROP COLUMN score;')).toEqual(['dropping-column', 'dropping-column']);
    expect(await rules('ALTER TABLE elsewhere DROP COLUMN a;')).toEqual(['dropping-column']);
  });

  it('an allow directive with a reason silences it, and is kept with the finding', async () => {
    const r = await lint('-- schemaguard:allow dropping-column the app stopped reading code in release 41\nALTER TABLE leads DROP COLUMN code;');
    expect(r.findings).toEqual([]);
    expect(r.allowed).toMatchObject([{ rule: 'dropping-column', allowed: { reason: 'the app stopped reading code in release 41' } }]);
  });

  it.each([
    ['a table created in the same file', 'CREATE TABLE t (a int, b int);\nALTER TABLE t DROP COLUMN a;'],
    ['a table created and renamed in the pending set', 'CREATE TABLE t (a int, b int);\nALTER TABLE t RENAME TO u;\nALTER TABLE u DROP COLUMN a;'],
    ['a column the pending set added to an existing table', 'ALTER TABLE leads ADD COLUMN note text;', 'ALTER TABLE leads DROP COLUMN note;'],
    [
      'a table renamed in the pending set (renaming-table reports the rename)',
      'ALTER TABLE leads RENAME TO prospects;\nALTER TABLE prospects DROP COLUMN code;',
    ],
  ])('leaves alone %s', async (_what, ...files) => {
    expect((await rules(...files)).filter((r) => r === 'dropping-column')).toEqual([]);
  });

  it("the contract step of the other rules' fixes carries the directive, so it lints clean", async () => {
    const renamed = (await lint('ALTER TABLE leads RENAME COLUMN code TO referral_code;')).findings[0]!.fix;
    expect(renamed).toContain('-- schemaguard:allow dropping-column no running code names leads.code any more\nALTER TABLE leads DROP COLUMN code;');
    const retyped = (await lint('ALTER TABLE leads ALTER COLUMN score TYPE bigint;')).findings[0]!.fix;
    expect(retyped).toContain('-- schemaguard:allow dropping-column no running code names leads.score any more\nALTER TABLE leads DROP COLUMN score;');
  });
});
