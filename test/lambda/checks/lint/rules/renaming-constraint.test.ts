/** Rule renaming-constraint: the findings it reports, and what it lets pass. */
import { describe, expect, it } from 'vitest';
import { lintAfter, rules } from '../pending';

const EXISTING = 'CREATE TABLE leads (id bigint PRIMARY KEY, email text CONSTRAINT leads_email_key UNIQUE, score int CHECK (score > 0));';

describe('Rule: renaming-constraint', () => {
  it('reports RENAME CONSTRAINT of a unique constraint of an existing table as a warning, naming ON CONFLICT ON CONSTRAINT', async () => {
    const r = await lintAfter(EXISTING, 'CREATE TABLE notes (id int);\nALTER TABLE leads RENAME CONSTRAINT leads_email_key TO leads_email_unique;');
    expect(r.findings).toMatchObject([{ rule: 'renaming-constraint', severity: 'warning', file: '2_pending.sql', line: 2, column: 1 }]);
    expect(r.findings[0]!.message).toBe(
      "RENAME CONSTRAINT leads_email_key TO leads_email_unique on existing table leads: the running application's ON CONFLICT ON CONSTRAINT leads_email_key fails with 42704, and its error handling that matches the name leads_email_key stops matching until its new version has replaced it",
    );
  });

  it('a CHECK or FOREIGN KEY: only the error handling (no ON CONFLICT names one)', async () => {
    const r = await lintAfter(EXISTING, 'ALTER TABLE leads RENAME CONSTRAINT leads_score_check TO leads_score_positive;');
    expect(r.findings[0]!.message).toBe(
      'RENAME CONSTRAINT leads_score_check TO leads_score_positive on existing table leads: its error handling that matches the name leads_score_check stops matching until its new version has replaced it',
    );
  });

  it('ALTER INDEX … RENAME TO of the index behind a primary key renames the constraint: reported; of a plain index: not', async () => {
    const r = await lintAfter(
      `${EXISTING}\nCREATE INDEX leads_score ON leads (score);`,
      'ALTER INDEX leads_pkey RENAME TO leads_id_pkey;\nALTER INDEX leads_score RENAME TO leads_by_score;',
    );
    expect(r.findings.map((f) => f.message.split(':')[0])).toEqual([
      'RENAME of index leads_pkey (and so of its constraint) TO leads_id_pkey on existing table leads',
    ]);
  });

  it('fix: nothing in place of the statement, the statement in a later migration after the allow directive', async () => {
    const fix = (await lintAfter(EXISTING, 'ALTER TABLE leads RENAME CONSTRAINT leads_email_key TO leads_email_unique;')).findings[0]!.fix;
    expect(fix).toBe(
      [
        '-- file 1 of 2: in place of the statement',
        '-- nothing in its place: first release code that names no constraint leads_email_key (ON CONFLICT (<its columns>) instead of ON CONFLICT ON CONSTRAINT leads_email_key), telling errors apart by their columns',
        '-- file 2 of 2: a later migration',
        '-- once no running code names leads_email_key',
        '-- schemaguard:allow renaming-constraint no running code names leads_email_key any more',
        'ALTER TABLE leads RENAME CONSTRAINT leads_email_key TO leads_email_unique;',
      ].join('\n'),
    );
  });

  it('reports a constraint lint does not know (a table from outside the files)', async () => {
    expect(await rules('ALTER TABLE elsewhere RENAME CONSTRAINT elsewhere_pkey TO elsewhere_id_pkey;')).toEqual(['renaming-constraint']);
  });

  it.each([
    [
      'a constraint the pending set added',
      "ALTER TABLE leads ADD CONSTRAINT leads_code_check CHECK (code <> '') NOT VALID;",
      'ALTER TABLE leads RENAME CONSTRAINT leads_code_check TO leads_code_not_empty;',
    ],
    ['a table created in the pending set', 'CREATE TABLE t (a int CONSTRAINT t_a_key UNIQUE);\nALTER TABLE t RENAME CONSTRAINT t_a_key TO t_a_unique;'],
    [
      'a swap: another constraint takes the old name in the same transaction',
      'ALTER TABLE leads ADD CONSTRAINT leads_score_check2 CHECK (score >= 0) NOT VALID;',
      'ALTER TABLE leads RENAME CONSTRAINT leads_score_check TO leads_score_check_old;\nALTER TABLE leads RENAME CONSTRAINT leads_score_check2 TO leads_score_check;',
    ],
    [
      'a rename there and back in the same transaction',
      'ALTER TABLE leads RENAME CONSTRAINT leads_pkey TO leads_pkey_old;\nALTER TABLE leads RENAME CONSTRAINT leads_pkey_old TO leads_pkey;',
    ],
  ])('leaves alone %s', async (_what, ...files) => {
    expect((await rules(...files)).filter((r) => r === 'renaming-constraint')).toEqual([]);
  });
});
