import { describe, expect, it } from 'vitest';
import { alarmedUserNote, connectingUser } from '../../../../bin/cli/commands/alarmed-user';

describe('Function: alarmedUserNote', () => {
  it("regression: as the master user, guard and check name the guard role to use (their failing contract's 42P10 paged as OnConflictWithoutConstraint)", () => {
    const note = alarmedUserNote(new URL('postgres://postgres@db.example.com/app'), {}, 3);
    expect(note).toBe(
      'connected as "postgres": the database alarms count this user\'s ERROR lines (they leave out only users whose name starts with schemaguard_guard), ' +
        'and a failing contract logs the error the application would meet, which pages as that error class; ' +
        'connect as the guard role (schemaguard_guard_app by default; its password is in the guard role\'s secret) to page no one, or add "postgres" to DatabaseAlarms\' ignoredUsers',
    );
  });

  it('says nothing as a guard role, or without contracts (nothing that fails on purpose)', () => {
    expect(alarmedUserNote(new URL('postgres://schemaguard_guard_app@db/app'), {}, 3)).toBeUndefined();
    expect(alarmedUserNote(new URL('postgres://postgres@db/app'), {}, 0)).toBeUndefined();
  });

  it('names the pattern when the database name is not a plain lowercase one (the role name is folded and hashed then)', () => {
    expect(alarmedUserNote(new URL('postgres://app@db/Orders-EU'), {}, 1)).toContain('(schemaguard_guard_<database> by default;');
  });
});

describe('Function: connectingUser', () => {
  it("takes the URL's user, else PGUSER, else the operating-system user, as pg does", () => {
    expect(connectingUser(new URL('postgres://a%40b@h/d'), { PGUSER: 'x' })).toBe('a@b');
    expect(connectingUser(new URL('postgres://h/d'), { PGUSER: 'schemaguard_guard_d' })).toBe('schemaguard_guard_d');
    expect(connectingUser(new URL('postgres://h/d'), {}).length).toBeGreaterThan(0);
  });
});
