/**
 * Reading a large migration file in pieces, so that neither loading it nor
 * applying it holds the whole file: each piece is checked as UTF-8, freed of
 * NUL bytes, given LF line endings and hashed as it goes, and the sha-256 of
 * the whole (LF-normalised) text comes back at the end — the checksum
 * `checksum.ts` computes for a text held in memory.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { normaliseLineEndings } from './checksum';
import { InputError } from './errors';
import { decodeUtf8 } from './utf8';

/** Bytes read at a time. */
export const PIECE_BYTES = 64 * 1024;

/**
 * The text of `path` in pieces; the generator's return value is the
 * checksum. `file` names the file in errors (bad UTF-8, a NUL byte: the same
 * messages, with the same line, as for a file read whole).
 */
export function* filePieces(file: string, path: string, pieceBytes = PIECE_BYTES): Generator<string, string, undefined> {
  const fd = openSync(path, 'r');
  try {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(pieceBytes);
    let lines = 0;
    let pendingCr = false;
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      const last = n === 0;
      let text: string;
      try {
        text = decoder.decode(buffer.subarray(0, n), { stream: !last });
      } catch {
        // The precise message (line, offset, bytes) needs the bytes around the error: read them once more.
        decodeUtf8(file, readFileSync(path));
        throw new InputError(`${file}: not valid UTF-8`, { file, fix: 'save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)' });
      }
      // A CR at the end of a piece may be the first half of a CRLF.
      if (pendingCr) text = `\r${text}`;
      pendingCr = !last && text.endsWith('\r');
      if (pendingCr) text = text.slice(0, -1);
      text = normaliseLineEndings(text);
      refuseNul(file, text, lines);
      hash.update(text, 'utf8');
      if (text.length > 0) yield text;
      if (last) return hash.digest('hex');
      lines += newlines(text, text.length);
    }
  } finally {
    closeSync(fd);
  }
}

/** Refuse a NUL byte with its line (`linesBefore`: newlines in the text before this piece). */
export function refuseNul(file: string, text: string, linesBefore: number): void {
  const at = text.indexOf('\u0000');
  if (at < 0) return;
  const line = linesBefore + newlines(text, at) + 1;
  throw new InputError(`${file}:${line}: contains a NUL byte`, { file, line, fix: 'save the file as plain UTF-8 text' });
}

/** Newlines in `text` before `end`. */
export function newlines(text: string, end: number): number {
  let n = 0;
  for (let k = text.indexOf('\n'); k >= 0 && k < end; k = text.indexOf('\n', k + 1)) n++;
  return n;
}

/**
 * The size of the file at `path` as schemaguard reads it: each CRLF counted
 * as one byte, as the LF text its checksum is of, so that a CRLF checkout
 * (git's autocrlf) of a file counts as the file does. `size` is its size on
 * disk: a file no larger than `limit`, or larger than twice it (a CRLF is two
 * bytes of one), is not read, and its size on disk is returned.
 */
export function lfByteSize(path: string, size: number, limit: number, pieceBytes = PIECE_BYTES): number {
  if (size <= limit || size > 2 * limit) return size;
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(pieceBytes);
    let pairs = 0;
    let crBefore = false;
    for (let n = readSync(fd, buffer, 0, buffer.length, null); n > 0; n = readSync(fd, buffer, 0, buffer.length, null)) {
      if (crBefore && buffer[0] === 0x0a) pairs++;
      for (let k = buffer.indexOf(0x0d); k >= 0 && k < n - 1; k = buffer.indexOf(0x0d, k + 1)) if (buffer[k + 1] === 0x0a) pairs++;
      crBefore = buffer[n - 1] === 0x0d;
    }
    return size - pairs;
  } finally {
    closeSync(fd);
  }
}
