/**
 * The custom resource's part in a backfill's workflow: after a deploy's run,
 * every backfill that is running or paused gets its execution of the
 * backfills' state machine, started once. The execution is named after the
 * backfill — its file, the database's identity and the time its expand
 * recorded it — so a deploy delivered twice, a later deploy, or one whose
 * after-backfill file waits for it finds the same execution (Step Functions
 * starts no second one under a name: step-functions.ts). A failed backfill
 * gets none: its cause is fixed first (its alarm's runbook), then the
 * execution started again by hand, or `schemaguard migrate` finishes it.
 */
import { createHash } from 'node:crypto';
import { readBackfills, type BackfillRow } from '../../engine/backfill/progress';
import type { Queryable } from '../../engine/ports';
import type { Logger } from '../log';
import type { BackfillExecutionInput } from './protocol';
import type { BackfillStarter } from '../step-functions';

export interface WorkflowStart {
  stateMachineArn: string;
  /** The database's identity (the resource's DatabaseIdentity), when the construct knows it. */
  databaseIdentity?: string;
  starter: () => Promise<BackfillStarter>;
  log: Logger;
}

/** A backfill's execution: the one the deploy started, or found started. */
export interface BackfillExecution {
  file: string;
  name: string;
  executionArn: string;
  /** False when an execution of that name was already there. */
  started: boolean;
}

/** Starts the workflow of each backfill not done nor failed (none started twice); returns their executions. */
export async function startBackfillWorkflows(q: Queryable, stateSchema: string, w: WorkflowStart): Promise<BackfillExecution[]> {
  const open = (await readBackfills(q, stateSchema)).filter((b) => b.state === 'running' || b.state === 'paused');
  if (open.length === 0) return [];
  const starter = await w.starter();
  const out: BackfillExecution[] = [];
  for (const row of open) {
    const name = executionName(row, w.databaseIdentity);
    const input: BackfillExecutionInput = { version: row.version, file: row.file, name, generation: 0 };
    const { executionArn, started } = await starter.startExecution({ stateMachineArn: w.stateMachineArn, name, input: JSON.stringify(input) });
    w.log.info(started ? 'backfill workflow started' : 'backfill workflow already started', { file: row.file, execution: executionArn });
    out.push({ file: row.file, name, executionArn, started });
  }
  return out;
}

/**
 * `<file, without .sql, in the characters a name allows>-<hash>`: at most 67
 * characters, so a continuation's `-<generation>` stays within the 80 an
 * execution's name may have.
 */
export function executionName(row: Pick<BackfillRow, 'file' | 'version' | 'startedAt'>, databaseIdentity = ''): string {
  const stem = row.file
    .replace(/\.sql$/, '')
    .replace(/[^A-Za-z0-9_-]/g, '-')
    .slice(0, 50);
  const hash = createHash('sha256').update(`${databaseIdentity}\n${row.version}\n${row.file}\n${row.startedAt.toISOString()}`).digest('hex').slice(0, 16);
  return `${stem}-${hash}`;
}
