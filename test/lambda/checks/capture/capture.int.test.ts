/**
 * captureStatements on a server with pg_stat_statements loaded (one per
 * target version): the application's upsert and inserts are captured as
 * contracts, named from table and kind, with the constants pg_stat_statements
 * replaced put back where a parameter cannot stand; statements contracts/
 * already has are found by their normalised form; what the server lacks is
 * named with its fix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureStatements, CaptureUnavailableError, type CaptureReport } from '../../../../lambda/checks/capture';
import { checkContracts, loadContracts, parseContract } from '../../../../lambda/checks/contracts';
import { PgDriver } from '../../../../lambda/driver/pg/pg-driver';
import { loadMigrations } from '../../../../lambda/engine/files/source';
import { allMajors, dropDatabases, freshDatabase, withClient } from '../../../support/db';
import { CONTRACTS_DIR, MIGRATIONS_DIR, runFixes } from '../../../support/schema-fixes';
import { runApplication, startStatStatementsServer, type StatServer } from '../../../support/stat-statements';

afterAll(dropDatabases);

async function capture(url: string, options: { contractsDir?: string; minCalls?: number } = {}): Promise<CaptureReport> {
  const driver = new PgDriver({ connectionString: url });
  try {
    const contracts = options.contractsDir ? await loadContracts(options.contractsDir) : [];
    return await captureStatements({ driver, contracts, migrations: loadMigrations(MIGRATIONS_DIR), minCalls: options.minCalls ?? 5 });
  } finally {
    await driver.end();
  }
}

const byStatus = (r: CaptureReport, status: string) => r.statements.filter((s) => s.status === status);

describe.each(allMajors)('Function: captureStatements on $name with pg_stat_statements loaded', (target) => {
  let server: StatServer;
  let url: string;
  beforeAll(async () => {
    server = await startStatStatementsServer(target);
    url = await server.database('capture_app');
    await runFixes(url);
    await runApplication(url, 5);
  }, 120_000);
  afterAll(() => server?.stop());

  it('captures the upsert and the inserts as new contracts named from table and kind, and the select with its typed literal made valid', async () => {
    const r = await capture(url);
    const fresh = byStatus(r, 'new');
    expect(fresh.map((s) => s.file).sort()).toEqual([
      'lead_purchases_insert.sql',
      'student_course_purchases_upsert.sql',
      'web_sessions_insert.sql',
      'web_sessions_select.sql',
      'whatsapp_sessions_insert.sql',
    ]);
    expect(fresh.every((s) => s.calls === 5)).toBe(true);
    const upsert = fresh.find((s) => s.file === 'student_course_purchases_upsert.sql')!;
    expect(upsert.query).toContain('WHERE is_active = $4');
    expect(upsert.contract).toContain('ON CONFLICT (student_id, course_id) WHERE is_active = true');
    expect(upsert.contract).toContain('VALUES ($1, $2, $3)');
    expect(fresh.find((s) => s.file === 'web_sessions_select.sql')!.contract).toContain('now() - $1::interval');
    expect(fresh.find((s) => s.file === 'web_sessions_insert.sql')!.contract).toContain('VALUES ($1) RETURNING id');
  });

  it("leaves out the catalog, utility statements and schemaguard's own, and statements below --min-calls", async () => {
    const r = await capture(url);
    const left = byStatus(r, 'skipped');
    expect(left.every((s) => s.notApplication)).toBe(true);
    // Skipped statements are named by queryid and reason, never by their text (a SET of a key).
    expect(left.every((s) => s.query === undefined)).toBe(true);
    expect(left.map((s) => s.reason)).toEqual(
      expect.arrayContaining([
        "schemaguard's own (schema schemaguard)",
        "names no table or function of the application (the catalogs or an extension's objects only)",
      ]),
    );
    // Each statement of the application ran 5 times.
    expect((await capture(url, { minCalls: 6 })).statements.filter((s) => !s.notApplication)).toEqual([]);
  });

  it('every captured contract parses and passes check on the migrated schema', async () => {
    const r = await capture(url);
    const contracts = await Promise.all(byStatus(r, 'new').map((s) => parseContract(s.file!, s.contract!)));
    const driver = new PgDriver({ connectionString: url });
    try {
      const report = await checkContracts({ driver, contracts });
      expect(report.results.filter((x) => !x.ok).map((x) => `${x.file}: ${x.failures[0]?.reason}`)).toEqual([]);
      expect(report.results.find((x) => x.file === 'student_course_purchases_upsert.sql')!.arbiters[0]!.description).toBe(
        'unique index unique_active_purchase (partial: WHERE is_active = true)',
      );
    } finally {
      await driver.end();
    }
  });

  it('statements contracts/ already has are present, compared in normalised form (constants, layout and comments do not count)', async () => {
    const r = await capture(url, { contractsDir: CONTRACTS_DIR });
    expect(
      byStatus(r, 'present')
        .map((s) => s.file)
        .sort(),
    ).toEqual(['lead_purchase_insert.sql', 'purchase_upsert.sql', 'web_session_insert.sql', 'whatsapp_session_insert.sql']);
    expect(byStatus(r, 'new').map((s) => s.file)).toEqual(['web_sessions_select.sql']);
  });

  it('a database without the extension: names CREATE EXTENSION; a role without pg_read_all_stats: names the GRANT', async () => {
    await withClient(server.adminUrl, (c) => c.query('CREATE DATABASE capture_plain TEMPLATE template0'));
    const plain = url.replace(/\/capture_app$/, '/capture_plain');
    const missing = await capture(plain).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(missing).toBeInstanceOf(CaptureUnavailableError);
    expect((missing as CaptureUnavailableError).missing).toEqual([
      'the extension is not created in this database: CREATE EXTENSION pg_stat_statements; (as a superuser, or rds_superuser on RDS and Aurora)',
    ]);
    expect((missing as CaptureUnavailableError).exitCode).toBe(2);

    await withClient(url, (c) => c.query("CREATE ROLE capture_reader LOGIN PASSWORD 'reader-pw'"));
    const u = new URL(url);
    u.username = 'capture_reader';
    u.password = 'reader-pw';
    const denied = await capture(u.toString()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((denied as CaptureUnavailableError).missing).toEqual([
      'role capture_reader may read only its own statements: GRANT pg_read_all_stats TO "capture_reader";',
    ]);
  });
});

describe.each(allMajors)('Function: captureStatements on $name without pg_stat_statements loaded', (target) => {
  it('names the missing library and extension, each with its fix, before reading anything', async () => {
    const url = await freshDatabase(target, 'capture_none');
    const error = (await capture(url).then(
      () => undefined,
      (e: unknown) => e,
    )) as CaptureUnavailableError;
    expect(error).toBeInstanceOf(CaptureUnavailableError);
    expect(error.missing).toEqual([
      expect.stringMatching(
        /^the library is not loaded: shared_preload_libraries is ""; add pg_stat_statements to shared_preload_libraries \(postgresql\.conf; on RDS and Aurora, the DB parameter group\) and restart the server$/,
      ),
      'the extension is not created in this database: CREATE EXTENSION pg_stat_statements; (as a superuser, or rds_superuser on RDS and Aurora)',
    ]);
    await withClient(url, (c) => c.query('CREATE EXTENSION pg_stat_statements'));
    const loaded = (await capture(url).then(
      () => undefined,
      (e: unknown) => e,
    )) as CaptureUnavailableError;
    expect(loaded.missing).toHaveLength(1);
    expect(loaded.missing[0]).toMatch(/^the library is not loaded: shared_preload_libraries is ""/);
  });
});
