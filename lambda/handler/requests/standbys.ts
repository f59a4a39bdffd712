import { waitForStandbys } from '../../checks/replication/standbys';
import type { HandlerConfig } from '../config';
import type { Invocation } from './invocation';
import type { Run } from './migrate-run';

/**
 * After this request applied migrations: wait for the standbys to replay
 * them, within the invocation's time less the reserve, and say how they did
 * (`Standbys`, at most a few hundred characters). A standby still behind is
 * a warning, or the request's failure with the strict setting.
 */
export async function standbysAfter(done: Run, run: HandlerConfig['run'], log: Invocation['log']): Promise<{ Standbys?: string }> {
  const session = await done.driver.connect();
  try {
    const timeoutMs = Math.max(0, Math.min(run.standbyWaitMs, done.deadline - Date.now() - run.reserveMs));
    const report = await waitForStandbys(session, {
      timeoutMs,
      strict: run.standbyStrict,
      settings: { wait: 'the standbys.wait prop', strict: 'the standbys.strict prop' },
      onProgress: (line) => log.info('standbys', { progress: line.trim() }),
    });
    if (report.standbys.length === 0) return {};
    if (report.caughtUp) log.info('standbys', { summary: report.summary, standbys: report.standbys });
    else log.warn('standbys', { summary: report.summary, standbys: report.standbys });
    return { Standbys: report.summary.length > 300 ? `${report.summary.slice(0, 299)}…` : report.summary };
  } finally {
    await session.close();
  }
}
