/**
 * A backfill's workflow, its definition executed locally (aws-local-stepfunctions)
 * with the real handler as its function against a real PostgreSQL, started
 * by the real custom resource under the Provider framework:
 *
 * - the deploy succeeds after the expand and the first batch; the workflow
 *   then runs the rest in slices, hands on to a continuation after
 *   `maxSlices`, and ends done; the next deploy's after-backfill file applies;
 * - a deploy whose own after-backfill file waits for the workflow waits, and
 *   applies it once the backfill is done;
 * - a logical slot retaining WAL past the bound pauses the backfill (the
 *   workflow waits between slices, saying why) and it goes on once the slot
 *   is dropped;
 * - a batch that fails ends the execution as failed (BackfillFailed, the
 *   backfill's reason its cause), and a deploy then refuses the file that
 *   waits for it at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKFILL_METRIC, ENV, PROP } from '../../../../lambda/handler/constants';
import { backfillDefinition } from '../../../../lib/backfill/backfill-definition';
import { backfillHandlers, deploy } from '../../../support/backfill-deploy';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../../../support/db';
import { addFile, tempDir } from '../../../support/files';
import { localBackfillWorkflow, type LocalBackfillWorkflow } from '../../../support/local-step-functions';
import { adminUrl, removeServer, startPrimary } from '../../../support/replication';
import type { StartedServer } from '../../../support/system-postgres';

afterAll(dropDatabases);

const STATE_MACHINE = 'arn:aws:states:eu-west-1:111111111111:stateMachine:schemaguard-backfill';
const ORDERS = (n: number) =>
  `CREATE TABLE orders (id bigint PRIMARY KEY, country text NOT NULL, qty int NOT NULL DEFAULT 1);\nINSERT INTO orders (id, country) SELECT g, 'FR' FROM generate_series(1, ${n}) g;\n`;
const REGION = 'ALTER TABLE orders ADD COLUMN region text;\n-- schemaguard:backfill\nUPDATE orders SET region = lower(country) WHERE region IS NULL;\n';
const AFTER = '-- schemaguard:after-backfill 0002_region.sql\nALTER TABLE orders ADD CONSTRAINT region_required CHECK (region IS NOT NULL) NOT VALID;\n';

/** A function whose slices have 40 ms of batches of 200 keys (the first batch whenever it ends), its workflow run here; the deploys start that workflow. */
function rig(url: string, dir: string, o: { maxSlices?: number; backfill?: Record<string, unknown>; env?: Record<string, string> } = {}) {
  const lines: string[] = [];
  let workflow!: LocalBackfillWorkflow;
  const handlers = backfillHandlers(url, dir, {
    backfill: { minRows: 200, maxRows: 200, ...o.backfill },
    lines,
    env: o.env,
    backfillStarter: { startExecution: (r) => workflow.startExecution(r) },
  });
  const definition = backfillDefinition({ functionArn: 'schemaguard-test-onEvent', pauseSeconds: 30, maxSlices: o.maxSlices ?? 1000, sliceTimeoutSeconds: 60 });
  workflow = localBackfillWorkflow(definition, (payload) => handlers.onEvent(payload, { getRemainingTimeInMillis: () => 1040, awsRequestId: 'slice' }));
  const send = (type: 'Create' | 'Update', attempts?: number) => deploy(handlers, dir, type, { [PROP.backfillStateMachine]: STATE_MACHINE }, attempts);
  return { handlers, workflow, lines, send };
}

/** Resolves once every execution started so far, and those they started, ended. */
async function settled(workflow: LocalBackfillWorkflow): Promise<void> {
  for (let seen = 0; seen < workflow.executions.size; ) {
    const all = [...workflow.executions.values()];
    await Promise.all(all.map((e) => e.ended));
    seen = all.length;
  }
}

const progress = async (url: string) =>
  (
    await rows<{ state: string; rows_done: number; reason: string | null }>(url, 'SELECT state, rows_done::int AS rows_done, reason FROM schemaguard.backfills')
  )[0];

