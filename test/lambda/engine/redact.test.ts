import { describe, expect, it } from 'vitest';
import { maskUrl, Redactor } from '../../../lambda/engine/redact';

describe('Function: maskUrl', () => {
  it('masks the password of a URL and password= parameters', () => {
    expect(maskUrl('postgres://app:s3cr%40t@db:5432/app?sslmode=require')).toBe('postgres://app:****@db:5432/app?sslmode=require');
    expect(maskUrl('postgres://db/app?user=a&password=hunter22')).toBe('postgres://db/app?user=a&password=****');
  });

  it('masks the password of a URL written without its scheme (it echoed it as an "unsupported scheme")', () => {
    expect(maskUrl('app:Sup3r-Secret-1@localhost:5432/app')).toBe('app:****@localhost:5432/app');
    expect(maskUrl('app:p@ss@db/app')).toBe('app:****@db/app');
    expect(maskUrl('localhost:5432/app')).toBe('localhost:5432/app');
  });

  it('ends the password at the last @, as a URL parser does (it showed what followed an unencoded @), and masks password= keywords', () => {
    expect(maskUrl('postgres://app:p@ss@localhost:5497/db')).toBe('postgres://app:****@localhost:5497/db');
    expect(new URL('postgres://app:p@ss@localhost:5497/db').password).toBe('p%40ss');
    expect(maskUrl('postgres://app:pa/ss@h/db')).toBe('postgres://app:****@h/db');
    expect(maskUrl('postgres://app@h:5432/db')).toBe('postgres://app@h:5432/db');
    expect(maskUrl('postgres://u:my pass@host/db')).toBe('postgres://u:****@host/db');
    expect(new URL('postgres://u:my pass@host/db').password).toBe('my%20pass');
    expect(maskUrl('host=localhost password=s3cretPW dbname=app')).toBe('host=localhost password=**** dbname=app');
    expect(maskUrl("host=localhost password = 'a b\\'c' dbname=app")).toBe('host=localhost password = **** dbname=app');
  });
});

describe('Class: Redactor', () => {
  // Regression (newcomer): "cannot connect to …app?password=****: password authentication failed" lost its colon when redacted again.
  it('keeps the colon after a URL whose password= is masked already, and masks one that is not, colon and all', () => {
    const r = new Redactor();
    const target = maskUrl('postgres://postgres@127.0.0.1:5432/app?password=hunter22');

    expect(r.redact(`cannot connect to ${target}: password authentication failed for user "postgres"`))
      .toBe('cannot connect to postgres://postgres@127.0.0.1:5432/app?password=****: password authentication failed for user "postgres"');
    expect(r.redact(`cannot connect to ${target}`)).toBe(`cannot connect to ${target}`);
    expect(r.redact('postgres://h/app?password=hunter22: failed')).toBe('postgres://h/app?password=**** failed');
    expect(r.redact('postgres://h/app?password=****x:y failed')).toBe('postgres://h/app?password=**** failed');
  });

  it('removes registered secrets, raw and URL-encoded, from text and values', () => {
    const r = new Redactor().add('p@ss word!');
    expect(r.redact('auth failed for p@ss word! and p%40ss%20word!')).toBe('auth failed for **** and ****');
    expect(r.redactValue({ message: 'x p@ss word!', password: 'anything', nested: ['p@ss word!'] })).toEqual({ message: 'x ****', password: '****', nested: ['****'] });
  });

  it('masks a URL after 100 KB of letters in linear time (the scheme pattern was retried at every letter: quadratic, ~20 s)', () => {
    const run = 'd'.repeat(100_000);
    const r = new Redactor();
    const started = performance.now();
    expect(r.redact(`${run} postgres://u:pw-123@h/db`)).toBe(`${run} postgres://u:****@h/db`);
    expect(r.redact(`${run}postgres://u:pw-123@h/db`)).not.toContain('pw-123');
    // Milliseconds when linear; the bound only separates that from quadratic.
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
