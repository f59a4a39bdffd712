/**
 * The guard benchmark in a small form (`npm run bench` measures): on the
 * shipped schema every run is clean. Correctness only, never timing.
 */
import { describe, expect, it } from 'vitest';
import { benchGuard } from '../../bench/guard';
import { targets } from '../support/db';

const target = targets[0]!;

describe(`Benchmark guard (smoke, ${target.name})`, () => {
  it('runs the guard on the shipped schema: clean every time, one sample per run', async () => {
    const r = await benchGuard({ adminUrl: target.adminUrl, runs: 2 });
    expect(r).toMatchObject({ runs: 2, findings: 0, contracts: 7, migrations: 9 });
    expect(r.samples).toHaveLength(2);
    expect(r.ms).toBeGreaterThan(0);
  });
});
