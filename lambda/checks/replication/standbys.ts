/**
 * After migrate commits, the standbys that serve the application's reads
 * (streaming replicas, RDS read replicas, Aurora readers) still show the
 * old schema until they have replayed the migrations' WAL: the application
 * deployed next reads them at once (42703 on a new column). This waits,
 * bounded, until each standby has replayed past the primary's WAL position
 * read after the last commit, with a progress line while it waits, and
 * reports each standby's lag. Read from `pg_stat_replication` (logical
 * walsenders left out), and on Aurora from `aurora_replica_status()`
 * (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora_replica_status.html):
 * a reader there shares the writer's storage, and has applied what was
 * committed before its last status update less its lag.
 */
import { StandbyLagError } from '../../engine/errors/errors';
import type { Queryable } from '../../engine/ports';
import { present } from '../../engine/errors/present';

export interface StandbyWaitOptions {
  /** How long to wait for every standby. 0: report, do not wait. */
  timeoutMs: number;
  /** Throw `StandbyLagError` when a standby has not caught up in time (else a warning line). @default false */
  strict?: boolean;
  /** What the caller calls the wait and the strict gate, for the messages. @default the CLI's flags */
  settings?: { wait: string; strict: string };
  onProgress?: (line: string) => void;
  /** Between reads. @default 250 */
  pollMs?: number;
}

export interface StandbyState {
  /** application_name (or the Aurora reader's server_id). */
  name: string;
  /** client_addr, when the role may see it. */
  address?: string;
  caughtUp: boolean;
  /** WAL bytes still to replay (streaming standbys), when visible. */
  behindBytes?: number;
  /** The standby's own reported replay lag, in ms, when known. */
  lagMs?: number;
  /** Why nothing more is known (a role without pg_monitor sees no positions). */
  unknown?: string;
}

export interface StandbyReport {
  /** The WAL position the standbys had to replay past; undefined on Aurora, which waits by time. */
  target?: string;
  standbys: StandbyState[];
  waitedMs: number;
  /** Every standby caught up (true with none). */
  caughtUp: boolean;
  /** One line a run prints (and the custom resource logs). */
  summary: string;
}

const DEFAULT_SETTINGS = { wait: '--standby-wait', strict: '--standby-strict' };

/** Wait for the standbys, as the options say; returns what each did. */
export async function waitForStandbys(q: Queryable, options: StandbyWaitOptions): Promise<StandbyReport> {
  const started = Date.now();
  const settings = options.settings ?? DEFAULT_SETTINGS;
  const reader = await standbyReader(q);
  if (!reader) return { standbys: [], waitedMs: 0, caughtUp: true, summary: 'standbys: none streaming from this server' };
  let standbys = await reader.read();
  let lastLine = started;
  while (!allCaughtUp(standbys) && Date.now() - started < options.timeoutMs) {
    if (Date.now() - lastLine >= 5000) {
      options.onProgress?.(`  waiting for standbys to replay the migrations: ${describe(standbys.filter((s) => !s.caughtUp))}`);
      lastLine = Date.now();
    }
    await new Promise((r) => setTimeout(r, options.pollMs ?? 250));
    standbys = await reader.read();
  }
  const waitedMs = Date.now() - started;
  const caughtUp = allCaughtUp(standbys);
  const report = {
    ...(reader.target ? { target: reader.target } : {}),
    standbys,
    waitedMs,
    caughtUp,
    summary: summaryLine(standbys, caughtUp, waitedMs, options, settings),
  };
  if (!caughtUp && options.strict) {
    throw new StandbyLagError(report.summary, {
      fix: `the application deployed next may read the old schema there: find why replay is behind (SELECT * FROM pg_stat_replication on the primary; pg_is_wal_replay_paused() on the standby), or wait longer (${settings.wait}), or drop ${settings.strict} to deploy with a warning`,
    });
  }
  return report;
}

function allCaughtUp(standbys: readonly StandbyState[]): boolean {
  return standbys.every((s) => s.caughtUp || s.unknown !== undefined);
}

function describe(standbys: readonly StandbyState[]): string {
  return standbys
    .map(
      (s) =>
        `${s.name}${s.address ? ` (${s.address})` : ''}${s.behindBytes !== undefined ? ` ${s.behindBytes} bytes behind` : ''}${s.lagMs !== undefined ? `, lag ${s.lagMs} ms` : ''}`,
    )
    .join(', ');
}

