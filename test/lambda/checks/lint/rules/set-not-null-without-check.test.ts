/** Rule set-not-null-without-check: the findings it reports, and what it lets pass. */
import { describe, expect, it } from 'vitest';
import { lint, lintAfter, rules } from '../pending';

describe('Rule: set-not-null-without-check', () => {
  it('reports SET NOT NULL on an existing table and gives the four-step rewrite', async () => {
    const r = await lint('ALTER TABLE leads ALTER COLUMN name SET NOT NULL;');
    expect(r.findings.map((f) => f.rule)).toEqual(['set-not-null-without-check']);
    expect(r.findings[0]!.fix).toContain('CHECK (name IS NOT NULL) NOT VALID');
    expect(r.findings[0]!.fix).toContain('VALIDATE CONSTRAINT leads_name_not_null_proof');
  });
  it('accepts SET NOT NULL after a CHECK (col IS NOT NULL) NOT VALID has been validated', async () => {
    expect(
      await rules(
        'ALTER TABLE leads ADD CONSTRAINT leads_name_nn CHECK (name IS NOT NULL) NOT VALID;',
        'ALTER TABLE leads VALIDATE CONSTRAINT leads_name_nn;\nALTER TABLE leads ALTER COLUMN name SET NOT NULL;',
      ),
    ).toEqual([]);
  });
  it('still reports SET NOT NULL when the CHECK was added NOT VALID but never validated', async () => {
    expect(
      await rules('ALTER TABLE leads ADD CONSTRAINT leads_name_nn CHECK (name IS NOT NULL) NOT VALID;\nALTER TABLE leads ALTER COLUMN name SET NOT NULL;'),
    ).toEqual(['set-not-null-without-check']);
  });

  it("reports PostgreSQL 18's ADD CONSTRAINT … NOT NULL, and keeps the author's constraint in the fix", async () => {
    const r = await lint('ALTER TABLE leads ADD CONSTRAINT leads_name_nn NOT NULL name;');
    expect(r.findings.map((f) => f.rule)).toEqual(['set-not-null-without-check']);
    expect(r.findings[0]!.message).toBe('ADD CONSTRAINT leads_name_nn NOT NULL name on leads.name without a validated CHECK (name IS NOT NULL) first');
    expect(r.findings[0]!.fix.split('\n')).toEqual([
      '-- file 1 of 2: in place of the statement',
      'ALTER TABLE leads ADD CONSTRAINT leads_name_not_null_proof CHECK (name IS NOT NULL) NOT VALID;',
      '-- file 2 of 2: a later migration',
      'ALTER TABLE leads VALIDATE CONSTRAINT leads_name_not_null_proof;',
      'ALTER TABLE leads ADD CONSTRAINT leads_name_nn NOT NULL name;  -- no scan: the validated CHECK proves it',
      'ALTER TABLE leads DROP CONSTRAINT leads_name_not_null_proof;',
    ]);
    expect(await rules('ALTER TABLE leads ADD NOT NULL name;')).toEqual(['set-not-null-without-check']);
  });
  it('gives the CHECK another name when the NOT NULL constraint takes the usual one, as PostgreSQL picks its own (a digit after the label)', async () => {
    const fix = (await lint('ALTER TABLE leads ADD CONSTRAINT leads_name_not_null_proof NOT NULL name;')).findings[0]!.fix;
    expect(fix).toContain('ADD CONSTRAINT leads_name_not_null_proof1 CHECK (name IS NOT NULL) NOT VALID;');
    expect(fix).toContain('DROP CONSTRAINT leads_name_not_null_proof1;');
  });
  // Regression: the CHECK's name was not checked against the table's constraints: one an earlier migration made of that name made the fix fail (42710).
  it("gives the CHECK a name no constraint of the table has, the earlier migrations' and this file's earlier statements'", async () => {
    const earlier = (
      await lint(
        "ALTER TABLE leads ADD CONSTRAINT leads_name_not_null_proof CHECK (name <> '') NOT VALID;",
        'ALTER TABLE leads ALTER COLUMN name SET NOT NULL;',
      )
    ).findings.find((f) => f.rule === 'set-not-null-without-check')!.fix;
    expect(earlier).toContain('ADD CONSTRAINT leads_name_not_null_proof1 CHECK (name IS NOT NULL) NOT VALID;');
    const sameFile = (
      await lintAfter(
        'CREATE TABLE t (n int, CONSTRAINT t_n_not_null_proof CHECK (n > 0), CONSTRAINT t_n_not_null_proof1 CHECK (n < 9));',
        'ALTER TABLE t ADD CONSTRAINT t_n_not_null_proof2 CHECK (n <> 5);\nALTER TABLE t ALTER COLUMN n SET NOT NULL;',
      )
    ).findings.find((f) => f.rule === 'set-not-null-without-check')!.fix;
    expect(sameFile).toContain('ALTER TABLE t ADD CONSTRAINT t_n_not_null_proof3 CHECK (n IS NOT NULL) NOT VALID;');
    expect(sameFile).toContain('ALTER TABLE t DROP CONSTRAINT t_n_not_null_proof3;');
    // A constraint dropped before is free again.
    const dropped = (
      await lintAfter(
        'CREATE TABLE t (n int, CONSTRAINT t_n_not_null_proof CHECK (n > 0));',
        'ALTER TABLE t DROP CONSTRAINT t_n_not_null_proof;\nALTER TABLE t ALTER COLUMN n SET NOT NULL;',
      )
    ).findings.find((f) => f.rule === 'set-not-null-without-check')!.fix;
    expect(dropped).toContain('ALTER TABLE t ADD CONSTRAINT t_n_not_null_proof CHECK (n IS NOT NULL) NOT VALID;');
  });
  // Regression: the CHECK was <table>_<column>_not_null, the name PostgreSQL 18 gives the NOT NULL constraint, which it then named …_not_null1.
  it('names the CHECK <table>_<column>_not_null_proof, which no name PostgreSQL makes can be, cut to 63 bytes as PostgreSQL cuts names', async () => {
    const fix = (await lint('ALTER TABLE leads ADD CONSTRAINT leads_name_not_null NOT NULL name;')).findings[0]!.fix;
    expect(fix).toContain('ADD CONSTRAINT leads_name_not_null_proof CHECK (name IS NOT NULL) NOT VALID;');
    const long = (
      await lintAfter(`CREATE TABLE ${'t'.repeat(63)} (${'é'.repeat(31)} int);`, `ALTER TABLE ${'t'.repeat(63)} ALTER COLUMN ${'é'.repeat(31)} SET NOT NULL;`)
    ).findings[0]!.fix;
    expect(long).toContain(`ADD CONSTRAINT "${'t'.repeat(24)}_${'é'.repeat(11)}_not_null_proof" CHECK`);
  });
  it('keeps ONLY on the CHECK (NO INHERIT, but on a partitioned table) and on SET NOT NULL; not on VALIDATE and DROP', async () => {
    expect((await lint('ALTER TABLE ONLY leads ALTER COLUMN name SET NOT NULL;')).findings[0]!.fix.split('\n')).toEqual([
      '-- file 1 of 2: in place of the statement',
      'ALTER TABLE ONLY leads ADD CONSTRAINT leads_name_not_null_proof CHECK (name IS NOT NULL) NO INHERIT NOT VALID;  -- NO INHERIT: as ONLY, on this table alone',
      '-- file 2 of 2: a later migration',
      'ALTER TABLE leads VALIDATE CONSTRAINT leads_name_not_null_proof;',
      'ALTER TABLE ONLY leads ALTER COLUMN name SET NOT NULL;  -- no scan: the validated CHECK proves it',
      'ALTER TABLE leads DROP CONSTRAINT leads_name_not_null_proof;',
    ]);
    const partitioned = (await lintAfter('CREATE TABLE j (id int, n int) PARTITION BY RANGE (id);', 'ALTER TABLE ONLY j ALTER COLUMN n SET NOT NULL;'))
      .findings[0]!.fix;
    expect(partitioned).toContain('ALTER TABLE ONLY j ADD CONSTRAINT j_n_not_null_proof CHECK (n IS NOT NULL) NOT VALID;\n');
  });
  it('accepts ADD CONSTRAINT … NOT NULL after a validated CHECK, and its NOT VALID form (no scan)', async () => {
    expect(
      await rules(
        'ALTER TABLE leads ADD CONSTRAINT leads_name_nn CHECK (name IS NOT NULL) NOT VALID;',
        'ALTER TABLE leads VALIDATE CONSTRAINT leads_name_nn;\nALTER TABLE leads ADD CONSTRAINT leads_name_nn2 NOT NULL name;',
      ),
    ).toEqual([]);
    expect(await rules('ALTER TABLE leads ADD CONSTRAINT leads_name_nn NOT NULL name NOT VALID;')).toEqual([]);
  });
  it('still reports SET NOT NULL after a NOT VALID NOT NULL constraint (PostgreSQL 18 scans then), not after a validated one', async () => {
    expect(await rules('ALTER TABLE leads ADD CONSTRAINT leads_name_nn NOT NULL name NOT VALID;\nALTER TABLE leads ALTER COLUMN name SET NOT NULL;')).toEqual([
      'set-not-null-without-check',
    ]);
    expect(await rules('CREATE TABLE t (a int);\nALTER TABLE t ADD NOT NULL a;', 'ALTER TABLE t ALTER COLUMN a SET NOT NULL;')).toEqual([]);
  });

  it('fix: the CHECK … NOT VALID in place of the statement, VALIDATE and SET NOT NULL in a later migration', async () => {
    const fix = (await lint('ALTER TABLE leads ALTER COLUMN name SET NOT NULL;')).findings[0]!.fix;
    expect(fix.split('\n')).toEqual([
      '-- file 1 of 2: in place of the statement',
      'ALTER TABLE leads ADD CONSTRAINT leads_name_not_null_proof CHECK (name IS NOT NULL) NOT VALID;',
      '-- file 2 of 2: a later migration',
      'ALTER TABLE leads VALIDATE CONSTRAINT leads_name_not_null_proof;',
      'ALTER TABLE leads ALTER COLUMN name SET NOT NULL;  -- no scan: the validated CHECK proves it',
      'ALTER TABLE leads DROP CONSTRAINT leads_name_not_null_proof;',
    ]);
  });
  // Regression: the fix of ALTER TABLE … ADD COLUMN note text, ALTER COLUMN n SET NOT NULL, ALTER COLUMN code SET DEFAULT 'x' kept only the NOT NULL steps, dropping ADD COLUMN and SET DEFAULT; ONLY stays on every step.
  it("fix: the statement's other commands kept in place of it; every NOT NULL of the statement in steps, one fix for each finding", async () => {
    const r = await lint(
      "ALTER TABLE IF EXISTS ONLY leads ALTER COLUMN name SET NOT NULL, ADD COLUMN note text,\n  ALTER COLUMN code SET DEFAULT 'x', ALTER score SET NOT NULL;",
    );
    expect(r.findings.map((f) => f.message.split(' without')[0])).toEqual(['SET NOT NULL on leads.name', 'SET NOT NULL on leads.score']);
    expect(r.findings[1]!.fix).toBe(r.findings[0]!.fix);
    expect(r.findings[0]!.fix.split('\n')).toEqual(
      [
        '-- file 1 of 2: in place of the statement',
        "ALTER TABLE IF EXISTS ONLY leads ADD COLUMN note text,\n  ALTER COLUMN code SET DEFAULT 'x';",
        'ALTER TABLE ONLY leads ADD CONSTRAINT leads_name_not_null_proof CHECK (name IS NOT NULL) NO INHERIT NOT VALID;  -- NO INHERIT: as ONLY, on this table alone',
        'ALTER TABLE ONLY leads ADD CONSTRAINT leads_score_not_null_proof CHECK (score IS NOT NULL) NO INHERIT NOT VALID;  -- NO INHERIT: as ONLY, on this table alone',
        '-- file 2 of 2: a later migration',
        'ALTER TABLE leads VALIDATE CONSTRAINT leads_name_not_null_proof;',
        'ALTER TABLE ONLY leads ALTER COLUMN name SET NOT NULL;  -- no scan: the validated CHECK proves it',
        'ALTER TABLE leads DROP CONSTRAINT leads_name_not_null_proof;',
        'ALTER TABLE leads VALIDATE CONSTRAINT leads_score_not_null_proof;',
        'ALTER TABLE ONLY leads ALTER COLUMN score SET NOT NULL;  -- no scan: the validated CHECK proves it',
        'ALTER TABLE leads DROP CONSTRAINT leads_score_not_null_proof;',
      ]
        .join('\n')
        .split('\n'),
    );
  });
  it.each([
    [
      'a schema-qualified, quoted table, and a command left after the first',
      'ALTER TABLE "public"."leads" ALTER name SET NOT NULL, ALTER COLUMN code DROP DEFAULT;',
      'ALTER TABLE "public"."leads" ALTER COLUMN code DROP DEFAULT;',
    ],
    [
      'a table named with the inheritance *',
      "ALTER TABLE leads * ALTER COLUMN code SET DEFAULT 'x', ALTER COLUMN name SET NOT NULL;",
      "ALTER TABLE leads * ALTER COLUMN code SET DEFAULT 'x';",
    ],
    [
      "PostgreSQL 18's ADD CONSTRAINT … NOT NULL first",
      'ALTER TABLE leads ADD CONSTRAINT leads_name_nn NOT NULL name, ADD COLUMN note text;',
      'ALTER TABLE leads ADD COLUMN note text;',
    ],
  ])('fix keeps the other commands: %s', async (_what, sql, kept) => {
    const fix = (await lint(sql)).findings[0]!.fix.split('\n');
    expect(fix[1]).toBe(kept);
  });
  it('accepts SET NOT NULL on a column that is NOT NULL already (PostgreSQL does nothing)', async () => {
    expect(await rules('CREATE TABLE t (a int NOT NULL);', 'ALTER TABLE t ALTER COLUMN a SET NOT NULL;')).toEqual([]);
    expect(await rules('ALTER TABLE leads ALTER COLUMN id SET NOT NULL;')).toEqual([]);
  });
  it('follows the validated CHECK through RENAME COLUMN and RENAME CONSTRAINT', async () => {
    expect(
      await rules(
        'ALTER TABLE leads ADD CONSTRAINT leads_name_nn CHECK (name IS NOT NULL) NOT VALID;',
        'ALTER TABLE leads RENAME CONSTRAINT leads_name_nn TO leads_name_present;\nALTER TABLE leads RENAME COLUMN name TO full_name;',
        'ALTER TABLE leads VALIDATE CONSTRAINT leads_name_present;\nALTER TABLE leads ALTER COLUMN full_name SET NOT NULL;',
      ),
    ).toEqual(['renaming-column']);
  });
  it('accepts a validated CHECK that proves the column as PostgreSQL does: a conjunct of an AND, NOT (col IS NULL), every arm of an OR', async () => {
    for (const proof of [
      'name IS NOT NULL AND score > 0',
      'score > 0 AND (leads.name IS NOT NULL AND id IS NOT NULL)',
      'NOT (name IS NULL OR score IS NULL)',
      '(name IS NOT NULL AND score > 0) OR (name IS NOT NULL AND score < 0)',
    ]) {
      expect(
        await rules(
          `ALTER TABLE leads ADD CONSTRAINT leads_name_nn CHECK (${proof}) NOT VALID;`,
          'ALTER TABLE leads VALIDATE CONSTRAINT leads_name_nn;\nALTER TABLE leads ALTER COLUMN name SET NOT NULL;',
        ),
        proof,
      ).toEqual([]);
    }
  });
  it('still reports SET NOT NULL after a CHECK that lets NULL through: an OR with one arm, col > 0 alone, NOT of an AND', async () => {
    for (const weak of ['name IS NOT NULL OR score > 0', "name <> ''", 'NOT (name IS NULL AND score IS NULL)', 'score IS NOT NULL']) {
      expect(
        await rules(
          `ALTER TABLE leads ADD CONSTRAINT leads_name_nn CHECK (${weak}) NOT VALID;`,
          'ALTER TABLE leads VALIDATE CONSTRAINT leads_name_nn;\nALTER TABLE leads ALTER COLUMN name SET NOT NULL;',
        ),
        weak,
      ).toEqual(['set-not-null-without-check']);
    }
  });
  it('one CHECK proves each column it names IS NOT NULL; dropping any column it names drops it, and its proof', async () => {
    const check = "ALTER TABLE leads ADD CONSTRAINT leads_nn CHECK (name IS NOT NULL AND score IS NOT NULL AND code <> '') NOT VALID;";
    const validate = 'ALTER TABLE leads VALIDATE CONSTRAINT leads_nn;';
    expect(await rules(check, `${validate}\nALTER TABLE leads ALTER COLUMN name SET NOT NULL, ALTER COLUMN score SET NOT NULL;`)).toEqual([]);
    expect(await rules(check, validate, 'ALTER TABLE leads DROP COLUMN code;', 'ALTER TABLE leads ALTER COLUMN name SET NOT NULL;')).toEqual([
      'dropping-column',
      'set-not-null-without-check',
    ]);
  });
  it('follows a compound CHECK through RENAME COLUMN of a column it names', async () => {
    expect(
      await rules(
        'ALTER TABLE leads ADD CONSTRAINT leads_nn CHECK (name IS NOT NULL AND score > 0) NOT VALID;',
        'ALTER TABLE leads RENAME COLUMN score TO points;\nALTER TABLE leads RENAME COLUMN name TO full_name;',
        'ALTER TABLE leads VALIDATE CONSTRAINT leads_nn;',
        'ALTER TABLE leads DROP COLUMN points;',
        'ALTER TABLE leads ALTER COLUMN full_name SET NOT NULL;',
      ),
    ).toEqual(['renaming-column', 'renaming-column', 'dropping-column', 'set-not-null-without-check']);
  });
});
