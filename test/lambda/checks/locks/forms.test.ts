/** The form table itself, and README's copy of it. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCK_FORMS } from '../../../../lambda/checks/locks/forms';
import { lockFormsTable } from '../../../../lambda/checks/locks/forms-table';
import { blocksReads, blocksWrites, conflicts, LOCK_MODES, pgLocksMode, strongest } from '../../../../lambda/checks/locks/modes';
import { ROOT } from '../../../support/cli';

describe('Constant: LOCK_FORMS', () => {
  it('has each id once, an example for each, and a safer form for every write-blocking form that scans or rewrites', () => {
    expect(new Set(LOCK_FORMS.map((f) => f.id)).size).toBe(LOCK_FORMS.length);
    for (const f of LOCK_FORMS) {
      expect(f.example.length).toBeGreaterThan(5);
      if (f.lock && blocksWrites(f.lock) && (f.rewrites || f.scans) && !f.noTransaction && f.id !== 'alter-column-type-compatible') expect(f.saferForm, f.id).toBeDefined();
    }
  });

  it('README shows the table exactly as the code has it', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(lockFormsTable());
  });
});

describe('Function: lock modes', () => {
  it('orders, names and classifies the eight modes as PostgreSQL does', () => {
    expect(pgLocksMode('SHARE UPDATE EXCLUSIVE')).toBe('ShareUpdateExclusiveLock');
    expect(strongest('SHARE', 'ROW EXCLUSIVE')).toBe('SHARE');
    expect(LOCK_MODES.filter(blocksWrites)).toEqual(['SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE']);
    expect(LOCK_MODES.filter(blocksReads)).toEqual(['ACCESS EXCLUSIVE']);
    for (const a of LOCK_MODES) for (const b of LOCK_MODES) expect(conflicts(a, b)).toBe(conflicts(b, a));
  });
});
