import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { lintMigrations, lintSourceFromText, rewritesOnTypeChange, RULES, type LintSource } from '../../../../lambda/checks/lint';
import { formatFinding } from '../../../../lambda/checks/finding';
import { loadMigrations } from '../../../../lambda/engine/source';
import { lintSourceOf } from '../../../../lambda/checks/lint';
import { ROOT } from '../../../support/cli';

/** An existing table (created by an applied migration) plus the pending files. */
const APPLIED = lintSourceFromText('1_base.sql', `
CREATE TABLE leads (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text, score int, price numeric(10,2), code varchar(20));
CREATE TABLE purchases (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, lead_id uuid, legacy_lead varchar(36));
`, true);

async function lint(...pending: string[]) {
  const sources: LintSource[] = [APPLIED, ...pending.map((text, k) => lintSourceFromText(`${k + 2}_pending.sql`, text))];
  return lintMigrations(sources);
}

async function rules(...pending: string[]): Promise<string[]> {
  return (await lint(...pending)).findings.map((f) => f.rule);
}

describe('Function: lintMigrations', () => {
  describe('rule index-not-concurrent', () => {
    it('reports CREATE INDEX without CONCURRENTLY on an existing table, at the table name', async () => {
      const r = await lint('CREATE INDEX leads_name ON leads (name);');
      expect(r.findings).toHaveLength(1);
      const f = r.findings[0]!;
      expect(f).toMatchObject({ rule: 'index-not-concurrent', severity: 'error', file: '2_pending.sql', line: 1, column: 28 });
      expect(f.message).toContain('leads_name');
      expect(f.fix).toContain('CREATE INDEX CONCURRENTLY IF NOT EXISTS leads_name ON leads');
      expect(f.fix).toContain('schemaguard:no-transaction');
    });
    it('reports ADD CONSTRAINT UNIQUE on an existing table (its index is built while writes wait)', async () => {
      expect(await rules('ALTER TABLE leads ADD CONSTRAINT leads_code_key UNIQUE (code);')).toEqual(['index-not-concurrent']);
    });
    it('accepts ADD CONSTRAINT UNIQUE USING INDEX', async () => {
      expect(await rules('ALTER TABLE leads ADD CONSTRAINT leads_code_key UNIQUE USING INDEX leads_code_idx;')).toEqual([]);
    });
    it('does not fire on a table created in the same migration', async () => {
      expect(await rules('CREATE TABLE t (id int); CREATE INDEX t_id ON t (id);')).toEqual([]);
    });
    it('does not fire on a table created by an earlier pending migration of the same run', async () => {
      expect(await rules('CREATE TABLE t (id int);', 'CREATE INDEX t_id ON t (id);')).toEqual([]);
    });
    it('fires on a table created by an applied migration', async () => {
      expect(await rules('CREATE INDEX p_lead ON purchases (lead_id);')).toEqual(['index-not-concurrent']);
    });
    it('treats a table no migration creates as existing', async () => {
      expect(await rules('CREATE INDEX x_a ON somewhere_else (a);')).toEqual(['index-not-concurrent']);
    });
    it('accepts CREATE INDEX CONCURRENTLY in a no-transaction file', async () => {
      expect(await rules('-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS leads_name ON leads (name);')).toEqual([]);
    });
  });

  describe('rule constraint-not-valid', () => {
    it('reports a foreign key added to an existing table without NOT VALID', async () => {
      const r = await lint('ALTER TABLE purchases ADD CONSTRAINT purchases_lead_fk FOREIGN KEY (lead_id) REFERENCES leads (id);');
      expect(r.findings.map((f) => f.rule)).toEqual(['constraint-not-valid']);
      expect(r.findings[0]!.fix).toContain('NOT VALID');
      expect(r.findings[0]!.fix).toContain('VALIDATE CONSTRAINT purchases_lead_fk');
    });
    it('reports a CHECK added to an existing table without NOT VALID', async () => {
      expect(await rules('ALTER TABLE leads ADD CONSTRAINT score_positive CHECK (score > 0);')).toEqual(['constraint-not-valid']);
    });
    it('reports a foreign key on a column added to an existing table', async () => {
      expect(await rules('ALTER TABLE purchases ADD COLUMN other_lead uuid REFERENCES leads (id);')).toEqual(['constraint-not-valid']);
    });
    it('accepts NOT VALID followed by VALIDATE CONSTRAINT in a later migration', async () => {
      expect(await rules('ALTER TABLE purchases ADD CONSTRAINT purchases_lead_fk FOREIGN KEY (lead_id) REFERENCES leads (id) NOT VALID;', 'ALTER TABLE purchases VALIDATE CONSTRAINT purchases_lead_fk;')).toEqual([]);
    });
    it('does not fire on a new table', async () => {
      expect(await rules('CREATE TABLE t (id int, lead_id uuid); ALTER TABLE t ADD CONSTRAINT t_fk FOREIGN KEY (lead_id) REFERENCES leads (id);')).toEqual([]);
    });
  });

  describe('rule set-not-null-without-check', () => {
    it('reports SET NOT NULL on an existing table and gives the four-step rewrite', async () => {
      const r = await lint('ALTER TABLE leads ALTER COLUMN name SET NOT NULL;');
      expect(r.findings.map((f) => f.rule)).toEqual(['set-not-null-without-check']);
      expect(r.findings[0]!.fix).toContain('CHECK (name IS NOT NULL) NOT VALID');
      expect(r.findings[0]!.fix).toContain('VALIDATE CONSTRAINT leads_name_not_null');
    });
    it('accepts SET NOT NULL after a CHECK (col IS NOT NULL) NOT VALID has been validated', async () => {
      expect(await rules(
        'ALTER TABLE leads ADD CONSTRAINT leads_name_nn CHECK (name IS NOT NULL) NOT VALID;',
        'ALTER TABLE leads VALIDATE CONSTRAINT leads_name_nn;\nALTER TABLE leads ALTER COLUMN name SET NOT NULL;',
      )).toEqual([]);
    });
    it('still reports SET NOT NULL when the CHECK was added NOT VALID but never validated', async () => {
      expect(await rules('ALTER TABLE leads ADD CONSTRAINT leads_name_nn CHECK (name IS NOT NULL) NOT VALID;\nALTER TABLE leads ALTER COLUMN name SET NOT NULL;'))
        .toEqual(['set-not-null-without-check']);
    });
  });

  describe('rule column-type-rewrite', () => {
    it('reports a type change that rewrites an existing table, naming both types', async () => {
      const r = await lint('ALTER TABLE leads ALTER COLUMN score TYPE bigint;');
      expect(r.findings.map((f) => f.rule)).toEqual(['column-type-rewrite']);
      expect(r.findings[0]!.message).toContain('from integer to bigint');
    });
    it('accepts binary-compatible changes: varchar(20) → varchar(40) and text, numeric precision up', async () => {
      expect(await rules('ALTER TABLE leads ALTER COLUMN code TYPE varchar(40);')).toEqual([]);
      expect(await rules('ALTER TABLE leads ALTER COLUMN code TYPE text;')).toEqual([]);
      expect(await rules('ALTER TABLE leads ALTER COLUMN price TYPE numeric(12,2);')).toEqual([]);
    });
    it('reports narrowing varchar and a change of numeric scale', async () => {
      expect(await rules('ALTER TABLE leads ALTER COLUMN code TYPE varchar(10);')).toEqual(['column-type-rewrite']);
      expect(await rules('ALTER TABLE leads ALTER COLUMN price TYPE numeric(12,4);')).toEqual(['column-type-rewrite']);
    });
    it('reports a change whose current type is unknown, and says so', async () => {
      const r = await lint('ALTER TABLE somewhere_else ALTER COLUMN a TYPE text;');
      expect(r.findings[0]!.message).toContain('not known from the migrations');
    });
    it('rewritesOnTypeChange knows the safe cases', () => {
      expect(rewritesOnTypeChange('character varying(20)', 'text')).toBe(false);
      expect(rewritesOnTypeChange('text', 'character varying')).toBe(false);
      expect(rewritesOnTypeChange('text', 'character varying(5)')).toBe(true);
      expect(rewritesOnTypeChange('character varying(36)', 'uuid')).toBe(true);
    });
  });

  describe('rule volatile-default', () => {
    it.each(['clock_timestamp()', 'random()', 'gen_random_uuid()'])('reports ADD COLUMN … DEFAULT %s on an existing table', async (expr) => {
      const r = await lint(`ALTER TABLE leads ADD COLUMN x ${expr.startsWith('gen') ? 'uuid' : expr.startsWith('random') ? 'float8' : 'timestamptz'} DEFAULT ${expr};`);
      expect(r.findings.map((f) => f.rule)).toEqual(['volatile-default']);
      expect(r.findings[0]!.message).toContain(expr);
    });
    it('reports ADD COLUMN of a serial type and a stored generated column', async () => {
      expect(await rules('ALTER TABLE leads ADD COLUMN n bigserial;')).toEqual(['volatile-default']);
      expect(await rules('ALTER TABLE leads ADD COLUMN s int GENERATED ALWAYS AS (score * 2) STORED;')).toEqual(['volatile-default']);
    });
    it('accepts a constant or now() default (stored once, no rewrite)', async () => {
      expect(await rules("ALTER TABLE leads ADD COLUMN created_at timestamptz NOT NULL DEFAULT now(), ADD COLUMN source text DEFAULT 'web';")).toEqual([]);
    });
    it('does not fire on a new table', async () => {
      expect(await rules('CREATE TABLE t (id int); ALTER TABLE t ADD COLUMN at timestamptz DEFAULT clock_timestamp();')).toEqual([]);
    });
  });

  describe('rule uuid-pk-without-default', () => {
    it('reports id uuid PRIMARY KEY without a default as an error, also on a new table', async () => {
      const r = await lint('CREATE TABLE lead_purchases (id uuid PRIMARY KEY, lead_id uuid);');
      expect(r.findings).toHaveLength(1);
      expect(r.findings[0]).toMatchObject({ rule: 'uuid-pk-without-default', severity: 'error', line: 1, column: 30 });
      expect(r.findings[0]!.fix).toContain('DEFAULT gen_random_uuid()');
    });
    it('reports a table-level PRIMARY KEY (id) too', async () => {
      expect(await rules('CREATE TABLE t (id uuid NOT NULL, PRIMARY KEY (id));')).toEqual(['uuid-pk-without-default']);
    });
    it('reports a key not named id as a warning (it may copy another table\'s id)', async () => {
      const r = await lint('CREATE TABLE audit (purchase_id uuid PRIMARY KEY);');
      expect(r.findings[0]).toMatchObject({ rule: 'uuid-pk-without-default', severity: 'warning' });
    });
    it('accepts a uuid key with a default', async () => {
      expect(await rules('CREATE TABLE t (id uuid PRIMARY KEY DEFAULT gen_random_uuid());')).toEqual([]);
    });
  });

  describe('rule fk-type-mismatch', () => {
    it('reports a varchar column referencing a uuid key, naming both types', async () => {
      const r = await lint('ALTER TABLE purchases ADD CONSTRAINT legacy_fk FOREIGN KEY (legacy_lead) REFERENCES leads (id) NOT VALID;');
      expect(r.findings.map((f) => f.rule)).toEqual(['fk-type-mismatch']);
      expect(r.findings[0]!.message).toBe('purchases.legacy_lead (character varying(36)) references leads.id (uuid): the types differ');
    });
    it('reports an inline REFERENCES in CREATE TABLE (the referenced primary key by default)', async () => {
      expect(await rules('CREATE TABLE notes (id bigint PRIMARY KEY, lead_id text REFERENCES leads);')).toEqual(['fk-type-mismatch']);
    });
    it('accepts equal types', async () => {
      expect(await rules('CREATE TABLE notes (id bigint PRIMARY KEY, lead_id uuid REFERENCES leads (id));')).toEqual([]);
    });
  });

  describe('rule lock-timeout-disabled', () => {
    it('reports the lock-timeout=0 directive at its line', async () => {
      const r = await lint('-- a comment\n-- schemaguard:lock-timeout=0\nCREATE TABLE t (id int);');
      expect(r.findings).toMatchObject([{ rule: 'lock-timeout-disabled', line: 2 }]);
    });
    it.each(['SET lock_timeout = 0;', "SET LOCAL lock_timeout TO '0';", "SET lock_timeout = '0s';"])('reports %s', async (sql) => {
      expect(await rules(sql)).toEqual(['lock-timeout-disabled']);
    });
    it('accepts a bounded lock timeout', async () => {
      expect(await rules("-- schemaguard:lock-timeout=2s\nSET LOCAL lock_timeout = '3s';")).toEqual([]);
    });
  });

  describe('rule concurrently-in-transaction', () => {
    it('reports CREATE INDEX CONCURRENTLY in a transactional file (the loader refuses it too)', async () => {
      const r = await lint('CREATE TABLE t (id int);\nCREATE INDEX CONCURRENTLY t_id ON t (id);');
      expect(r.findings).toMatchObject([{ rule: 'concurrently-in-transaction', line: 2 }]);
    });
    it('reports DROP INDEX CONCURRENTLY and REINDEX CONCURRENTLY', async () => {
      expect(await rules('DROP INDEX CONCURRENTLY IF EXISTS i;')).toEqual(['concurrently-in-transaction']);
      expect(await rules('REINDEX (CONCURRENTLY) INDEX i;')).toEqual(['concurrently-in-transaction']);
    });
  });

  describe('directive allow', () => {
    it('silences the finding of its rule in the next statement and keeps it, with the reason, as allowed', async () => {
      const r = await lint('-- schemaguard:allow index-not-concurrent leads has 40 rows\nCREATE INDEX leads_name ON leads (name);');
      expect(r.findings).toEqual([]);
      expect(r.allowed).toMatchObject([{ rule: 'index-not-concurrent', allowed: { reason: 'leads has 40 rows', line: 1 } }]);
    });
    it('silences only the next statement', async () => {
      const r = await lint('-- schemaguard:allow index-not-concurrent small\nCREATE INDEX a ON leads (name);\nCREATE INDEX b ON leads (score);');
      expect(r.findings.map((f) => `${f.rule}@${f.line}`)).toEqual(['index-not-concurrent@3']);
    });
    it('silences only its own rule', async () => {
      expect(await rules('-- schemaguard:allow constraint-not-valid wrong rule\nCREATE INDEX a ON leads (name);'))
        .toEqual(['unused-allow', 'index-not-concurrent']);
    });
    it('reports an allow that silences nothing, and one naming an unknown rule', async () => {
      const r = await lint('-- schemaguard:allow index-not-concurrent stale\nCREATE TABLE t (id int);\n-- schemaguard:allow no-such-rule because\nSELECT 1;');
      expect(r.findings.map((f) => f.rule)).toEqual(['unused-allow', 'unused-allow']);
      expect(r.findings[1]!.message).toContain('unknown rule "no-such-rule"');
      expect(r.findings.every((f) => f.severity === 'warning')).toBe(true);
    });
  });

  it('lints nothing of an applied migration, but learns its tables', async () => {
    const r = await lintMigrations([lintSourceFromText('1_a.sql', 'CREATE TABLE t (id uuid PRIMARY KEY);\nCREATE INDEX i ON t (id);', true)]);
    expect(r.findings).toEqual([]);
    expect(r.files).toEqual([]);
  });

  it('reports a syntax error as an input error naming file, line and column', async () => {
    await expect(lint('CREATE TABLE t (id int);\nALTER TABEL t ADD COLUMN x int;')).rejects.toThrow(/2_pending\.sql:2:\d+: syntax error at or near "TABEL"/);
  });

  it('formats a finding as location, severity, rule, message, why and fix', async () => {
    const text = formatFinding((await lint('CREATE INDEX leads_name ON leads (name);')).findings[0]!);
    expect(text).toMatch(/^2_pending\.sql:1:28: error index-not-concurrent: CREATE INDEX leads_name on existing table leads without CONCURRENTLY\n {2}why: .+\n {2}fix: .+/);
  });

  it('has a rule table with unique ids', () => {
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
  });
});

describe('migrations/ of this repository', () => {
  it('pass the lint without errors', async () => {
    const migrations = loadMigrations(join(ROOT, 'migrations'));
    const r = await lintMigrations(migrations.map((m) => lintSourceOf(m)));
    for (const f of [...r.findings]) console.log(`[lint migrations/] ${formatFinding(f)}`);
    expect(r.files.length).toBe(migrations.length);
    expect(r.findings.filter((f) => f.severity === 'error').map(formatFinding)).toEqual([]);
  });
});
