/** The form table itself, as its reference page shows it. */
import { describe, expect, it } from 'vitest';
import { LOCK_FORMS } from '../../../../lambda/checks/locks/forms';
import { lockFormsTable } from '../../../../lambda/checks/locks/forms-table';
import { blocksReads, blocksWrites, conflicts, LOCK_MODES, pgLocksMode, strongest } from '../../../../lambda/checks/locks/modes';

describe('Constant: LOCK_FORMS', () => {
  it('has each id once, an example for each, and a safer form for every write-blocking form that scans or rewrites', () => {
    expect(new Set(LOCK_FORMS.map((f) => f.id)).size).toBe(LOCK_FORMS.length);
    for (const f of LOCK_FORMS) {
      expect(f.example.length).toBeGreaterThan(5);
      if (f.lock && blocksWrites(f.lock) && (f.rewrites || f.scans) && !f.noTransaction && f.id !== 'alter-column-type-compatible')
        expect(f.saferForm, f.id).toBeDefined();
    }
  });

  it('gives one table row per form, its pipes escaped (the reference page shows it)', () => {
    const rows = lockFormsTable().split('\n').slice(2);
    expect(rows).toHaveLength(LOCK_FORMS.length);
    for (const row of rows) expect(row.replace(/\\\|/g, '').split('|')).toHaveLength(7);
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
