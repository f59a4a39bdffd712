/** Fix texts: rendered as SQL with file markers, and read back into the files they describe. */
import { describe, expect, it } from 'vitest';
import { fixFiles, inPlace, later, ownNoTransaction, renderFix } from '../../../../lambda/checks/lint/fix';
import { MASKED_FIX_NOTE } from '../../../../lambda/checks/lint/rule';
import { Redactor } from '../../../../lambda/engine/errors/redact';
import { lint } from './pending';

describe('Function: renderFix', () => {
  it('prints a lone in-place replacement as it is', () => {
    expect(renderFix([inPlace('ALTER TABLE t ADD COLUMN a int;', '-- then backfill')])).toBe('ALTER TABLE t ADD COLUMN a int;\n-- then backfill');
  });
  it('marks each file when there is more than one, and starts a no-transaction file with its directive', () => {
    expect(renderFix([inPlace('SELECT 1;'), ownNoTransaction('CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);'), later('SELECT 2;')])).toBe(
      [
        '-- file 1 of 3: in place of the statement',
        'SELECT 1;',
        '-- file 2 of 3: a migration of its own, in place of the statement',
        '-- schemaguard:no-transaction',
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);',
        '-- file 3 of 3: a later migration',
        'SELECT 2;',
      ].join('\n'),
    );
  });
});

describe('Function: fixFiles', () => {
  it('reads a rendered fix back into its files', () => {
    const text = renderFix([inPlace('SELECT 1;'), ownNoTransaction('SELECT 2;')]);
    expect(fixFiles(text)).toEqual(['SELECT 1;', '-- schemaguard:no-transaction\nSELECT 2;']);
    expect(fixFiles('SELECT 1;\n-- a note')).toEqual(['SELECT 1;\n-- a note']);
  });
});

// Regression: a fix echoing `WHERE code <> 'host=x password=…'` was printed with the literal masked, and nothing said so: copied, it built another index.
describe('Fix texts that output masks', () => {
  const SQL = "CREATE INDEX leads_code_pw ON leads (code) WHERE code <> 'host=x password=LintSecret1';";

  it('keep the literal as written, and say that where the output shows ****, the file has the literal', async () => {
    const [f] = (await lint(SQL)).findings;
    expect(f!.fix).toContain("WHERE code <> 'host=x password=LintSecret1';");
    expect(f!.fix.split('\n').at(-1)).toBe(MASKED_FIX_NOTE);
    const printed = new Redactor().redact(f!.fix);
    expect(printed).toContain("WHERE code <> 'host=x password=****';");
    expect(printed).not.toContain('LintSecret1');
    expect(printed.split('\n').at(-1)).toBe(MASKED_FIX_NOTE);
  });

  it('a fix the output prints as it is has no such note', async () => {
    const [f] = (await lint("CREATE INDEX leads_code ON leads (code) WHERE code <> 'host=x';")).findings;
    expect(f!.fix).not.toContain(MASKED_FIX_NOTE);
  });
});
