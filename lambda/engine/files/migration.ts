/** A migration as the engine runs it: what `source.ts` reads from a file. */
import type { SqlStatement } from '../sql/splitter';

export interface Check {
  /** What the check asserts, from its directive line. */
  description: string;
  statement: SqlStatement;
}

export interface MigrationDirectives {
  noTransaction: boolean;
  /** From `-- schemaguard:lock-timeout=…`; undefined means the runner's default. */
  lockTimeoutMs?: number;
  /** From `-- schemaguard:statement-timeout=…`; undefined means the runner's default. */
  statementTimeoutMs?: number;
  /**
   * From `-- schemaguard:valid-checksum <sha-256>` (one line each): checksums
   * of earlier texts of this file. A database that applied one of them has
   * applied this migration: the file was rewritten to do the same job another
   * way (as Liquibase's validCheckSum). Undefined when there are none.
   */
  validChecksums?: string[];
  /**
   * From `-- schemaguard:replication-planned <reason>`: the file changes
   * tables that logical replication carries, and says how that was planned
   * for (`ReplicationError` otherwise). Undefined when absent.
   */
  replicationPlanned?: string;
  /**
   * From `-- schemaguard:after-backfill <file>` (one line each): the files
   * whose backfill must be done before this one runs. Undefined when absent.
   */
  afterBackfill?: string[];
  /** The line of each `after-backfill`, in the same order. */
  afterBackfillLines?: number[];
}

/** A lint finding silenced in the file with `-- schemaguard:allow <rule> <reason>`. */
export interface Allowance {
  rule: string;
  reason: string;
  line: number;
}

export interface Migration {
  version: number;
  name: string;
  /** File name, e.g. `0003_add_default.sql`. */
  file: string;
  /** Absolute path. */
  path: string;
  /** LF-normalised text (for a file over IN_MEMORY_BYTES, read again at each access). */
  text: string;
  checksum: string;
  directives: MigrationDirectives;
  /** The body's statements (for a file over IN_MEMORY_BYTES, read again at each access: prefer `bodyBatches`). */
  statements: SqlStatement[];
  /** How many statements the body has. */
  statementCount: number;
  checks: Check[];
  allowances: Allowance[];
  /**
   * The statement after `-- schemaguard:backfill`: run in batches by key
   * range once the body (the expand) has committed (`../backfill/`).
   * Undefined when the file has none.
   */
  backfill?: SqlStatement;
  /**
   * What the tool that generated the file records for it, when its layout
   * says (layout.ts): Prisma's folder name (`_prisma_migrations.migration_name`),
   * drizzle's journal `when` (`__drizzle_migrations.created_at`).
   */
  origin?: string;
}
