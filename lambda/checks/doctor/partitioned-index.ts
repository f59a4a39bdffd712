/**
 * An index on a partitioned table built without blocking writes, as
 * PostgreSQL allows it: `CREATE INDEX CONCURRENTLY` is refused on a
 * partitioned table (0A000), so the parent's index is made `ON ONLY` (no
 * partition's rows read; INVALID until every partition has one attached),
 * each partition's `CONCURRENTLY`, then each attached with `ALTER INDEX …
 * ATTACH PARTITION`, which makes the parent's valid once all are. Used by
 * doctor's fk-without-index and by the guard's drift fixes.
 */
import { sqlComment } from '../../engine/sql/sql-quote';

/** One partition's part of the build. */
export interface PartitionIndexStep {
  /** The partition, as a fix names it. */
  table: string;
  /** Its index, as `ALTER INDEX … ATTACH PARTITION` names it. */
  index: string;
  /** The statement that builds it (no `;`); undefined: the partition has it already, it is only attached. */
  build?: string;
  /** The partition is partitioned itself: its build is `ON ONLY`, and its own partitions follow. */
  partitioned: boolean;
}

/** The parent's `ON ONLY` build (no `;`), as the first line of the fix. */
export function parentIndexLine(build: string): string {
  return `${build};  -- CONCURRENTLY is refused on a partitioned table: the parent's index first, INVALID until every partition has one attached`;
}

/** Each partition's build (where it lacks the index) and its ATTACH to `parentIndex`. */
export function partitionIndexLines(parentIndex: string, partitions: readonly PartitionIndexStep[]): string[] {
  return partitions.flatMap((p) => [
    ...(p.build === undefined ? [] : [p.partitioned ? `${p.build};  ${sqlComment(`${p.table} is partitioned: its own partitions next`)}` : `${p.build};`]),
    `ALTER INDEX ${parentIndex} ATTACH PARTITION ${p.index};${p.build === undefined ? `  ${sqlComment(`${p.table} has it already`)}` : ''}`,
  ]);
}
