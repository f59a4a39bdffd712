/**
 * A migration's checksum is the sha-256 of its LF-normalised text as UTF-8:
 * what Node's one-shot hash gives is what a Hash object gives, byte for byte,
 * so state rows written by earlier versions still match.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checksum } from '../../../../lambda/engine/files/checksum';

const reference = (text: string) => createHash('sha256').update(text.replace(/\r\n?/g, '\n'), 'utf8').digest('hex');

describe('Function: checksum', () => {
  it.each([
    ['empty', ''],
    ['ASCII', 'CREATE TABLE a (id int);\n'],
    ['non-ASCII and astral characters', "INSERT INTO t VALUES ('straße', 'Ω', '😀');\n"],
    ['CRLF and lone CR', 'CREATE TABLE a (id int);\r\nSELECT 1;\rSELECT 2;\r\n'],
    ['a lone surrogate (written as U+FFFD, as Buffer.from does)', "SELECT '\ud800';"],
  ])('%s: the sha-256 of the LF-normalised UTF-8 text', (_name, text) => {
    expect(checksum(text)).toBe(reference(text));
    expect(checksum(text)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is the same for a file written with CRLF and with LF', () => {
    expect(checksum('SELECT 1;\r\nSELECT 2;\r\n')).toBe(checksum('SELECT 1;\nSELECT 2;\n'));
    // `printf 'SELECT 1;\n' | sha256sum`
    expect(checksum('SELECT 1;\r\n')).toBe('b4e0497804e46e0a0b0b8c31975b062152d551bac49c3c2e80932567b4085dcd');
  });
});
