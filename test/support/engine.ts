/** Running the engine in-process in integration tests. */
import { migrate, type MigrateOptions, type MigrateResult, type RunEvent } from '../../lambda/engine/runner';
import { loadMigrations } from '../../lambda/engine/files/source';
import type { DriverKind } from './drivers';

export interface EngineRun extends MigrateResult {
  events: RunEvent[];
}

export async function runEngine(driver: DriverKind, url: string, dir: string, options: Partial<MigrateOptions> = {}): Promise<EngineRun> {
  const events: RunEvent[] = [];
  const d = driver.make(url);
  try {
    const result = await migrate({
      driver: d,
      migrations: loadMigrations(dir),
      appliedBy: 'test',
      lockWaitMs: 30_000,
      retryDelayMs: 50,
      ...options,
      onEvent: (e) => {
        events.push(e);
        options.onEvent?.(e);
      },
    });
    return { ...result, events };
  } finally {
    await d.end();
  }
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection<E = Error>(p: Promise<unknown>): Promise<E> {
  try {
    await p;
  } catch (e) {
    return e as E;
  }
  throw new Error('expected the promise to reject');
}
