/**
 * `schemaguard snapshot`: apply the migrations to a throwaway embedded
 * PostgreSQL and write the normalised catalog they produce to --snapshot
 * (by default `schema.snapshot.json` in the migrations folder), the file `diff`, `guard` and the custom
 * resource compare a live schema with. Never a live database: one that has
 * drifted would make its drift the expected schema.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { takeSnapshot, type Snapshot } from '../../../lambda/checks/drift/drift';
import { PgDriver } from '../../../lambda/driver/pg/pg-driver';
import { withMissingRoleFix } from '../../../lambda/engine/apply/dump-fixes';
import { migrate } from '../../../lambda/engine/runner';
import { loadMigrations, type Migration } from '../../../lambda/engine/files/source';
import { startEmbedded } from '../embedded';
import { refuseWritingOutside } from '../project-config';
import type { ContextOf } from './context';
import { plural } from '../../../lambda/engine/errors/words';

/** The catalog `migrations` produce on a new embedded server in a temporary directory, removed after. */
export async function snapshotOf(migrations: Migration[], appliedBy: string, onProgress: (line: string) => void): Promise<Snapshot> {
  const work = mkdtempSync(join(tmpdir(), 'schemaguard-snapshot-'));
  chmodSync(work, 0o711); // ours: as root, the server's OS user (postgres) must enter it; nobody may list it
  try {
    const server = await startEmbedded({ dir: work, onProgress });
    try {
      const driver = new PgDriver({ connectionString: server.url, ssl: false }); // whatever PGSSLMODE the shell has
      try {
        // The server has no role but its superuser: a dump's OWNER TO and GRANT fail here, and the error says how to dump.
        await migrate({ driver, migrations, appliedBy }).catch((e: unknown) => {
          throw withMissingRoleFix(e);
        });
        const session = await driver.connect();
        try {
          return await takeSnapshot(session, migrations);
        } finally {
          await session.close();
        }
      } finally {
        await driver.end();
      }
    } finally {
      await server.release();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** What a snapshot holds, by kind: views and materialized views apart from tables (partitioned and foreign tables are tables). */
export function snapshotCounts(snapshot: Snapshot): { tables: number; views: number; materializedViews: number; sequences: number; functions: number } {
  const { tables, sequences, functions } = snapshot.catalog;
  const of = (kind: string) => tables.filter((t) => t.kind === kind).length;
  const owned = tables.reduce((n, t) => n + t.columns.filter((c) => c.sequence).length, 0);
  return {
    tables: tables.length - of('v') - of('m'),
    views: of('v'),
    materializedViews: of('m'),
    sequences: (sequences?.length ?? 0) + owned,
    functions: functions.length,
  };
}

/** Writes the snapshot file (its directory made when missing); the line that says what it holds. */
export function writeSnapshot(file: string, snapshot: Snapshot, migrations: number): string {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(snapshot, null, 2)}\n`);
  const n = snapshotCounts(snapshot);
  const parts = [
    plural(n.tables, 'table'),
    plural(n.views, 'view'),
    ...(n.materializedViews ? [plural(n.materializedViews, 'materialized view')] : []),
    plural(n.sequences, 'sequence'),
    plural(n.functions, 'function'),
    plural(migrations, 'migration'),
  ];
  return `wrote ${file}: ${parts.join(', ')}, PostgreSQL ${Math.floor(snapshot.serverVersion / 10000)}`;
}

export async function snapshotCommand(ctx: ContextOf<'snapshot'>): Promise<number> {
  const { opts } = ctx;
  refuseWritingOutside(opts, 'snapshot', 'snapshot');
  const migrations = loadMigrations(opts.dir, { layout: opts.layout });
  ctx.progress(`snapshot: applying ${plural(migrations.length, 'migration')} in ${opts.dir}/ to a throwaway embedded PostgreSQL`);
  const snapshot = await snapshotOf(migrations, 'schemaguard snapshot', ctx.progress);
  const line = writeSnapshot(opts.snapshot, snapshot, migrations.length);
  ctx.out(
    opts.json
      ? JSON.stringify({
          command: 'snapshot',
          file: opts.snapshot,
          ...snapshotCounts(snapshot),
          migrations: migrations.length,
          serverVersion: snapshot.serverVersion,
        })
      : line,
  );
  return 0;
}
