/** `schemaguard guard` as the CLI runs it (its `main`, in process: the executable itself has tests of its own): exit codes, text, JSON and the CI formats. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advisoryLockKey } from '../../../../lambda/engine/state/runner-lock-names';
import { runCliInProcess } from '../../../support/cli';
import { dropDatabases, freshDatabase, targets, withClient } from '../../../support/db';
import { tempDir } from '../../../support/files';
import { sarifSchemaErrors } from '../../../support/sarif';
import { runFixes } from '../../../support/schema-fixes';

afterAll(dropDatabases);

describe.each(targets)('CLI: schemaguard guard on $name', (target) => {
  let url: string;
  const guard = (...args: string[]) => runCliInProcess(['guard', '--database-url', url, ...args]);
  beforeAll(async () => {
    url = await freshDatabase(target, 'cli_guard');
    await runFixes(url);
  });

  it('exits 0 on a migrated database and says it is clean', async () => {
    const r = await guard();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^guard: clean in \d+ ms$/m);
    expect(r.stderr).toMatch(/guard .*: 9 migrations in migrations\/, 7 contracts, snapshot lambda\/schema\/snapshot\.json/);
  });

  it('regression: as a user the alarms count, it says its failing contracts would page and names the guard role (as the master user its EXPLAIN logged a 42P10 that paged)', async () => {
    const user = new URL(url).username;
    const r = await guard();
    expect(r.stdout).toContain(`note: connected as "${user}": the database alarms count this user's ERROR lines`);
    expect(r.stdout).toContain('connect as the guard role (schemaguard_guard_');
  });

  it('exits 1 on a finding that pages, naming the object and the fix; --json has the report', async () => {
    await withClient(url, (c) => c.query('ALTER TABLE lead_purchases ALTER COLUMN id DROP DEFAULT'));
    try {
      const r = await guard();
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(
        'PAGE   schema-drift public.lead_purchases.id: column public.lead_purchases.id: default differs: snapshot "gen_random_uuid()" vs live null',
      );
      expect(r.stdout).toContain('       fix: ALTER TABLE lead_purchases ALTER COLUMN id SET DEFAULT gen_random_uuid();');
      expect(r.stdout).not.toContain('pk-without-default');
      expect(r.stdout).toMatch(/^guard: 2 to page, 0 for a ticket in \d+ ms \(DriftedObjects 1, ContractFailures 1\)$/m);
      const j = await guard('--json');
      expect(j.code).toBe(1);
      expect(JSON.parse(j.stdout)).toMatchObject({
        command: 'guard',
        outcome: 'findings',
        page: true,
        metrics: { DriftedObjects: 1, MinorDrift: 0, ContractFailures: 1, DoctorErrors: 0, InvalidIndexes: 0, PendingMigrations: 0 },
        findings: [{ kind: 'drift', rule: 'schema-drift', severity: 'page', object: 'public.lead_purchases.id' }, { kind: 'contract' }],
      });
    } finally {
      await withClient(url, (c) => c.query('ALTER TABLE lead_purchases ALTER COLUMN id SET DEFAULT gen_random_uuid()'));
    }
  });

  it('exits 0 with tickets only', async () => {
    await withClient(url, (c) => c.query("ALTER TABLE all_leads ADD CONSTRAINT all_leads_name_check CHECK (name <> '') NOT VALID"));
    try {
      const r = await guard();
      expect(r.code, r.stdout).toBe(0);
      expect(r.stdout).toContain(
        'ticket constraint-not-validated all_leads.all_leads_name_check: CHECK constraint all_leads_name_check on all_leads is NOT VALID',
      );
      expect(r.stdout).toMatch(/^guard: 0 to page, 2 for a ticket/m);
    } finally {
      await withClient(url, (c) => c.query('ALTER TABLE all_leads DROP CONSTRAINT all_leads_name_check'));
    }
  });

  it('exits 0 and says "skipped: a migration is running" while the runner lock is held', async () => {
    await withClient(url, async (c) => {
      await c.query('SELECT pg_advisory_lock($1::bigint)', [advisoryLockKey('schemaguard')]);
      const r = await guard();
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^skipped: a migration is running: server process \d+ holds the runner lock/m);
      const j = JSON.parse((await guard('--json')).stdout);
      expect(j).toMatchObject({ outcome: 'skipped', page: false, findings: [] });
    });
  });

  it('--format github and sarif: pages are errors, tickets warnings, at the object', async () => {
    await withClient(url, (c) => c.query('ALTER TABLE web_sessions ALTER COLUMN lead_id SET NOT NULL'));
    try {
      const g = await guard('--format', 'github');
      expect(g.code).toBe(1);
      expect(g.stdout).toContain('::error title=schemaguard schema-drift::public.web_sessions.lead_id: column public.web_sessions.lead_id: nullable differs');
      const s = await guard('--format', 'sarif');
      expect(s.code).toBe(1);
      const log = JSON.parse(s.stdout);
      expect(sarifSchemaErrors(log)).toEqual([]);
      expect(log.runs[0].results.map((x: { ruleId: string; level: string }) => `${x.level} ${x.ruleId}`)).toEqual([
        'error schema-drift',
        'error contract-insert',
      ]);
      expect(log.runs[0].tool.driver.rules.map((x: { id: string }) => x.id)).toEqual(
        expect.arrayContaining(['schema-drift', 'schema-addition', 'invalid-index', 'migration-pending']),
      );
    } finally {
      await withClient(url, (c) => c.query('ALTER TABLE web_sessions ALTER COLUMN lead_id DROP NOT NULL'));
    }
  });

  it('exits 2 on bad input before connecting: a stray argument, a snapshot that is not one, a bad contract', async () => {
    expect((await guard('now')).code).toBe(2);
    const bad = tempDir({ 'snapshot.json': '{"format": 7}' }, 'snapshot');
    const s = await guard('--snapshot', `${bad}/snapshot.json`);
    expect(s.code).toBe(2);
    expect(s.stderr).toContain('snapshot.json: not a schemaguard snapshot of format 1');
    const c = await guard('--contracts', tempDir({ 'two.sql': 'SELECT 1; SELECT 2;' }, 'contracts'));
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('two.sql: a contract file holds exactly one statement (found 2)');
  });

  it('without contracts or snapshot where it looks by default, it says what it did not check', async () => {
    const app = tempDir({ 'migrations/0001_a.sql': 'SELECT 1;' }, 'app');
    const r = await runCliInProcess(['guard', '--database-url', url, '--dir', `${app}/migrations`], { cwd: app });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('note: no contracts: contracts/ does not exist (--contracts DIR)');
    // The snapshot's default is beside the migrations.
    expect(r.stdout).toMatch(/note: drift not checked: \S*migrations\/schema\.snapshot\.json does not exist \(schemaguard snapshot, or --snapshot FILE\)/);
  });

  // Regression: a mistyped --snapshot or --contracts was a note and exit 0: the guard silently checked less.
  it('a --snapshot or --contracts given that is not there is an error (exit 2), before connecting', async () => {
    const s = await guard('--snapshot', '/nonexistent/snapshot.json');
    expect(s.code).toBe(2);
    expect(s.stderr).toContain('error: --snapshot /nonexistent/snapshot.json: no such file');
    const c = await guard('--contracts', '/nonexistent/contracts');
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('error: --contracts /nonexistent/contracts: no such directory');
  });
});

// Regression (review): after DROP SEQUENCE … CASCADE on a serial column's sequence the guard printed only SET DEFAULT nextval(…), which
// PostgreSQL refused (the sequence no longer existed); a descending identity added again got a setval out of its bounds.
describe.each(targets)('CLI: schemaguard guard on sequences dropped by hand, on $name', (target) => {
  const dir = tempDir({
    '1_orders.sql': `CREATE TABLE orders (id serial PRIMARY KEY, n int);
CREATE TABLE desc_t (id int GENERATED BY DEFAULT AS IDENTITY (INCREMENT BY -1), v text);`,
  });
  const snapshot = join(tempDir({}, 'snapshot'), 'snapshot.json');
  let url: string;
  beforeAll(async () => {
    const made = await runCliInProcess(['snapshot', '--dir', dir, '--snapshot', snapshot], { env: { DATABASE_URL: targets[0]!.adminUrl } });
    expect(made.code, made.stderr).toBe(0);
    url = await freshDatabase(target, 'cli_guard_sequences');
    expect((await runCliInProcess(['migrate', '--quiet', '--dir', dir, '--database-url', url])).code).toBe(0);
  });

  it('prints the sequence only in snapshot, made again before the default that calls it; the fixes, run as printed, leave no drift', async () => {
    await withClient(url, (c) =>
      c.query(`INSERT INTO orders (n) VALUES (1), (2), (3); DROP SEQUENCE orders_id_seq CASCADE;
ALTER TABLE desc_t ALTER COLUMN id DROP IDENTITY; INSERT INTO desc_t (id) VALUES (-1), (-2), (-3)`),
    );
    const r = await runCliInProcess(['guard', '--dir', dir, '--snapshot', snapshot, '--database-url', url, '--json']);
    expect(r.code, r.stderr).toBe(1);
    const findings = (JSON.parse(r.stdout) as { findings: { kind: string; message: string; fix: string }[] }).findings.filter((f) => f.kind === 'drift');
    expect(findings.map((f) => f.message)).toEqual([
      'sequence public.orders_id_seq: only in snapshot',
      'column public.desc_t.id: identity differs: snapshot "d" vs live null',
      'column public.orders.id: default differs: snapshot "nextval(\'public.orders_id_seq\'::regclass)" vs live null',
    ]);
    expect(findings[0]!.fix.split('\n')[0]).toBe(
      'CREATE SEQUENCE orders_id_seq AS integer INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 NO CYCLE OWNED BY orders.id;',
    );
    await withClient(url, (c) => c.query(findings.map((f) => f.fix.replace(/ {2}--.*$/gm, '')).join('\n')));
    const after = await runCliInProcess(['diff', '--dir', dir, '--snapshot', snapshot, '--database-url', url]);
    expect(after.code, after.stdout + after.stderr).toBe(0);
    const ids = await withClient(url, (c) => c.query("INSERT INTO orders (n) VALUES (4) RETURNING id; INSERT INTO desc_t (v) VALUES ('x') RETURNING id"));
    expect((ids as unknown as { rows: { id: number }[] }[]).map((x) => x.rows[0]!.id)).toEqual([4, -4]);
  });
});
