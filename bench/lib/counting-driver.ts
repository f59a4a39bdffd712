/**
 * A Driver that wraps another and counts what crosses the wire: connections
 * opened and round trips (each query, BEGIN, COMMIT, ROLLBACK or SET is one
 * message exchange with the server).
 */
import { AdvisoryLock } from '../../lambda/driver/pg/advisory-lock';
import type { Driver, LockOptions, MigrationLock, QueryResult, Session, SessionCapabilities, TransactionSettings } from '../../lambda/engine/ports';

export class CountingDriver implements Driver {
  connections = 0;
  roundTrips = 0;
  /** Each round trip's SQL, whitespace folded, cut to 80 characters. */
  readonly statements: string[] = [];
  /** Each round trip's SQL as sent. */
  readonly texts: string[] = [];
  /** Scripts written and not yet answered, now and at most (more than one where the session pipelines). */
  inFlight = 0;
  maxInFlight = 0;

  constructor(private readonly inner: Driver) {}

  get kind(): string {
    return this.inner.kind;
  }
  get target(): string {
    return this.inner.target;
  }

  async connect(): Promise<Session> {
    const s = await this.inner.connect();
    this.connections++;
    // The driver's own `SELECT pg_backend_pid()` on connect.
    this.roundTrips++;
    return new CountingSession(s, this);
  }

  createLock(options: LockOptions): MigrationLock {
    // The advisory lock opens its session through this driver, so its queries count too.
    return this.inner.kind === 'pg' ? new AdvisoryLock(this, options.stateSchema) : this.inner.createLock(options);
  }

  end(): Promise<void> {
    return this.inner.end();
  }

  count(what: string): void {
    this.roundTrips++;
    this.texts.push(what);
    this.statements.push(what.replace(/\s+/g, ' ').trim().slice(0, 80));
  }
}

class CountingSession implements Session {
  beginWith?: Session['beginWith'];
  commitWith?: Session['commitWith'];
  script?: Session['script'];
  resetSql?: Session['resetSql'];

  constructor(
    private readonly inner: Session,
    private readonly counter: CountingDriver,
  ) {
    // The fast paths exist here exactly when the wrapped session has them.
    if (inner.beginWith)
      this.beginWith = (s, sql) => {
        this.counter.count(`BEGIN; SET LOCAL …; ${sql}`);
        return inner.beginWith!(s, sql);
      };
    if (inner.commitWith)
      this.commitWith = (sql) => {
        this.counter.count(`${sql.replace(/\s+/g, ' ').slice(0, 60)}…; COMMIT`);
        return inner.commitWith!(sql);
      };
    if (inner.script) {
      this.script = (sql, keep, onNotice) => {
        this.counter.count(sql.join(''));
        this.counter.maxInFlight = Math.max(this.counter.maxInFlight, ++this.counter.inFlight);
        return inner.script!(sql, keep, onNotice).finally(() => {
          this.counter.inFlight--;
        });
      };
    }
    // SQL only: it crosses the wire inside another call, which counts it.
    if (inner.resetSql) this.resetSql = (within) => inner.resetSql!(within);
  }
  get pid(): number | undefined {
    return this.inner.pid;
  }
  get capabilities(): SessionCapabilities {
    return this.inner.capabilities;
  }
  get broken(): boolean {
    return this.inner.broken;
  }
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    this.counter.count(sql);
    return this.inner.query<R>(sql, params);
  }
  begin(s: TransactionSettings): Promise<void> {
    this.counter.count('BEGIN; SET LOCAL …');
    return this.inner.begin(s);
  }
  commit(): Promise<void> {
    this.counter.count('COMMIT');
    return this.inner.commit();
  }
  rollback(): Promise<void> {
    this.counter.count('ROLLBACK');
    return this.inner.rollback();
  }
  setTimeouts(s: TransactionSettings): Promise<void> {
    this.counter.count('SET lock_timeout …');
    return this.inner.setTimeouts(s);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
