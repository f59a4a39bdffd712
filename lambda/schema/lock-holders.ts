/**
 * Who a catalog read waited for. `pg_get_expr`, `pg_get_indexdef`,
 * `pg_get_constraintdef` and `pg_get_viewdef` open the table they print
 * (ACCESS SHARE), so a read of a default, an index, a constraint or a view
 * waits behind a migration's ACCESS EXCLUSIVE on that table until it
 * commits; the catalog rows themselves are read without waiting. A read
 * that waited past lock_timeout names the sessions that held or queued for
 * ACCESS EXCLUSIVE on a relation of this database — the only lock mode an
 * ACCESS SHARE waits for. The read's own wait is cancelled by then (no
 * pg_blocking_pids to ask), so they are looked up after it: a holder gone
 * since is not named.
 */
import { isTrue, type Queryable } from '../engine/ports';
import { queryFileSql, workerFile } from '../engine/lock/applying-file';
import { firstFew } from '../engine/errors/words';

interface Holder {
  pid: number;
  granted: boolean | string;
  relations: string;
  user: string | null;
  application: string | null;
  state: string | null;
  xact_age_seconds: number | string | null;
  query_file: string | null;
}

/** Sessions other than this one holding (first) or queued for ACCESS EXCLUSIVE on relations of this database, each with those relations. */
async function exclusiveHolders(q: Queryable): Promise<Holder[]> {
  return (
    await q.query<Holder>(
      `SELECT l.pid, bool_or(l.granted) AS granted, nullif(a.application_name, '') AS application, a.usename AS user, a.state,
            string_agg(coalesce(format('%I.%I', n.nspname, c.relname), l.relation::text), E'\\n' ORDER BY n.nspname, c.relname) AS relations,
            floor(extract(epoch FROM now() - a.xact_start))::int AS xact_age_seconds, ${queryFileSql('a.query')} AS query_file
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       LEFT JOIN pg_class c ON c.oid = l.relation LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock' AND l.pid <> pg_backend_pid()
        -- Another session's temporary tables: no read opens them, so their holder blocks none.
        AND c.relpersistence IS DISTINCT FROM 't'
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      GROUP BY l.pid, a.application_name, a.usename, a.state, a.xact_start, a.query
      ORDER BY bool_or(l.granted) DESC, a.xact_start, l.pid
      LIMIT 3`,
    )
  ).rows;
}

/** "pid 4242 (psql, user app, idle in transaction, in a transaction for 12 s) on public.a, public.b and 3 more": not its query. */
function holderText(h: Holder): string {
  const on = relationsText(h);
  const age = h.xact_age_seconds === null ? '' : `in a transaction for ${h.xact_age_seconds} s`;
  const about = [h.application, h.user && `user ${h.user}`, h.state, age].filter(Boolean).join(', ');
  return `pid ${h.pid}${about ? ` (${about})` : ''} on ${on}`;
}

/**
 * schemaguard's own session applying migrations: the CLI's and the deploy's
 * application_name (`driver/pg/pg-driver.ts`, `handler/connection.ts`).
 * Only a migration takes ACCESS EXCLUSIVE under it; its query is the
 * pipelined script (`BEGIN; SELECT set_config(…`), which says nothing to a
 * reader, so it is named for what it is instead.
 */
const APPLYING = /^schemaguard(?:-cfn)?$/;

/** The file schemaguard's session runs: named by the comment heading its message, or (a no-transaction file) its application_name. */
function fileOf(h: Holder): string | undefined {
  return workerFile(h.application ?? undefined, h.query_file ?? undefined);
}

function isMigration(h: Holder): boolean {
  return (h.application !== null && APPLYING.test(h.application)) || fileOf(h) !== undefined;
}

/** "a migration is running: schemaguard applies 0002_x.sql in pid 4242, in its transaction for 9 s, with ACCESS EXCLUSIVE on public.t". */
function migrationText(h: Holder): string {
  const age = h.xact_age_seconds === null ? '' : `, in its transaction for ${h.xact_age_seconds} s,`;
  return `a migration is running: schemaguard applies ${fileOf(h) ?? 'migrations'} in pid ${h.pid}${age} with ACCESS EXCLUSIVE on ${relationsText(h)}`;
}

function relationsText(h: Holder): string {
  return firstFew(h.relations.split('\n'), 3);
}

/** Who a read waited for: the words, and whether a running migration holds the lock. */
export interface LockWait {
  text: string;
  /** A running migration holds (or queues for) the lock. */
  migration: boolean;
  /** Some session held or queued for ACCESS EXCLUSIVE when looked up. */
  found: boolean;
}

/**
 * "a lock held (ACCESS EXCLUSIVE) by pid … on public.t, and queued ahead of
 * it by pid …" — or, held by schemaguard applying migrations, "a lock held
 * by a migration (a migration is running: …)" — or that its holder had
 * ended by the time it was looked up. The session must be out of the failed
 * transaction.
 */
export async function lockWait(q: Queryable): Promise<LockWait> {
  const holders = await exclusiveHolders(q).catch(() => []);
  const held = holders.filter((h) => isTrue(h.granted));
  const migrations = held.filter(isMigration);
  const others = held.filter((h) => !isMigration(h));
  const queued = holders.filter((h) => !isTrue(h.granted));
  const who =
    [
      ...(migrations.length ? [`held by a migration (${migrations.map(migrationText).join('; ')})`] : []),
      ...(others.length ? [`held (ACCESS EXCLUSIVE) by ${others.map(holderText).join('; ')}`] : []),
      ...(queued.length
        ? [
            `queued ahead of it by ${queued.map((h) => (isMigration(h) ? `schemaguard applying migrations (pid ${h.pid}) on ${relationsText(h)}` : holderText(h))).join('; ')}`,
          ]
        : []),
    ].join(', and ') || 'whose holder had ended by the time it was looked up';
  return { text: `a lock ${who}`, migration: migrations.length > 0 || queued.some(isMigration), found: holders.length > 0 };
}
