import * as crypto from 'node:crypto';

/** CRLF and lone CR become LF, so a checkout on Windows does not change a checksum. */
export function normaliseLineEndings(text: string): string {
  // A text without CR (most) is not scanned by the regular expression.
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

/**
 * Node's one-shot hash (Node.js 20.12+ and 21.7+; undefined before): the same
 * digest without a Hash object per call, several times faster over many small files.
 */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/** sha-256 (hex) of the LF-normalised text. */
export function checksum(text: string): string {
  const normalised = normaliseLineEndings(text);
  return oneShot ? oneShot('sha256', normalised, 'hex') : crypto.createHash('sha256').update(normalised, 'utf8').digest('hex');
}

/** A short form for messages and tables. */
export function shortChecksum(sum: string): string {
  return sum.slice(0, 12);
}
