/**
 * The CLI bundle's stand-in for pg's lib/crypto/utils.js gives pg's SASL and
 * MD5 code the same bytes as pg's own Web Crypto version.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli';

type Utils = {
  randomBytes(length: number): Buffer;
  md5(text: string): Promise<string>;
  postgresMd5PasswordHash(user: string, password: string, salt: Buffer): Promise<string>;
  sha256(data: ArrayBuffer | Buffer): Promise<ArrayBuffer | Buffer>;
  hashByName(name: string, data: Buffer): Promise<ArrayBuffer | Buffer>;
  hmacSha256(key: ArrayBuffer | Buffer, message: string): Promise<ArrayBuffer | Buffer>;
  deriveKey(password: string, salt: Buffer, iterations: number): Promise<ArrayBuffer | Buffer>;
};

const require = createRequire(import.meta.url);
const ours = require(join(ROOT, 'scripts', 'pg-node-crypto.cjs')) as Utils;
const pgs = require(join(ROOT, 'node_modules', 'pg', 'lib', 'crypto', 'utils.js')) as Utils;
const bytes = (x: ArrayBuffer | Buffer) => Buffer.from(x as ArrayBuffer).toString('hex');

describe('scripts/pg-node-crypto.cjs', () => {
  it('exports what pg exports', () => {
    expect(Object.keys(ours).sort()).toEqual(Object.keys(pgs).sort());
  });

  it('derives the SCRAM keys pg derives (a non-ASCII password, 4096 iterations)', async () => {
    const salt = Buffer.from('c2FsdHlzYWx0eXNhbHQ=', 'base64');
    const [a, b] = [await ours.deriveKey('pässwörd-Ω', salt, 4096), await pgs.deriveKey('pässwörd-Ω', salt, 4096)];
    expect(bytes(a)).toBe(bytes(b));
    expect(bytes(a)).toHaveLength(64);
    const [ka, kb] = [await ours.hmacSha256(a, 'Client Key'), await pgs.hmacSha256(b, 'Client Key')];
    expect(bytes(ka)).toBe(bytes(kb));
    expect(bytes(await ours.sha256(ka))).toBe(bytes(await pgs.sha256(kb)));
  });

  it("derives a key once per password, salt and round count: the same bytes again, and never another password's", async () => {
    const salt = Buffer.from('YW5vdGhlcnNhbHQ=', 'base64');
    const first = await ours.deriveKey('secret-1', salt, 4096);
    const again = await ours.deriveKey('secret-1', salt, 4096);
    expect(bytes(again)).toBe(bytes(first));
    expect(bytes(again)).toBe(bytes(await pgs.deriveKey('secret-1', salt, 4096)));
    // A caller that changes the buffer it got does not change the next one.
    (again as Buffer).fill(0);
    expect(bytes(await ours.deriveKey('secret-1', salt, 4096))).toBe(bytes(first));
    for (const [password, s, n] of [
      ['secret-2', salt, 4096],
      ['secret-1', Buffer.from('b3RoZXI=', 'base64'), 4096],
      ['secret-1', salt, 4097],
    ] as const) {
      expect(bytes(await ours.deriveKey(password, s, n)), `${password} ${n}`).toBe(bytes(await pgs.deriveKey(password, s, n)));
    }
    // After other entries pushed it out of the cache, still the same bytes.
    for (let k = 0; k < 6; k++) await ours.deriveKey(`other-${k}`, salt, 4096);
    expect(bytes(await ours.deriveKey('secret-1', salt, 4096))).toBe(bytes(first));
  });

  it('hashes by the Web Crypto names pg passes for channel binding', async () => {
    const cert = Buffer.from('a certificate, as bytes');
    for (const name of ['SHA-256', 'SHA-384', 'SHA-512']) {
      expect(bytes(await ours.hashByName(name, cert)), name).toBe(bytes(await pgs.hashByName(name, cert)));
    }
  });

  it('makes the MD5 password hash pg makes, and random bytes of the length asked', async () => {
    const salt = Buffer.from([1, 2, 3, 4]);
    expect(await ours.postgresMd5PasswordHash('app', 'secret', salt)).toBe(await pgs.postgresMd5PasswordHash('app', 'secret', salt));
    expect(await ours.md5('text')).toBe(await pgs.md5('text'));
    expect(ours.randomBytes(18)).toHaveLength(18);
    expect(ours.randomBytes(18).equals(ours.randomBytes(18))).toBe(false);
  });

  it("is what the built CLI bundle has in place of pg's", () => {
    const bundle = readFileSync(join(ROOT, 'dist', 'schemaguard.cjs'), 'utf8');
    expect(bundle.match(/crypto\d*\.pbkdf2Sync\(password, salt, iterations, 32, ["']sha256["']\)/g)).toHaveLength(1);
    expect(bundle).not.toContain('subtleCrypto.deriveBits');
  });
});
