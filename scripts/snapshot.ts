/**
 * `npm run snapshot`: migrate a fresh embedded PostgreSQL with migrations/ and
 * write the normalised catalog to lambda/schema/snapshot.json (committed;
 * `schemaguard diff` and the custom resource compare the live schema with it).
 * A test fails when the committed snapshot no longer matches migrations/.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbedded } from '../bin/cli/embedded';
import { PgDriver } from '../lambda/driver/pg/pg-driver';
import { takeSnapshot } from '../lambda/checks/drift';
import { migrate } from '../lambda/engine/runner';
import { loadMigrations } from '../lambda/engine/source';

const dir = process.argv[2] ?? 'migrations';
const out = process.argv[3] ?? join('lambda', 'schema', 'snapshot.json');
const migrations = loadMigrations(dir);
const work = mkdtempSync(join(tmpdir(), 'schemaguard-snapshot-'));
const server = await startEmbedded({ dir: work, onProgress: (t) => process.stderr.write(`${t}\n`) });
try {
  const driver = new PgDriver({ connectionString: server.url });
  try {
    await migrate({ driver, migrations, appliedBy: 'npm run snapshot' });
    const session = await driver.connect();
    try {
      const snapshot = await takeSnapshot(session, migrations);
      writeFileSync(out, `${JSON.stringify(snapshot, null, 2)}\n`);
      process.stdout.write(`wrote ${out}: ${snapshot.catalog.tables.length} tables, ${snapshot.catalog.functions.length} functions, ${migrations.length} migrations, PostgreSQL ${Math.floor(snapshot.serverVersion / 10000)}\n`);
    } finally {
      await session.close();
    }
  } finally {
    await driver.end();
  }
} finally {
  await server.release();
  rmSync(work, { recursive: true, force: true });
}
process.exit(0);
