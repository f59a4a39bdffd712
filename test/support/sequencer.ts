/**
 * The order the run starts its files in. Vitest's own (the integration
 * project, then the unit project; larger files first when it has no timings,
 * as in a fresh clone) started the unit project's three slowest files (about
 * 90, 30 and 25 s) among the last, so one of the two workers ran on alone
 * at the end. They go first here; every other file keeps vitest's order.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Slow files of the unit project, slowest first (from `.ci/run`'s per-file times). */
export const SLOW_FIRST = ['test/package/consumer.test.ts', 'test/docs/api-reference.test.ts', 'test/bin/app.test.ts'];

export default class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const k = SLOW_FIRST.findIndex((p) => f.moduleId.replace(/\\/g, '/').endsWith(`/${p}`));
      return k < 0 ? SLOW_FIRST.length : k;
    };
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}
