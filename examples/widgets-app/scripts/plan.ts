/**
 * The engine from a script: what would `cdk deploy` apply to the database at
 * DATABASE_URL? (`npm run plan`; the same as `npx schemaguard plan`.)
 */
import { formatFinding, lint, lintSourceOf, loadMigrations, PgDriver, plan } from 'schemaguard/engine';

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('set DATABASE_URL=postgres://user:password@host:5432/widgets');
  const migrations = loadMigrations('migrations');
  const driver = new PgDriver({ connectionString: url });
  try {
    const result = await plan({ driver, migrations });
    for (const m of result.pending) console.log(`pending ${m.file}`);
    const findings = await lint(result.pending.map((m) => lintSourceOf(m)));
    for (const f of findings.findings) console.log(formatFinding(f));
  } finally {
    await driver.end();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
