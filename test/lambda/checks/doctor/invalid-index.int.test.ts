import { afterAll, describe, expect, it } from 'vitest';
import { INVALID_INDEX } from '../../../../lambda/checks/doctor/invalid-index';
import { dropDatabases, targets } from '../../../support/db';
import { findingsOfRule } from './bad-schema';

afterAll(dropDatabases);

describe.each(targets)('Rule: invalid-index on $name', (target) => {
  const findings = findingsOfRule(target, INVALID_INDEX);

  it('finds the index a failed CREATE UNIQUE INDEX CONCURRENTLY left, and no valid index', () => {
    expect(findings().map((f) => f.object)).toEqual(['dupes_code_key']);
    expect(findings()[0]!.message).toBe('index dupes_code_key on dupes is INVALID');
  });

  it('rebuilds an INVALID index concurrently', () => {
    expect(findings().find((x) => x.rule === 'invalid-index')!.fix)
      .toBe('DROP INDEX CONCURRENTLY IF EXISTS dupes_code_key;\nCREATE UNIQUE INDEX CONCURRENTLY dupes_code_key ON public.dupes USING btree (code);');
  });
});
