/**
 * Connections kept between the tenants of a fleet in one database: a
 * session a tenant's run closes is reset and kept, and the next tenant's
 * driver takes it instead of connecting again (a new server process,
 * authentication, and catalog caches that start cold, for every tenant).
 *
 * A kept connection carries nothing of its last tenant: it is given back
 * only after `DISCARD ALL` succeeded, which also refuses to run inside a
 * transaction block, so a connection left in a transaction is closed
 * instead. DISCARD ALL is what a new connection would be: every setting
 * (the tenant's search_path, a file's SET or set_config) back to the
 * connection's defaults, the role and session user back to the login,
 * session advisory locks released, prepared statements, cursors,
 * temporary tables, LISTEN and sequence state gone. The next tenant's
 * driver then sets its own search_path (from a parameter) and what else it
 * sets on a new connection.
 */
import type { Client } from 'pg';

/** What a connection's first round trip learned, kept with it (it cannot change while the connection lives). */
export interface KeptIdentity {
  pid: number;
  serverVersion: number;
  standardStrings: boolean;
  /** client_connection_check_interval was set on it (PostgreSQL 14+): set again on reuse, DISCARD ALL resets it. */
  checkInterval: boolean;
}

export interface KeptConnection {
  client: Client;
  identity: KeptIdentity;
}

/**
 * Connections kept between drivers of one server, database and user (a
 * fleet's tenant schemas): give it to each driver as `sessions`, and `end`
 * it after the last.
 */
export class PgSessionPool {
  private readonly idle: { kept: KeptConnection; drop: () => void }[] = [];
  private ended = false;
  /** Connections taken again instead of opened: the connections (and logins) the pool saved. */
  reused = 0;

  /** A kept connection, or undefined to open a new one (the driver's). @internal */
  take(): KeptConnection | undefined {
    const entry = this.idle.pop();
    if (!entry) return undefined;
    this.reused++;
    entry.kept.client.off('error', entry.drop).off('end', entry.drop);
    return entry.kept;
  }

  /**
   * `client` reset (DISCARD ALL) and kept for the next taker; closed when
   * the reset fails (a connection in a transaction block, a lost one) or
   * the pool has ended (the driver's).
   * @internal
   */
  async giveBack(kept: KeptConnection): Promise<void> {
    try {
      if (this.ended) throw new Error('the pool has ended');
      await kept.client.query('DISCARD ALL');
    } catch {
      await kept.client.end().catch(() => undefined);
      return;
    }
    // A kept connection whose backend ends (terminated, the network) must not crash the process, nor be taken.
    const entry = {
      kept,
      drop: () => {
        const at = this.idle.indexOf(entry);
        if (at >= 0) this.idle.splice(at, 1);
      },
    };
    kept.client.on('error', entry.drop).on('end', entry.drop);
    if (this.ended) await kept.client.end().catch(() => undefined);
    else this.idle.push(entry);
  }

  /** Closes every kept connection; connections given back later are closed then. */
  async end(): Promise<void> {
    this.ended = true;
    const all = this.idle.splice(0);
    await Promise.all(all.map((e) => e.kept.client.end().catch(() => undefined)));
  }
}
