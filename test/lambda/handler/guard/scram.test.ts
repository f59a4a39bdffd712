/**
 * The SCRAM-SHA-256 verifier the guard role's password is stored as. The
 * vector below was written by PostgreSQL 15 itself (`CREATE ROLE vec PASSWORD
 * 'pencil-Str0ng!~'`, then pg_authid.rolpassword); given the same salt, the
 * function must produce the same text. (Logging in with the password is
 * proven on real servers by role.int.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { scramSha256Verifier, SCRAM_ITERATIONS } from '../../../../lambda/handler/guard/scram';

const POSTGRES_WROTE = 'SCRAM-SHA-256$4096:t9bEycV6tgTUyybnSXnXCg==$NdnXLYKea+j3VhTUF4bBqkGybzFHt+P7THZp/PKxq+w=:HyVjZNLfe44QNW2/rUmGOv01n4y/HrpxkO3DC+khpPY=';

describe('Function: scramSha256Verifier', () => {
  it('matches the verifier PostgreSQL stores for the same password and salt', () => {
    const salt = Buffer.from('t9bEycV6tgTUyybnSXnXCg==', 'base64');
    expect(scramSha256Verifier('pencil-Str0ng!~', salt)).toBe(POSTGRES_WROTE);
  });

  it("uses PostgreSQL's default iterations and a fresh 16-byte salt each time", () => {
    const a = scramSha256Verifier('pencil-Str0ng!~');
    const b = scramSha256Verifier('pencil-Str0ng!~');
    expect(SCRAM_ITERATIONS).toBe(4096);
    expect(a).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('pencil');
  });

  it('refuses a password that is not printable ASCII, without putting it in the message', () => {
    for (const bad of ['with space', 'naïve-password', 'tab\there', '']) {
      expect(() => scramSha256Verifier(bad)).toThrow(/not all printable ASCII without spaces/);
      try {
        scramSha256Verifier(bad);
      } catch (e) {
        if (bad) expect(String(e)).not.toContain(bad);
      }
    }
  });
});
