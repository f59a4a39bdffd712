/**
 * Recognising a connection that is not one server session: a pooler
 * (PgBouncer with pool_mode=transaction, and the hosted poolers that copy
 * it) hands each transaction to whichever server connection is free.
 * Session-level state — an advisory lock, a `SET`, the backend pid a
 * watcher samples — then belongs to a server connection the client no
 * longer owns, and the next statement may run without it.
 *
 * The signature: PostgreSQL announces its backend's pid in BackendKeyData
 * when a connection starts, and `pg_backend_pid()` returns the same number.
 * A pooler announces a key of its own (it routes cancel requests itself,
 * because the client is not tied to one server process), so the two differ.
 * A proxy that only forwards bytes (an SSH tunnel, HAProxy, a port-forward)
 * keeps them equal, and so does the one session behind it. Checked on every
 * connection before its first statement of work; the advisory lock also
 * checks the pid in each of its statements (`advisory-lock.ts`).
 *
 * A pooler in session mode would keep the session, but a client cannot tell
 * the modes apart (with no other traffic, transaction pooling reuses the same
 * server connection too), so every pooler is treated as transaction pooling.
 */
import { PoolerError } from '../../engine/errors/errors';
import { runsOutsideTransaction, type Migration } from '../../engine/files/source';

/** What one connection's start-up said about the server session behind it. */
export interface SessionIdentity {
  /** The pid announced in BackendKeyData at connect (undefined if none was sent). */
  announcedPid?: number;
  /** `pg_backend_pid()` of the first statement. */
  serverPid: number;
}

/** A connection found to go through a pooler, for messages. */
export interface PoolerEvidence extends SessionIdentity {
  /** Where the connection points (masked URL). */
  target: string;
  /** Counted as pooled whatever its start-up said: said so (`--pooler`), or an RDS Proxy endpoint by its name. */
  declared?: 'declared' | 'rds-proxy';
}

/** An RDS Proxy endpoint's name (`name.proxy-abc123.eu-west-1.rds.amazonaws.com`, a custom endpoint's `….endpoint.proxy-…` too). */
export function isRdsProxyEndpoint(host: string): boolean {
  return /\.proxy-[a-z0-9]+\.[a-z0-9-]+\.rds\.amazonaws\.com(?:\.cn)?$/i.test(host);
}

/** True when the connection's server session is not fixed for its lifetime. */
export function isPooled(id: SessionIdentity): boolean {
  return id.announcedPid !== id.serverPid;
}

/** The announced pid of a node-postgres client after connect. */
export function announcedPid(client: unknown): number | undefined {
  const pid = (client as { processID?: number | null }).processID;
  return typeof pid === 'number' ? pid : undefined;
}

export function describePooler(p: PoolerEvidence): string {
  if (p.declared === 'rds-proxy')
    return `${p.target} is an RDS Proxy endpoint, which hands each transaction to whichever database connection is free (it pins a session only on some statements), so its server session may change between transactions`;
  if (p.declared === 'declared') return `${p.target} was declared a pooler or proxy (--pooler), so its server session may change between transactions`;
  const announced = p.announcedPid === undefined ? 'no server pid at connect' : `pid ${p.announcedPid} at connect`;
  return `${p.target} goes through a connection pooler such as PgBouncer (it announced ${announced}, and its first statement ran in server pid ${p.serverPid}), so its server session may change between transactions`;
}

export const DIRECT_URL_FIX =
  "point --database-url (DATABASE_URL) at the database server itself for migrations (e.g. port 5432, not the pooler's 6432); the application can keep using the pooler";

/**
 * No-transaction files run statement by statement outside a transaction with
 * session-level lock_timeout/statement_timeout: through a pooler the SET
 * would stay behind on a server connection other clients then use, and the
 * statements after it may run elsewhere without it. Refused before any runs.
 */
export function refuseNoTransaction(p: PoolerEvidence, pending: Migration[]): void {
  const files = pending.filter(runsOutsideTransaction);
  const first = files[0];
  if (!first) return;
  const more =
    files.length > 1
      ? ` (and ${files
          .slice(1)
          .map((m) => m.file)
          .join(', ')})`
      : '';
  throw new PoolerError(
    `${first.file}${more} is a no-transaction file, and ${describePooler(p)}: its statements run outside a transaction with session-level timeouts, which a pooler does not keep (a SET would stay behind for other clients of the pool); nothing was run`,
    { file: first.file, version: first.version, fix: DIRECT_URL_FIX },
  );
}