function summaryLine(
  standbys: readonly StandbyState[],
  caughtUp: boolean,
  waitedMs: number,
  options: StandbyWaitOptions,
  settings: { wait: string; strict: string },
): string {
  const unknown = standbys.filter((s) => s.unknown !== undefined);
  const behind = standbys.filter((s) => !s.caughtUp && s.unknown === undefined);
  const parts: string[] = [];
  const ok = standbys.filter((s) => s.caughtUp);
  if (ok.length) parts.push(`${ok.length} caught up (${describe(ok)})`);
  if (behind.length) parts.push(`${behind.length} still behind after ${waitedMs} ms: ${describe(behind)}`);
  if (unknown.length) parts.push(`${unknown.length} not known: ${unknown.map((s) => `${s.name}: ${s.unknown}`).join('; ')}`);
  const head = `standbys: ${parts.join('; ')}`;
  if (caughtUp) return head;
  return options.timeoutMs === 0
    ? `${head} (not waited for: ${settings.wait} 0)`
    : `${head}; the application deployed next may read the old schema there (${options.strict ? 'refused' : `a warning: ${settings.strict} makes it fail the run`})`;
}

interface Reader {
  target?: string;
  read(): Promise<StandbyState[]>;
}

// Logical walsenders (a subscription, DMS) are in pg_stat_replication too: those holding a logical slot are left out.
const PHYSICAL = "NOT EXISTS (SELECT 1 FROM pg_replication_slots s WHERE s.active_pid = r.pid AND s.slot_type = 'logical')";

/**
 * What the first read needs, in one round trip (a run with no standby, the
 * common case, asks nothing more): whether this server is a standby itself,
 * Aurora, its WAL position and the time now (what the standbys must reach),
 * and how many physical standbys stream from it. pg_current_wal_lsn() fails
 * during recovery: the CASE leaves it out there.
 */
const SELF_SQL = `
SELECT pg_is_in_recovery() AS recovery, to_regprocedure('aurora_replica_status()') IS NOT NULL AS aurora,
       CASE WHEN NOT pg_is_in_recovery() THEN pg_current_wal_lsn()::text END AS lsn, clock_timestamp()::text AS now,
       (SELECT count(*) FROM pg_stat_replication r WHERE ${PHYSICAL})::int AS streaming`;

/** How to read this server's standbys: Aurora's readers, or the streaming ones; undefined when it has none (or is a standby itself). */
async function standbyReader(q: Queryable): Promise<Reader | undefined> {
  const [self] = (await q.query<{ recovery: boolean; aurora: boolean; lsn: string | null; now: string; streaming: number }>(SELF_SQL)).rows;
  if (!self || self.recovery) return undefined;
  if (self.aurora) return auroraReader(q, self.now);
  if (Number(self.streaming) === 0) return undefined;
  return { target: present(self.lsn), read: () => readStreaming(q, present(self.lsn)) };
}

const STREAMING_SQL = `
SELECT r.application_name AS name, host(r.client_addr) AS address, r.replay_lsn::text AS replay,
       r.replay_lsn >= $1::pg_lsn AS "caughtUp", pg_wal_lsn_diff($1::pg_lsn, r.replay_lsn)::float8 AS behind,
       (extract(epoch FROM r.replay_lag) * 1000)::float8 AS lag
  FROM pg_stat_replication r
 WHERE ${PHYSICAL}
 ORDER BY r.application_name, r.pid`;

async function readStreaming(q: Queryable, target: string): Promise<StandbyState[]> {
  const rows = (
    await q.query<{ name: string; address: string | null; replay: string | null; caughtUp: boolean | null; behind: number | null; lag: number | null }>(
      STREAMING_SQL,
      [target],
    )
  ).rows;
  return rows.map((r) =>
    r.replay === null
      ? { name: r.name, caughtUp: false, unknown: 'its replay position is not visible to this role (grant pg_monitor)' }
      : {
          name: r.name,
          ...(r.address ? { address: r.address } : {}),
          caughtUp: r.caughtUp === true,
          behindBytes: Math.max(0, Number(r.behind ?? 0)),
          ...(r.lag !== null ? { lagMs: Math.round(Number(r.lag)) } : {}),
        },
  );
}

/** Aurora readers: caught up once their last status, less their lag, is later than the migrations' commit (`committed`, read after it). */
async function auroraReader(q: Queryable, committed: string): Promise<Reader | undefined> {
  const read = async () =>
    (
      await q.query<{ name: string; lag: number | null; caughtUp: boolean | null }>(
        `SELECT server_id AS name, replica_lag_in_msec::float8 AS lag,
            last_update_timestamp - make_interval(secs => coalesce(replica_lag_in_msec, 0) / 1000.0) >= $1::timestamptz AS "caughtUp"
       FROM aurora_replica_status() WHERE session_id <> 'MASTER_SESSION_ID' ORDER BY 1`,
        [committed],
      )
    ).rows.map((r) => ({ name: r.name, caughtUp: r.caughtUp === true, ...(r.lag !== null ? { lagMs: Math.round(Number(r.lag)) } : {}) }));
  return (await read()).length ? { read } : undefined;
}
