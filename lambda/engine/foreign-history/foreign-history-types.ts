/**
 * The shapes of the foreign-history registry (HISTORY_TOOLS in
 * foreign-history.ts) and of what its readers return. A module of their own:
 * the registry imports the readers (foreign-readers.ts), and the readers
 * need these shapes, so imports stay one-way.
 */
import type { Queryable } from '../ports';

/** The `--from` values: one key of HISTORY_TOOLS each (`satisfies Record<HistorySource, HistoryTool>` keeps them equal). */
export type HistorySource =
  | 'flyway'
  | 'node-pg-migrate'
  | 'golang-migrate'
  | 'prisma'
  | 'drizzle'
  | 'knex'
  | 'typeorm'
  | 'sequelize'
  | 'kysely'
  | 'mikro-orm'
  | 'dbmate';

/** One tool whose history `baseline --from` reads, and how its table is told from another tool's of the same name. */
export interface HistoryTool {
  /** The table it writes, by default. */
  table: string;
  /** Columns a table of that name must have to be this tool's: name → the start of its type as format_type gives it. */
  columns?: Record<string, string>;
  /** Only those columns, and no Rails `ar_internal_metadata` beside it (dbmate's `schema_migrations (version varchar)` is Rails' too). */
  exactly?: boolean;
  /** Its migrations are code (JavaScript, TypeScript), so its files here are SQL written to do the same, with the versions it recorded. */
  code?: boolean;
  /** SQL (`%s`: the table), one row `n`: the migrations it records as applied. */
  count?: string;
  /** SQL, rows `f`: the failed migrations it records, as the tool names them. */
  failed?: string;
  /** SQL, one row `v`: the newest version it applied (a table of one row, which has no count). */
  newest?: string;
  read: (q: Queryable, table: string) => Promise<ForeignHistory>;
}

/** What a tool's history table records, as `baseline --from` maps it to versions. */
export interface ForeignHistory {
  source: HistorySource;
  /** `schema.table` it was read from. */
  table: string;
  /** Versions the tool recorded as applied, ascending. */
  versions: number[];
  /** Flyway's `<< Flyway Baseline >>` version: the schema up to it was there before Flyway ran (files up to it need not have run). */
  baselineVersion?: number;
  /** golang-migrate records only the version it reached: every file up to it ran. */
  upToNewest?: boolean;
  /** Prisma: the name each version was recorded under (`20240101120000_init`), which its file must carry. */
  names?: Map<number, string>;
  /** Flyway: the repeatable migrations (`R__views.sql`, no version) it applied, as `script` names them. */
  repeatables?: string[];
  /** drizzle: its rows in its order, each mapped to the file whose `origin` (journal `when`) it recorded, checked by `hash` (`resolveOrigins`). */
  origins?: { origin: string; hash: string; row: string }[];
}
