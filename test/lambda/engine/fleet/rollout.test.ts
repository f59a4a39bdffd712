import { describe, expect, it } from 'vitest';
import { rollout, wavesOf } from '../../../../lambda/engine/fleet/rollout';
import type { Tenant } from '../../../../lambda/engine/fleet/tenants';

const tenants = (n: number): Tenant[] => Array.from({ length: n }, (_, k) => ({ name: `t${k}` }));

/** A job that records how many ran at once, failing the tenants named. */
function recorder(failing: readonly string[] = []) {
  const log = { started: [] as string[], running: 0, most: 0 };
  const job = async (t: Tenant) => {
    log.started.push(t.name);
    log.running++;
    log.most = Math.max(log.most, log.running);
    await new Promise((r) => setTimeout(r, 2));
    log.running--;
    if (failing.includes(t.name)) throw new Error(`${t.name} failed`);
    return t.name;
  };
  return { log, job };
}

describe('Function: wavesOf', () => {
  it('puts the canary alone first, then waves of the wave size', () => {
    expect(wavesOf([1, 2, 3, 4, 5, 6], 2)).toEqual([[1], [2, 3], [4, 5], [6]]);
    expect(wavesOf([1, 2, 3], 2, false)).toEqual([[1, 2], [3]]);
    expect(wavesOf([], 2)).toEqual([]);
  });
});

describe('Function: rollout', () => {
  it('runs every tenant, at most `concurrency` at once, the canary before any other', async () => {
    const { log, job } = recorder();
    const r = await rollout(tenants(23), { concurrency: 3, waveSize: 7, toleratedFailures: 0 }, job);
    expect(r.outcomes).toHaveLength(23);
    expect(r.notStarted).toEqual([]);
    expect(r.stopped).toBeUndefined();
    expect(log.started[0]).toBe('t0');
    expect(log.most).toBe(3);
  });

  it('stops after the wave of the first failure: that wave finishes, later ones never start', async () => {
    const { log, job } = recorder(['t5']);
    const r = await rollout(tenants(12), { concurrency: 2, waveSize: 3, toleratedFailures: 0 }, job);
    expect(r.stopped).toBe('1 tenant failed, more than the 0 tolerated');
    expect(log.started.sort()).toEqual(['t0', 't1', 't2', 't3', 't4', 't5', 't6']);
    expect(r.notStarted.map((t) => t.name)).toEqual(['t7', 't8', 't9', 't10', 't11']);
    expect(r.outcomes.filter((o) => !o.ok).map((o) => o.tenant.name)).toEqual(['t5']);
  });

  it('goes on past the tolerated failures, and stops at one more', async () => {
    const { job } = recorder(['t2', 't8']);
    const ok = await rollout(tenants(12), { concurrency: 2, waveSize: 3, toleratedFailures: 2 }, job);
    expect(ok.stopped).toBeUndefined();
    const stop = await rollout(tenants(12), { concurrency: 2, waveSize: 3, toleratedFailures: 1 }, job);
    expect(stop.stopped).toBe('2 tenants failed, more than the 1 tolerated');
    expect(stop.notStarted.map((t) => t.name)).toEqual(['t10', 't11']);
  });

  it('stops when the canary fails, whatever is tolerated', async () => {
    const { log, job } = recorder(['t0']);
    const r = await rollout(tenants(5), { concurrency: 2, waveSize: 2, toleratedFailures: 3 }, job);
    expect(r.stopped).toBe('the canary failed');
    expect(log.started).toEqual(['t0']);
  });

  it('reads every tenant when asked not to stop (status, plan, guard)', async () => {
    const { log, job } = recorder(['t0', 't1']);
    const r = await rollout(tenants(4), { concurrency: 4, waveSize: 4, toleratedFailures: 0, canaryFirst: false, halts: false }, job);
    expect(r.outcomes).toHaveLength(4);
    expect(log.most).toBe(4);
  });
});
