/**
 * Drift detection: the live schema compared with the snapshot of what the
 * migrations produce on a fresh database (`schemaguard snapshot` writes
 * `lambda/schema/snapshot.json`; it is committed, and bundled with the
 * custom-resource handler). The comparison reuses the normalised catalog dump
 * and diff of `lambda/schema/catalog.ts`: extra, missing or different
 * columns (type, nullability, default, identity, generation, and an identity's
 * or serial column's sequence options), sequences (type, increment, min,
 * max, start, cycle, owner; never their current value, which every insert
 * moves), constraints, indexes, functions and extensions.
 *
 * Extension versions are not drift: the same `CREATE EXTENSION` installs a
 * different version on another PostgreSQL release. They are reported as
 * ignored differences.
 */
import type { Driver, Queryable, Session } from '../../engine/ports';
import { MigrationError, type MigrationErrorOptions } from '../../engine/errors/errors';
import { FOREIGN_HISTORY_TABLES } from '../../engine/foreign-history/foreign-tables';
import type { Migration } from '../../engine/files/source';
import { DEFAULT_STATE_SCHEMA } from '../../engine/state/state';
import { diffCatalogs, formatDifferences, readCatalog, type Catalog, type CatalogOptions, type Difference } from '../../schema/catalog';
import { boundedCatalogRead } from '../../schema/bounded-read';
import { orderedRows } from '../../schema/catalog-pages';
import { oneOrMany } from '../../engine/errors/words';
import { present } from '../../engine/errors/present';

/**
 * The snapshot file's format. A part recorded later (`Catalog.detail`,
 * policies, replica identity, `Catalog.sequences`) is an optional field,
 * absent from older snapshots, which then compare none of it (and say so
 * where it matters): the number changes only when an older reader would
 * misread a newer file, not when a newer one finds less in an older.
 */
export const SNAPSHOT_FORMAT = 1;

export interface Snapshot {
  format: number;
  /** `server_version_num` of the PostgreSQL the snapshot was taken on. */
  serverVersion: number;
  /** The migrations it was built from, in order: a file changed or added since makes it stale. */
  migrations: { version: number; file: string; checksum: string }[];
  catalog: Catalog;
}

export interface DriftReport {
  /** Differences that are drift (empty: the live schema is what the migrations produce). */
  differences: Difference[];
  /** Differences that do not count: extension versions, schemas the snapshot does not have (`kind: 'schema'`: only their names; nothing in them is compared), and another tool's history table (`isForeignHistory`). */
  ignored: Difference[];
  /** Schemas compared. */
  schemas: string[];
  /** What was not compared, and why (`viewsNotCompared`): said, not drift. */
  notes: string[];
}

export class DriftError extends MigrationError {
  readonly differences: Difference[];
  constructor(message: string, options: MigrationErrorOptions & { differences: Difference[] }) {
    super(message, options);
    this.name = 'DriftError';
    this.differences = options.differences;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), differences: this.differences.slice(0, 20), differenceCount: this.differences.length };
  }
}

/**
 * Schemas an application owns: everything but the system schemas and
 * schemaguard's state schema. Paged under a driver's response limit (some
 * 12,000 schemas pass the Data API's 1 MiB).
 */
export async function userSchemas(q: Queryable, stateSchema = DEFAULT_STATE_SCHEMA): Promise<string[]> {
  return (
    await orderedRows<{ nspname: string }>(
      q,
      `SELECT nspname, row_number() OVER (ORDER BY nspname) AS page_row FROM pg_namespace
      WHERE nspname NOT IN ('information_schema', $1) AND nspname NOT LIKE 'pg\\_%' ORDER BY page_row`,
      [stateSchema],
    )
  ).map((r) => r.nspname);
}

/** The snapshot of a database that has just been migrated from empty with `migrations`. */
export async function takeSnapshot(q: Queryable, migrations: Migration[], stateSchema = DEFAULT_STATE_SCHEMA): Promise<Snapshot> {
  const serverVersion = Number((await q.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0].v);
  const catalog = await readCatalog(q, { schemas: await userSchemas(q, stateSchema), stateSchema });
  return {
    format: SNAPSHOT_FORMAT,
    serverVersion,
    migrations: migrations.map((m) => ({ version: m.version, file: m.file, checksum: m.checksum })),
    catalog,
  };
}

/** Files added, removed or changed since the snapshot was taken (empty: it is current). */
export function staleSnapshot(snapshot: Snapshot, migrations: Migration[]): string[] {
  const out: string[] = [];
  const had = new Map(snapshot.migrations.map((m) => [m.version, m]));
  for (const m of migrations) {
    const s = had.get(m.version);
    if (!s) out.push(`${m.file} is not in the snapshot`);
    else if (s.checksum !== m.checksum) out.push(`${m.file} changed since the snapshot`);
    had.delete(m.version);
  }
  for (const s of had.values()) out.push(`${s.file} is in the snapshot but not in the files`);
  return out;
}

export interface DetectDriftOptions {
  /** A driver (a session is opened and closed) or an open session. */
  driver?: Driver;
  session?: Queryable | Session;
  snapshot: Snapshot;
  /** @default 'schemaguard' */
  stateSchema?: string;
}

