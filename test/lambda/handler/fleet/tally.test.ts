/**
 * The tally after each wave of the rollout on Step Functions: the failures
 * counted over the run by the CLI's own stop rule, and kept short enough for
 * the execution's state and a failed execution's cause.
 */
import { describe, expect, it } from 'vitest';
import type { FleetItemResult } from '../../../../lambda/handler/fleet/protocol';
import { KEPT_FAILURES, tallyWave } from '../../../../lambda/handler/fleet/tally';

/** A failed item as the workflow's Catch leaves it: the Task's Error, and Lambda's error payload as the Cause. */
const failed = (name: string, message: string): FleetItemResult => ({
  name,
  error: 'FleetTenantError',
  cause: JSON.stringify({ errorType: 'FleetTenantError', errorMessage: message, trace: ['FleetTenantError'] }),
});

describe('Function: tallyWave', () => {
  it('stops after the canary fails, whatever is tolerated', () => {
    // Act
    const t = tallyWave({ wave: 0, results: [failed('tenant_a', 'relation "orders" already exists')], failedCount: 0, failures: [], tolerated: 5 });
    // Assess
    expect(t.stopped).toBe('the canary failed');
    expect(t.failures).toEqual([{ name: 'tenant_a', message: 'relation "orders" already exists' }]);
    expect(JSON.parse(t.cause)).toEqual({ failedCount: 1, failures: t.failures, stopped: 'the canary failed' });
  });

  it('goes on while the failures over the run stay within the tolerated count, and stops past it', () => {
    // Prepare: one failure tolerated, one in an earlier wave.
    const earlier = { failedCount: 1, failures: [{ name: 'tenant_b', message: 'boom' }], tolerated: 1 };
    // Act
    const clean = tallyWave({ ...earlier, wave: 2, results: [{ version: 3 }, { version: 3 }] });
    const past = tallyWave({ ...earlier, wave: 3, results: [{ version: 3 }, failed('tenant_q', 'check failed')] });
    // Assess
    expect(clean).toEqual({ failedCount: 1, failures: earlier.failures, stopped: '', cause: '' });
    expect(past.stopped).toBe('2 tenants failed, more than the 1 tolerated');
    expect(past.failures.map((f) => f.name)).toEqual(['tenant_b', 'tenant_q']);
  });

  it('keeps a message that is not Lambda JSON as the error and cause, and keeps at most KEPT_FAILURES, each short', () => {
    // Prepare: a Task that timed out (its cause is Step Functions' text), and more failures than are kept.
    const timeout: FleetItemResult = { name: 'tenant_t', error: 'States.Timeout', cause: 'Task timed out' };
    const many = Array.from({ length: KEPT_FAILURES + 5 }, (_, k) => failed(`tenant_${k}`, 'x'.repeat(5000)));
    // Act
    const t = tallyWave({ wave: 1, results: [timeout, ...many], failedCount: 0, failures: [], tolerated: 0 });
    // Assess
    expect(t.failedCount).toBe(KEPT_FAILURES + 6);
    expect(t.failures).toHaveLength(KEPT_FAILURES);
    expect(t.failures[0]).toEqual({ name: 'tenant_t', message: 'States.Timeout: Task timed out' });
    expect(Math.max(...t.failures.map((f) => Buffer.byteLength(JSON.stringify(f.message))))).toBeLessThanOrEqual(402);
    expect(t.cause.length).toBeLessThan(32_768);
  });
});
