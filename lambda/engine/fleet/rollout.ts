/**
 * The order a fleet runs in: the first tenant (the canary) alone, then waves
 * of `waveSize` tenants, at most `concurrency` of them at once. A wave starts
 * once the one before is done; after a wave, the rollout stops when more
 * tenants failed than `toleratedFailures` (the canary's failure always
 * stops it). A tenant already started is never interrupted: each of its
 * files commits whole or not at all, so every tenant stays at a version it
 * reached whole, and the tenants after the stop are untouched.
 *
 * The Step Functions workflow (lib/fleet/) runs the same order: one Map
 * state per wave with MaxConcurrency, the canary's first, and after each the
 * function's tally (lambda/handler/fleet/tally.ts) asks `stopReason`.
 */
import { plural } from '../errors/words';
import type { Fleet } from './fleet-spec';
import type { Tenant } from './tenants';

/** What one tenant's job ended with. */
export type TenantOutcome<R> = { tenant: Tenant; wave: number; ok: true; value: R } | { tenant: Tenant; wave: number; ok: false; error: unknown };

export interface RolloutResult<R> {
  /** Every tenant that ran, in the order they finished. */
  outcomes: TenantOutcome<R>[];
  /** The tenants never started: the rollout stopped before their wave. */
  notStarted: Tenant[];
  /** Why the rollout stopped early; undefined when every tenant ran. */
  stopped?: string;
}

export type RolloutEvent<R> = { type: 'wave'; wave: number; tenants: Tenant[] } | { type: 'tenant-done'; outcome: TenantOutcome<R> };

export type RolloutSettings = Pick<Fleet, 'concurrency' | 'waveSize' | 'toleratedFailures'> & {
  /** Run the first tenant alone first (migrate); off for the reads (status, plan, guard). @default true */
  canaryFirst?: boolean;
  /** Stop after a wave with more failures than tolerated (migrate); off for the reads. @default true */
  halts?: boolean;
  onEvent?: (event: RolloutEvent<unknown>) => void;
};

/** The waves of `tenants`: the canary alone (when asked), then `waveSize` at a time. */
export function wavesOf<T>(tenants: readonly T[], waveSize: number, canary = true): T[][] {
  const waves: T[][] = [];
  const rest = canary ? tenants.slice(1) : tenants;
  if (canary && tenants.length) waves.push([tenants[0]]);
  for (let k = 0; k < rest.length; k += waveSize) waves.push(rest.slice(k, k + waveSize));
  return waves;
}

/** Runs `job` for each tenant in waves (see the header); never throws for a tenant's failure: it is an outcome. */
export async function rollout<R>(tenants: readonly Tenant[], settings: RolloutSettings, job: (tenant: Tenant) => Promise<R>): Promise<RolloutResult<R>> {
  const waves = wavesOf(tenants, settings.waveSize, settings.canaryFirst ?? true);
  const result: RolloutResult<R> = { outcomes: [], notStarted: [] };
  let failed = 0;
  for (let w = 0; w < waves.length; w++) {
    settings.onEvent?.({ type: 'wave', wave: w, tenants: waves[w] });
    const outcomes = await runWave(waves[w], w, settings, job);
    result.outcomes.push(...outcomes);
    failed += outcomes.filter((o) => !o.ok).length;
    const stop = (settings.halts ?? true) ? stopReason(failed, w, settings) : undefined;
    if (stop && w + 1 < waves.length) {
      result.stopped = stop;
      result.notStarted = waves.slice(w + 1).flat();
      break;
    }
  }
  return result;
}

/** Why the rollout stops after wave `w` with `failed` tenants failed so far, or undefined to go on (the Step Functions tally asks the same). */
export function stopReason(failed: number, w: number, settings: Pick<RolloutSettings, 'toleratedFailures' | 'canaryFirst'>): string | undefined {
  if (failed === 0) return undefined;
  if (w === 0 && (settings.canaryFirst ?? true)) return 'the canary failed';
  if (failed > settings.toleratedFailures) return `${plural(failed, 'tenant')} failed, more than the ${settings.toleratedFailures} tolerated`;
  return undefined;
}

/** One wave's tenants, at most `concurrency` at once, each taken up as another ends. */
async function runWave<R>(wave: Tenant[], w: number, settings: RolloutSettings, job: (tenant: Tenant) => Promise<R>): Promise<TenantOutcome<R>[]> {
  const outcomes: TenantOutcome<R>[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < wave.length) {
      const tenant = wave[next++];
      let outcome: TenantOutcome<R>;
      try {
        outcome = { tenant, wave: w, ok: true, value: await job(tenant) };
      } catch (error) {
        outcome = { tenant, wave: w, ok: false, error };
      }
      outcomes.push(outcome);
      settings.onEvent?.({ type: 'tenant-done', outcome });
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(settings.concurrency, 1), wave.length) }, worker));
  return outcomes;
}
