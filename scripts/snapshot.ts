/**
 * `npm run snapshot`: `schemaguard snapshot` for this repository — migrate a
 * fresh embedded PostgreSQL with migrations/ and write the normalised catalog
 * to lambda/schema/snapshot.json (committed; `schemaguard diff` and the
 * custom resource compare the live schema with it). A test fails when the
 * committed snapshot no longer matches migrations/.
 */
import { join } from 'node:path';
import { snapshotOf, writeSnapshot } from '../bin/cli/commands/snapshot';
import { loadMigrations } from '../lambda/engine/source';

const dir = process.argv[2] ?? 'migrations';
const out = process.argv[3] ?? join('lambda', 'schema', 'snapshot.json');
const migrations = loadMigrations(dir);
const snapshot = await snapshotOf(migrations, 'npm run snapshot', (t) => process.stderr.write(`${t}\n`));
process.stdout.write(`${writeSnapshot(out, snapshot, migrations.length)}\n`);
process.exit(0);
