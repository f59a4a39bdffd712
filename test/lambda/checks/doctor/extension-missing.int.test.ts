import { afterAll, describe, expect, it } from 'vitest';
import { EXTENSION_MISSING } from '../../../../lambda/checks/doctor/extension-missing';
import { dropDatabases, targets } from '../../../support/db';
import { findingsOfRule } from './bad-schema';

afterAll(dropDatabases);

describe.each(targets)('Rule: extension-missing on $name', (target) => {
  const findings = findingsOfRule(target, EXTENSION_MISSING);

  it('finds the default whose function stands in for uuid-ossp, and nothing for gen_random_uuid() (built in)', () => {
    expect(findings().map((f) => f.object)).toEqual(['tokens.id']);
    expect(findings()[0]!.severity).toBe('error');
  });

  it('names the extension a default needs when its function comes from elsewhere', () => {
    const f = findings().find((x) => x.rule === 'extension-missing')!;
    expect(f.message).toContain('needs extension uuid-ossp, which is not installed');
    expect(f.fix).toContain('CREATE EXTENSION IF NOT EXISTS "uuid-ossp";');
  });
});
