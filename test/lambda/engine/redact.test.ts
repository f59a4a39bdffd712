import { describe, expect, it } from 'vitest';
import { maskUrl, Redactor } from '../../../lambda/engine/redact';
import { maskStatementSecrets } from '../../../lambda/engine/statement-secrets';

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

describe('Function: maskStatementSecrets', () => {
  // Regression (tester): ALTER ROLE nosuchrole PASSWORD 'S3cretPW' reached the CLI output, --json and the handler's log line whole.
  it.each([
    ["ALTER ROLE nosuchrole PASSWORD 'S3cretPW'", "ALTER ROLE nosuchrole PASSWORD '****'"],
    ["create user app with encrypted password 'S3cret''PW'", "create user app with encrypted password '****'"],
    ["ALTER USER app\n  PASSWORD\n  E'S3cret\\'PW' VALID UNTIL 'infinity'", "ALTER USER app\n  PASSWORD\n  E'****' VALID UNTIL 'infinity'"],
    ['CREATE ROLE app PASSWORD $q$S3cret\'PW$q$ LOGIN', 'CREATE ROLE app PASSWORD $q$****$q$ LOGIN'],
    ['CREATE ROLE app PASSWORD $$S3cretPW$$', 'CREATE ROLE app PASSWORD $$****$$'],
    ["CREATE ROLE app PASSWORD U&'S3cret\\0041'", "CREATE ROLE app PASSWORD U&'****'"],
    ["CREATE USER MAPPING FOR app SERVER s OPTIONS (user 'app', password 'S3cretPW')", "CREATE USER MAPPING FOR app SERVER s OPTIONS (user 'app', password '****')"],
    ["ALTER USER MAPPING FOR app SERVER s OPTIONS (SET \"password\" 'S3cretPW')", "ALTER USER MAPPING FOR app SERVER s OPTIONS (SET \"password\" '****')"],
    ["SELECT dblink_connect('host=db password=S3cretPW dbname=app')", "SELECT dblink_connect('host=db password=**** dbname=app')"],
    ["SELECT dblink_connect('host=db password = ''S3cret PW''')", "SELECT dblink_connect('host=db password = ****')"],
    // shortened for display, the literal cut: what is left of it is masked to the end
    ["ALTER ROLE app PASSWORD 'S3cr", "ALTER ROLE app PASSWORD '****'"],
    // serialised by JSON.stringify: the newline is \n
    [JSON.stringify("ALTER ROLE app\nPASSWORD\n'S3cretPW'"), JSON.stringify("ALTER ROLE app\nPASSWORD\n'****'")],
  ])('masks %j', (text, masked) => {
    expect(maskStatementSecrets(text)).toBe(masked);
  });

  it('leaves prose and statements without a password literal as they are', () => {
    for (const text of [
      'the server asks for a password and none was given',
      'SELECT id FROM users WHERE password_hash = crypt($1, password_hash)',
      'ALTER ROLE app PASSWORD NULL',
      "SET password_encryption = 'scram-sha-256'",
    ]) expect(maskStatementSecrets(text)).toBe(text);
  });
});

describe('Method: Redactor.learn', () => {
  // The server repeats an unquoted one: syntax error at or near "S3cretPW".
  it('masks where the server repeats a password of the statement, quoted or not', () => {
    const r = new Redactor().learn('CREATE ROLE app PASSWORD S3cretPW', { words: true });
    expect(r.redact('syntax error at or near "S3cretPW"')).toBe('syntax error at or near "****"');
    const q = new Redactor().learn("ALTER ROLE app PASSWORD E'S3cret\\'PW'");
    expect(q.redact(JSON.stringify({ statement: "PASSWORD E'S3cret\\'PW'", near: "S3cret\\'PW" }))).not.toContain('PW');
  });

  it('learns no word from prose: "a password and none" masked every "and"', () => {
    const r = new Redactor().learn('the server asks for a password and none was given', { words: true });
    expect(r.redact('this and that')).toBe('this and that');
    const v = new Redactor();
    expect(v.redactValue({ message: 'syntax error at or near "S3cretPW2"', statement: "CREATE ROLE a PASSWORD 'S3cretPW2'" }))
      .toEqual({ message: 'syntax error at or near "****"', statement: "CREATE ROLE a PASSWORD '****'" });
  });
});
