import { describe, expect, it } from 'vitest';
import { announcedPid, isPooled, isRdsProxyEndpoint, refuseNoTransaction } from '../../../../lambda/driver/pg/pooler';
import { PoolerError } from '../../../../lambda/engine/errors/errors';
import { parseMigration } from '../../../../lambda/engine/files/source';

const evidence = { target: 'postgres://app:****@pooler:6432/app', announcedPid: 1057729575, serverPid: 16737 };

describe('Function: isPooled', () => {
  it('a server announces the pid that then runs the statements; a pooler announces its own key', () => {
    expect(isPooled({ announcedPid: 4242, serverPid: 4242 })).toBe(false);
    expect(isPooled({ announcedPid: 1057729575, serverPid: 16737 })).toBe(true);
  });

  it('treats a connection that announced no pid as not one session (the lease is safe either way)', () => {
    expect(isPooled({ serverPid: 16737 })).toBe(true);
    expect(announcedPid({ processID: null })).toBeUndefined();
    expect(announcedPid({ processID: 77 })).toBe(77);
  });
});

describe('Function: refuseNoTransaction', () => {
  const tx = parseMigration('1_a.sql', 'CREATE TABLE a (id int);');
  const notx = parseMigration('2_idx.sql', '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY a_id ON a (id);');
  const notx2 = parseMigration('3_idx.sql', '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY a_id2 ON a (id);');

  it('lets transactional migrations through', () => {
    expect(() => refuseNoTransaction(evidence, [tx])).not.toThrow();
  });

  it('refuses a pending no-transaction file, naming it, the others, the pooler and the fix', () => {
    let e: unknown;
    try {
      refuseNoTransaction(evidence, [tx, notx, notx2]);
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(PoolerError);
    const err = e as PoolerError;
    expect(err.message).toBe(
      '2_idx.sql (and 3_idx.sql) is a no-transaction file, and postgres://app:****@pooler:6432/app goes through a connection pooler such as PgBouncer (it announced pid 1057729575 at connect, and its first statement ran in server pid 16737), so its server session may change between transactions: its statements run outside a transaction with session-level timeouts, which a pooler does not keep (a SET would stay behind for other clients of the pool); nothing was run',
    );
    expect(err.file).toBe('2_idx.sql');
    expect(err.exitCode).toBe(2);
    expect(err.fix).toContain('point --database-url (DATABASE_URL) at the database server itself');
  });
});

describe('Function: isRdsProxyEndpoint', () => {
  it.each([
    ['app.proxy-c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com', true],
    ['reader.endpoint.proxy-c1a2b3c4d5e6.us-east-1.rds.amazonaws.com', true],
    ['app.proxy-c1a2b3c4d5e6.cn-north-1.rds.amazonaws.com.cn', true],
    ['db.c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com', false],
    ['cluster.cluster-c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com', false],
    ['proxy-db.example.com', false],
  ])('%s: %s', (host, expected) => {
    expect(isRdsProxyEndpoint(host)).toBe(expected);
  });
});