describe('Backfill workflow (Step Functions, run locally) with the handler', () => {
  const target = targets[0]!;

  it('runs on after the deploy in slices, hands on to a continuation, ends done; the next deploy applies the file that waited', async () => {
    const url = await freshDatabase(target, 'backfill_workflow');
    const dir = tempDir({ '0001_orders.sql': ORDERS(2000), '0002_region.sql': REGION });
    const { workflow, lines, send } = rig(url, dir, { maxSlices: 3 });

    const first = await send('Create');
    expect(first.Status, first.Reason).toBe('SUCCESS');
    expect(workflow.starts).toHaveLength(1);
    const [name] = [...workflow.executions.keys()];
    await settled(workflow);

    const executions = [...workflow.executions.values()];
    expect(executions.map((e) => [e.name, e.status])).toEqual(executions.map((_, i) => [i === 0 ? name : `${name}-${i}`, 'SUCCEEDED']));
    expect(executions.length).toBeGreaterThanOrEqual(2);
    expect(workflow.payloads.length).toBeGreaterThanOrEqual(4);
    expect(await progress(url)).toEqual({ state: 'done', rows_done: 2000, reason: null });
    expect(await rows(url, 'SELECT count(*)::int AS n FROM orders WHERE region IS DISTINCT FROM lower(country)')).toEqual([{ n: 0 }]);
    const metrics = lines.map((l) => JSON.parse(l)).filter((l) => l._aws);
    expect(metrics.at(-1)).toMatchObject({ [BACKFILL_METRIC.rowsDone]: 2000, [BACKFILL_METRIC.secondsSinceProgress]: 0, state: 'done' });

    addFile(dir, '0003_region_required.sql', AFTER);
    const startsBefore = workflow.starts.length;
    const next = await send('Update');
    expect(next.Status, next.Reason).toBe('SUCCESS');
    expect(workflow.starts).toHaveLength(startsBefore);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM schemaguard.applied_migrations')).toEqual([{ n: 3 }]);
  });

  it('a deploy whose file waits for the backfill waits for its workflow, then applies the file', async () => {
    const url = await freshDatabase(target, 'backfill_wait');
    const dir = tempDir({ '0001_orders.sql': ORDERS(2000), '0002_region.sql': REGION, '0003_region_required.sql': AFTER });
    const { workflow, send } = rig(url, dir, { env: { [ENV.totalTimeoutMs]: '120000' } });

    const response = await send('Create', 100_000);
    expect(response.Status, response.Reason).toBe('SUCCESS');
    expect(workflow.starts.length).toBeGreaterThanOrEqual(1);
    expect(new Set(workflow.starts.map((s) => s.name)).size).toBe(1);
    expect(await progress(url)).toEqual({ state: 'done', rows_done: 2000, reason: null });
    expect(await rows(url, 'SELECT count(*)::int AS n FROM schemaguard.applied_migrations')).toEqual([{ n: 3 }]);
  });
});

const embedded = targets.find((t) => t.binDir !== undefined);

describe.runIf(embedded)('Backfill workflow on a server with logical WAL', () => {
  let primary: StartedServer;
  beforeAll(async () => {
    primary = await startPrimary(embedded!.binDir!);
  });
  afterAll(async () => {
    await removeServer(primary);
  });

  it('a logical slot past its bound pauses the backfill between slices; dropping it lets the workflow finish', async () => {
    await withClient(adminUrl(primary), (c) => c.query('CREATE DATABASE paused'));
    const url = adminUrl(primary, 'paused');
    const dir = tempDir({ '0001_orders.sql': ORDERS(3000), '0002_region.sql': REGION });
    const { workflow, send } = rig(url, dir, { backfill: { slotRetainedBytes: 65_536 } });
    await withClient(url, (c) => c.query("SELECT pg_create_logical_replication_slot('lagging', 'pgoutput')"));

    expect((await send('Create')).Status).toBe('SUCCESS');
    const reasons = new Set<string>();
    for (const started = Date.now(); reasons.size === 0 || workflow.payloads.length < 4; ) {
      const p = await progress(url);
      if (p?.state === 'paused' && p.reason) reasons.add(p.reason);
      if (Date.now() - started > 60_000) throw new Error(`the backfill never paused: ${JSON.stringify(p)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const pausedAt = (await progress(url))!.rows_done;
    expect([...reasons][0]).toMatch(/^logical slot lagging retains .+ of WAL \(bound .+\): its consumer is behind$/);
    expect(pausedAt).toBeLessThan(3000);
    const [execution] = workflow.executions.values();
    expect(execution!.status).toBe('RUNNING');

    await withClient(url, (c) => c.query("SELECT pg_drop_replication_slot('lagging')"));
    await settled(workflow);
    expect(execution!.status).toBe('SUCCEEDED');
    expect(await progress(url)).toEqual({ state: 'done', rows_done: 3000, reason: null });
  });

  it('a batch that fails ends the execution as failed, and a deploy refuses the file that waits for it at once', async () => {
    await withClient(adminUrl(primary), (c) => c.query('CREATE DATABASE failing'));
    const url = adminUrl(primary, 'failing');
    const dir = tempDir({
      '0001_orders.sql': `${ORDERS(1000)}UPDATE orders SET qty = 0 WHERE id = 900;\n`,
      '0002_region.sql':
        'ALTER TABLE orders ADD COLUMN per_unit int;\n-- schemaguard:backfill\nUPDATE orders SET per_unit = 100 / qty WHERE per_unit IS NULL;\n',
    });
    const { workflow, send } = rig(url, dir);

    expect((await send('Create')).Status).toBe('SUCCESS');
    await settled(workflow);
    const [execution] = workflow.executions.values();
    expect(execution).toMatchObject({ status: 'FAILED', error: 'BackfillFailed', cause: 'division by zero' });
    expect(await progress(url)).toMatchObject({ state: 'failed', reason: 'division by zero' });

    addFile(dir, '0003_per_unit_required.sql', '-- schemaguard:after-backfill 0002_region.sql\nALTER TABLE orders ALTER COLUMN per_unit SET DEFAULT 0;\n');
    const refused = await send('Update');
    expect(refused.Status).toBe('FAILED');
    expect(refused.Reason).toContain('0003_per_unit_required.sql waits for the backfill of 0002_region.sql (failed, 800 rows done: division by zero)');
    expect(workflow.starts).toHaveLength(1);
  });
});
