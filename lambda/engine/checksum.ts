import { createHash } from 'node:crypto';

/** CRLF and lone CR become LF, so a checkout on Windows does not change a checksum. */
export function normaliseLineEndings(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

/** sha-256 (hex) of the LF-normalised text. */
export function checksum(text: string): string {
  return createHash('sha256').update(normaliseLineEndings(text), 'utf8').digest('hex');
}

/** A short form for messages and tables. */
export function shortChecksum(sum: string): string {
  return sum.slice(0, 12);
}