/** Compare the live schema with the snapshot. Reads the catalog only. */
export async function detectDrift(options: DetectDriftOptions): Promise<DriftReport> {
  const own = options.session ? undefined : await present(options.driver).connect();
  const q = options.session ?? present(own);
  try {
    const schemas = options.snapshot.catalog.schemas;
    const live = await readLiveCatalog(q, { schemas, stateSchema: options.stateSchema, otherSchemas: true });
    return compareCatalogs(options.snapshot.catalog, live);
  } finally {
    if (own) await own.close();
  }
}

/**
 * readCatalog sets search_path for the session while it reads. On a Session
 * the read runs in one transaction that is rolled back: through a pooler the
 * statements stay on one server session and the setting goes with the
 * rollback instead of staying behind for the pool's other clients. Bounded
 * (`boundedCatalogRead`: lock_timeout 1 s, statement_timeout 60 s, an error
 * naming who holds the lock); a concurrent CREATE INDEX CONCURRENTLY waits
 * at most for this short read.
 */
async function readLiveCatalog(q: Queryable | Session, options: CatalogOptions): Promise<Catalog> {
  if (!('begin' in q)) return readCatalog(q, options);
  return boundedCatalogRead(q, 'the live schema', () => readCatalog(q, options));
}

export function compareCatalogs(expected: Catalog, live: Catalog): DriftReport {
  const all = diffCatalogs(expected, live);
  // A schema the snapshot does not have is said, not drift: pg_cron's, an audit schema a DBA keeps (the guard makes it a ticket).
  // So is another tool's history table kept after adopting schemaguard (flyway_schema_history, pgmigrations).
  const ignored = all.filter((d) => (d.kind === 'extension' && d.field === 'version') || d.kind === 'schema' || isForeignHistory(d));
  const notes = [viewsNotCompared(expected, live), sequencesNotRecorded(expected, live)].filter((n): n is string => n !== undefined);
  return { differences: all.filter((d) => !ignored.includes(d)), ignored, schemas: expected.schemas, notes };
}

/**
 * A snapshot taken before sequences were read records none: not "every
 * sequence dropped", but not compared, and said so.
 */
export function sequencesNotRecorded(expected: Catalog, live: Catalog): string | undefined {
  if (expected.sequences || !live.sequences) return undefined;
  return 'sequences were not compared: the snapshot was taken before schemaguard recorded them (run schemaguard snapshot to record them)';
}

/**
 * Views' queries are compared between servers of one major version only
 * (PostgreSQL 16 and later print a one-table view's columns unqualified, 15
 * qualifies them): on another, how many were not, and what compares them.
 */
export function viewsNotCompared(expected: Catalog, live: Catalog): string | undefined {
  if (!expected.detail || !live.detail || expected.serverMajor === live.serverMajor) return undefined;
  const liveViews = new Set(live.tables.filter((t) => t.definition !== undefined).map((t) => `${t.schema}.${t.name}`));
  const n = expected.tables.filter((t) => t.definition !== undefined && liveViews.has(`${t.schema}.${t.name}`)).length;
  if (!n) return undefined;
  return (
    `${n} ${oneOrMany(n, "view's query was", "views' queries were")} not compared: the snapshot was taken on PostgreSQL ${expected.serverMajor}, this server is ${live.serverMajor}, and each major version prints a view's query its own way (a view redefined by hand is not found here); ` +
    `to compare them, the snapshot must come from a PostgreSQL ${live.serverMajor} server (schemaguard snapshot takes it on its embedded PostgreSQL, whatever this server runs): migrate a throwaway database on one and take its snapshot with takeSnapshot (schemaguard/engine), or compare pg_get_viewdef here with the migrations' CREATE VIEW by hand`
  );
}

/** A table only the live database has that is another tool's history (`foreign-tables.ts`). */
export function isForeignHistory(d: Difference): boolean {
  return d.kind === 'table' && d.change === 'only-in-b' && FOREIGN_HISTORY_TABLES.includes(d.name.slice(d.name.lastIndexOf('.') + 1));
}

export function formatDrift(report: DriftReport): string {
  return formatDifferences(report.differences, { a: 'snapshot', b: 'live' });
}

/**
 * A comment changed by hand (`COMMENT ON TABLE / COLUMN / INDEX /
 * CONSTRAINT`): reported, but it does not fail `diff` (exit 0) or a deploy
 * with failOnDrift — a comment changes no behaviour. The guard makes it a
 * ticket (`comment-drift`).
 */
export function isCommentDrift(d: Difference): boolean {
  return d.change === 'changed' && d.field === 'comment';
}

/** The differences that fail `diff` (exit 1), assertNoDrift and failOnDrift: all but comment changes. */
export function failingDrift(report: DriftReport): Difference[] {
  return report.differences.filter((d) => !isCommentDrift(d));
}

/** Throw DriftError (exit 1) naming the first differences when there is drift other than comment changes (isCommentDrift: reported, never failing). */
export function assertNoDrift(report: DriftReport): void {
  const failing = failingDrift(report);
  if (!failing.length) return;
  const shown = failing
    .slice(0, 3)
    .map((d) => formatDifferences([d], { a: 'snapshot', b: 'live' }))
    .join('; ');
  const more = failing.length > 3 ? ` (and ${failing.length - 3} more)` : '';
  throw new DriftError(`the live schema differs from what the migrations produce: ${shown}${more}`, {
    differences: failing,
    fix: 'a change made by hand: put it in a migration (then schemaguard snapshot), or undo it; run schemaguard diff for the full list',
  });
}
