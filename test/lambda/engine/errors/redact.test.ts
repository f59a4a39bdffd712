import { describe, expect, it } from 'vitest';
import { maskUrl, Redactor } from '../../../../lambda/engine/errors/redact';
import { maskStatementSecrets } from '../../../../lambda/engine/errors/statement-secrets';

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

    expect(r.redact(`cannot connect to ${target}: password authentication failed for user "postgres"`)).toBe(
      'cannot connect to postgres://postgres@127.0.0.1:5432/app?password=****: password authentication failed for user "postgres"',
    );
    expect(r.redact(`cannot connect to ${target}`)).toBe(`cannot connect to ${target}`);
    expect(r.redact('postgres://h/app?password=hunter22: failed')).toBe('postgres://h/app?password=**** failed');
    expect(r.redact('postgres://h/app?password=****x:y failed')).toBe('postgres://h/app?password=**** failed');
  });

  it('removes registered secrets, raw and URL-encoded, from text and values', () => {
    const r = new Redactor().add('p@ss word!');
    expect(r.redact('auth failed for p@ss word! and p%40ss%20word!')).toBe('auth failed for **** and ****');
    expect(r.redactValue({ message: 'x p@ss word!', password: 'anything', nested: ['p@ss word!'] })).toEqual({
      message: 'x ****',
      password: '****',
      nested: ['****'],
    });
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
    ["CREATE ROLE app PASSWORD $q$S3cret'PW$q$ LOGIN", 'CREATE ROLE app PASSWORD $q$****$q$ LOGIN'],
    ['CREATE ROLE app PASSWORD $$S3cretPW$$', 'CREATE ROLE app PASSWORD $$****$$'],
    ["CREATE ROLE app PASSWORD U&'S3cret\\0041'", "CREATE ROLE app PASSWORD U&'****'"],
    [
      "CREATE USER MAPPING FOR app SERVER s OPTIONS (user 'app', password 'S3cretPW')",
      "CREATE USER MAPPING FOR app SERVER s OPTIONS (user 'app', password '****')",
    ],
    ['ALTER USER MAPPING FOR app SERVER s OPTIONS (SET "password" \'S3cretPW\')', 'ALTER USER MAPPING FOR app SERVER s OPTIONS (SET "password" \'****\')'],
    ["SELECT dblink_connect('host=db password=S3cretPW dbname=app')", "SELECT dblink_connect('host=db password=**** dbname=app')"],
    ["SELECT dblink_connect('host=db password = ''S3cret PW''')", "SELECT dblink_connect('host=db password = ****')"],
    // shortened for display, the literal cut: what is left of it is masked to the end
    ["ALTER ROLE app PASSWORD 'S3cr", "ALTER ROLE app PASSWORD '****'"],
    // serialised by JSON.stringify: the newline is \n
    [JSON.stringify("ALTER ROLE app\nPASSWORD\n'S3cretPW'"), JSON.stringify("ALTER ROLE app\nPASSWORD\n'****'")],
    // Regression: of two literals after PASSWORD only the first was masked (a syntax error on one line; joined into one across lines).
    ["CREATE ROLE app PASSWORD 'S3cretOne' 'S3cretTwo'", "CREATE ROLE app PASSWORD '****' '****'"],
    ["ALTER ROLE app PASSWORD 'S3cretOne'\n  'S3cretTwo' VALID UNTIL 'infinity'", "ALTER ROLE app PASSWORD '****'\n  '****' VALID UNTIL 'infinity'"],
    [JSON.stringify("ALTER ROLE app PASSWORD 'S3cretOne'\n'S3cretTwo'"), JSON.stringify("ALTER ROLE app PASSWORD '****'\n'****'")],
    ["CREATE ROLE app PASSWORD E'S3cret\\'One' $$S3cretTwo$$", "CREATE ROLE app PASSWORD E'****' $$****$$"],
    // a comment between the word and its literal
    ["ALTER ROLE app PASSWORD /* rotated */ 'S3cretPW'", "ALTER ROLE app PASSWORD /* rotated */ '****'"],
    ["ALTER ROLE app PASSWORD -- rotated\n  'S3cretPW'", "ALTER ROLE app PASSWORD -- rotated\n  '****'"],
    [JSON.stringify("ALTER ROLE app PASSWORD -- rotated\n'S3cretPW'"), JSON.stringify("ALTER ROLE app PASSWORD -- rotated\n'****'")],
    // no space between the word and its literal, in a role statement
    ["1_role.sql:1  -  ALTER ROLE app PASSWORD'S3cretPW'", "1_role.sql:1  -  ALTER ROLE app PASSWORD'****'"],
    // Regression: a user mapping's password'…' without a space was left whole where the text did not hold the statement's start on one line
    // (a comment or a newline between CREATE and USER, a ';' in an earlier option, an excerpt), and a second literal after PASSWORD'…' too.
    [
      "CREATE USER MAPPING FOR app SERVER s OPTIONS (user 'app', password'S3cretPW')",
      "CREATE USER MAPPING FOR app SERVER s OPTIONS (user 'app', password'****')",
    ],
    [
      "CREATE /* reports */ USER MAPPING FOR app SERVER s OPTIONS (password'S3cretPW')",
      "CREATE /* reports */ USER MAPPING FOR app SERVER s OPTIONS (password'****')",
    ],
    [
      "create user mapping for app server s options (user 'a;b', password'S3cretPW')",
      "create user mapping for app server s options (user 'a;b', password'****')",
    ],
    ["ALTER USER MAPPING FOR app SERVER s OPTIONS (SET \"password\"E'S3cret\\'PW')", 'ALTER USER MAPPING FOR app SERVER s OPTIONS (SET "password"E\'****\')'],
    [
      JSON.stringify("CREATE\nUSER MAPPING FOR app SERVER s OPTIONS (ADD password'S3cretPW')"),
      JSON.stringify("CREATE\nUSER MAPPING FOR app SERVER s OPTIONS (ADD password'****')"),
    ],
    ["1_map.sql:2  -  OPTIONS (user 'app', password'S3cretPW')", "1_map.sql:2  -  OPTIONS (user 'app', password'****')"],
    ["CREATE ROLE app LOGIN PASSWORD'S3cretOne' 'S3cretTwo'", "CREATE ROLE app LOGIN PASSWORD'****' '****'"],
    ["the password's rotated: ALTER ROLE app PASSWORD 'S3cretPW'", "the password's rotated: ALTER ROLE app PASSWORD '****'"],
  ])('masks %j', (text, masked) => {
    expect(maskStatementSecrets(text)).toBe(masked);
  });

  it('leaves prose and statements without a password literal as they are', () => {
    for (const text of [
      'the server asks for a password and none was given',
      'SELECT id FROM users WHERE password_hash = crypt($1, password_hash)',
      'ALTER ROLE app PASSWORD NULL',
      "SET password_encryption = 'scram-sha-256'",
      "the password's length is checked -- by 'the server'",
      "ALTER ROLE app PASSWORD NULL VALID UNTIL 'infinity'",
      "the password's length (and the 'user' name) are checked",
    ])
      expect(maskStatementSecrets(text)).toBe(text);
  });

  it('masks in linear time a long text of "password" followed by comments that never end in a literal (a comment rescanned from every one: quadratic)', () => {
    for (const text of [
      'password -- '.repeat(30_000),
      'password /* '.repeat(30_000),
      'password /* x */ '.repeat(20_000),
      'alter role password '.repeat(20_000),
      "the password's ".repeat(20_000),
    ]) {
      const started = performance.now();
      expect(maskStatementSecrets(text)).toBe(text);
      new Redactor().learn(text, { words: true }).redact(text);
      // Milliseconds when linear; the bound only separates that from quadratic (~30 s for the first).
      expect(performance.now() - started).toBeLessThan(5_000);
    }
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

  // Regression: the server repeats the second of two literals after PASSWORD (syntax error at or near "'S3cretTwo'"), which was not learned.
  it("learns every literal after PASSWORD, one continuing another, and one written without a space (PASSWORD'S3cret')", () => {
    const r = new Redactor().learn("CREATE ROLE app PASSWORD 'S3cretOne' 'S3cretTwo'", { words: true });
    expect(r.redact('syntax error at or near "\'S3cretTwo\'"')).toBe('syntax error at or near "\'****\'"');
    const tight = new Redactor().learn("ALTER ROLE app PASSWORD'S3cretPW' junk", { words: true });
    expect(tight.redact("statement: ALTER ROLE app PASSWORD'S3cretPW' junk")).toBe("statement: ALTER ROLE app PASSWORD'****' junk");
    expect(new Redactor().learn("the password's length", { words: true }).redact("the password's length")).toBe("the password's length");
    // Regression: without a space, a user mapping's password was learned only from a text that started as a role statement.
    const mapping = new Redactor().learn("OPTIONS (user 'app', password'S3cretPW')");
    expect(mapping.redact('value "S3cretPW" is refused')).toBe('value "****" is refused');
  });

  it('learns no word from prose: "a password and none" masked every "and"', () => {
    const r = new Redactor().learn('the server asks for a password and none was given', { words: true });
    expect(r.redact('this and that')).toBe('this and that');
    const v = new Redactor();
    expect(v.redactValue({ message: 'syntax error at or near "S3cretPW2"', statement: "CREATE ROLE a PASSWORD 'S3cretPW2'" })).toEqual({
      message: 'syntax error at or near "****"',
      statement: "CREATE ROLE a PASSWORD '****'",
    });
  });
});
