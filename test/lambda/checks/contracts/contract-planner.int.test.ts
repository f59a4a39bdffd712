/**
 * The guard as the deployed role, which has no write privilege: its writing
 * contracts are planned by the deploy's contract planner, so a hand edit that
 * breaks one still pages (the same findings as a role that could plan them
 * itself), through a connection and through the Data API alike. A contract
 * whose text is not the deployed one is planned by the role itself and is a
 * contract-unchecked ticket, never a pass.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadContracts, type Contract } from '../../../../lambda/checks/contracts';
import type { Snapshot } from '../../../../lambda/checks/drift/drift';
import { runGuard, type GuardReport } from '../../../../lambda/checks/guard';
import { PgDriver } from '../../../../lambda/driver/pg/pg-driver';
import { plannerRoleName } from '../../../../lambda/handler/guard/planner-sql';
import { loadMigrations } from '../../../../lambda/engine/files/source';
import { catalogFingerprint } from '../../../support/catalog-fingerprint';
import { ROOT } from '../../../support/cli';
import { DataApiStandin } from '../../../support/data-api-standin';
import { dropDatabases, targets, withClient } from '../../../support/db';
import { makeDataApiDriver } from '../../../support/drivers';
import { tempDir } from '../../../support/files';
import { dropRigRoles, guardRig, type GuardRig } from '../../../support/guard-rig';
import { tableContents } from '../../../support/role-privileges';
import { CONTRACTS_DIR, MIGRATIONS_DIR } from '../../../support/schema-fixes';

const snapshot = JSON.parse(readFileSync(join(ROOT, 'lambda', 'schema', 'snapshot.json'), 'utf8')) as Snapshot;
const ctx = { getRemainingTimeInMillis: () => 120_000 };
let contracts: Contract[];
const rigs: GuardRig[] = [];
beforeAll(async () => {
  contracts = await loadContracts(CONTRACTS_DIR);
});
afterAll(async () => {
  await dropDatabases();
  await dropRigRoles();
  for (const r of rigs) await withClient(r.target.adminUrl, (c) => c.query(`DROP ROLE IF EXISTS ${plannerRoleName(r.guard.name)}`)).catch(() => undefined);
});

async function guardAs(r: GuardRig, through: 'pg' | 'data-api', files: Contract[] = contracts): Promise<GuardReport> {
  const standin = through === 'data-api' ? new DataApiStandin(r.guard.url) : undefined;
  const driver = standin ? makeDataApiDriver(r.guard.url, standin) : new PgDriver({ connectionString: r.guard.url });
  try {
    return await runGuard({ driver, migrations: loadMigrations(MIGRATIONS_DIR), contracts: files, snapshot });
  } finally {
    await driver.end();
    await standin?.close();
  }
}

const summary = (r: GuardReport) => r.findings.map((f) => `${f.severity} ${f.rule} ${f.object}`);

describe.each(targets)('Function: runGuard as the deployed guard role, with its contract planner, on $name', (target) => {
  let r: GuardRig;
  beforeAll(async () => {
    r = await guardRig(target, 'pg', 'planner', { contractsDir: CONTRACTS_DIR });
    rigs.push(r);
    await r.migrate(MIGRATIONS_DIR);
    await r.handlers.onEvent(r.roleEvent('Create'), ctx);
  });

  it.each(['pg', 'data-api'] as const)('through %s: clean, every writing contract checked (none unchecked), and nothing written', async (through) => {
    const before = { rows: await tableContents(r.url), catalog: await catalogFingerprint(r.url) };
    const report = await guardAs(r, through);
    expect(summary(report)).toEqual([]);
    expect(report.outcome).toBe('clean');
    expect(await tableContents(r.url)).toEqual(before.rows);
    expect(await catalogFingerprint(r.url)).toBe(before.catalog);
  });

  it.each(['pg', 'data-api'] as const)(
    'through %s: hand edits that break writing contracts page as failing contracts, found by the planner',
    async (through) => {
      await withClient(r.url, (c) => c.query('ALTER TABLE web_sessions ALTER COLUMN lead_id SET NOT NULL; DROP INDEX unique_active_purchase'));
      try {
        const report = await guardAs(r, through);
        expect(summary(report).filter((f) => f.includes('contract'))).toEqual([
          'page contract-plan purchase_upsert.sql',
          'page contract-insert web_session_insert.sql',
        ]);
        expect(report.findings.find((f) => f.rule === 'contract-plan')!.message).toMatch(
          /ON CONFLICT \(student_id, course_id\) matches no unique index or constraint of student_course_purchases/,
        );
      } finally {
        await withClient(r.url, (c) =>
          c.query(
            'ALTER TABLE web_sessions ALTER COLUMN lead_id DROP NOT NULL; CREATE UNIQUE INDEX unique_active_purchase ON student_course_purchases (student_id, course_id) WHERE is_active = true',
          ),
        );
      }
    },
  );

  it('a writing contract whose text is not the deployed one is planned by the role itself: a contract-unchecked ticket, not a pass, and no GRANT of a write to the guard', async () => {
    const changed = await loadContracts(tempDir({ 'web_session_insert.sql': 'INSERT INTO web_sessions (visitor_id) VALUES ($1) RETURNING id, visitor_id;\n' }));
    const report = await guardAs(r, 'pg', changed);
    expect(summary(report)).toEqual(['ticket contract-unchecked web_session_insert.sql: public.web_sessions']);
    expect(report.findings[0]!.fix).not.toMatch(/GRANT[^;]*\b(INSERT|UPDATE|DELETE)\b/);
    expect(report.findings[0]!.fix).toMatch(/deploy/);
  });
});
