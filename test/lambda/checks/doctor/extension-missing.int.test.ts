import { afterAll, describe, expect, it } from 'vitest';
import { EXTENSION_MISSING } from '../../../../lambda/checks/doctor/extension-missing';
import { fullMatrixMajors, dropDatabases } from '../../../support/db';
import { findingsOfRule, findingsOnSchema } from './bad-schema';

afterAll(dropDatabases);

describe.each(fullMatrixMajors)('Rule: extension-missing on $name', (target) => {
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

describe.each(fullMatrixMajors)('Rule: extension-missing reads the function a default calls, on $name', (target) => {
  it("finds no default whose own function, or whose text, merely contains an extension function's name", async () => {
    const { findings } = await findingsOnSchema(
      target,
      'doctor_ext_names',
      `
      CREATE FUNCTION sha_digest(text) RETURNS text LANGUAGE sql AS 'SELECT md5($1)';
      CREATE FUNCTION app_encrypt(text) RETURNS text LANGUAGE sql AS 'SELECT reverse($1)';
      CREATE TABLE notes (hash text DEFAULT sha_digest('x'), secret text DEFAULT app_encrypt('y'), hint text DEFAULT 'call uuid_generate_v4() first');
    `,
      [EXTENSION_MISSING],
    );
    expect(findings).toEqual([]);
  });

  it('reports a stand-in default on a partitioned table once, on the table', async () => {
    const { findings } = await findingsOnSchema(
      target,
      'doctor_ext_parts',
      `
      CREATE FUNCTION public.uuid_generate_v4() RETURNS uuid LANGUAGE sql AS 'SELECT gen_random_uuid()';
      CREATE TABLE jobs (id uuid DEFAULT public.uuid_generate_v4(), at date) PARTITION BY RANGE (at);
      CREATE TABLE jobs_2025 PARTITION OF jobs FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
      CREATE TABLE jobs_2026 PARTITION OF jobs FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
    `,
      [EXTENSION_MISSING],
    );
    expect(findings.map((f) => f.object)).toEqual(['jobs.id']);
  });

  it('finds nothing where the extension provides the function, in whatever schema', async () => {
    const { findings } = await findingsOnSchema(
      target,
      'doctor_ext_schema',
      `
      CREATE SCHEMA extensions;
      CREATE EXTENSION "uuid-ossp" SCHEMA extensions;
      CREATE TABLE tokens (id uuid PRIMARY KEY DEFAULT extensions.uuid_generate_v4());
    `,
      [EXTENSION_MISSING],
    );
    expect(findings).toEqual([]);
  });
});
