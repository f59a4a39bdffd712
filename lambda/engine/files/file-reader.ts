/**
 * Reading a large migration file in pieces, so that neither loading it nor
 * applying it holds the whole file: each piece is checked as UTF-8, freed of
 * NUL bytes, given LF line endings and hashed as it goes, and the sha-256 of
 * the whole (LF-normalised) text comes back at the end — the checksum
 * `checksum.ts` computes for a text held in memory.
 *
 * A `PieceIndex` filled while a file is read lets part of its text be read
 * again from the piece that holds it (`piecesFrom`), checked against that
 * piece's digest, not the whole file again.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { normaliseLineEndings } from './checksum';
import { InputError } from '../errors/errors';
import { decodeUtf8 } from './utf8';

/** Bytes read at a time. */
export const PIECE_BYTES = 64 * 1024;

/**
 * The text of `path` in pieces; the generator's return value is the
 * checksum. `file` names the file in errors (bad UTF-8, a NUL byte: the same
 * messages, with the same line, as for a file read whole).
 */
export function* filePieces(file: string, path: string, pieceBytes = PIECE_BYTES, index?: PieceIndex): Generator<string, string, undefined> {
  const fd = openSync(path, 'r');
  try {
    const pieces = new PieceText();
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(pieceBytes);
    let lines = 0;
    /** Bytes read so far; characters of text handed out so far. */
    let read = 0;
    let chars = 0;
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      const last = n === 0;
      const held = pieces.held;
      let text: string;
      try {
        text = pieces.next(buffer.subarray(0, n), last);
      } catch {
        // The precise message (line, offset, bytes) needs the bytes around the error: read them once more.
        decodeUtf8(file, readFileSync(path));
        throw new InputError(`${file}: not valid UTF-8`, { file, fix: 'save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)' });
      }
      refuseNul(file, text, lines);
      hash.update(text, 'utf8');
      index?.add(chars, read - held.length, read + n, pieceDigest(held, buffer.subarray(0, n)));
      read += n;
      chars += text.length;
      if (text.length > 0) yield text;
      if (last) return hash.digest('hex');
      lines += newlines(text, text.length);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Bytes to LF text a piece at a time: a character cut between two pieces is
 * decoded with the second, and a CR at the end of one waits for the next (it
 * may be a CRLF's first half). `held`: the bytes of the pieces so far that
 * the next piece's text begins with.
 */
class PieceText {
  private readonly decoder: InstanceType<typeof TextDecoder>;
  private pendingCr = false;
  held: Uint8Array = EMPTY;

  /** `atStart`: the bytes begin the file, where a BOM is dropped (as a file read whole drops it); elsewhere a U+FEFF is text. */
  constructor(atStart = true) {
    this.decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: !atStart });
  }

  /** Throws the decoder's error on bytes that are not UTF-8. */
  next(bytes: Uint8Array, last: boolean): string {
    let text = this.decoder.decode(bytes, { stream: !last });
    if (this.pendingCr) text = `\r${text}`;
    this.pendingCr = !last && text.endsWith('\r');
    if (this.pendingCr) text = text.slice(0, -1);
    this.held = last ? EMPTY : heldBytes(this.held, bytes, this.pendingCr);
    return normaliseLineEndings(text);
  }
}

/**
 * Where each piece of a file began, as `filePieces` read it: its first
 * character in the (LF) text, the bytes it was made of (with those of the
 * piece before that it finished: a character's first bytes, a CR), and
 * their digest.
 */
export class PieceIndex {
  private readonly chars: number[] = [];
  private readonly from: number[] = [];
  private readonly to: number[] = [];
  private readonly digests: string[] = [];

  add(chars: number, from: number, to: number, digest: string): void {
    this.chars.push(chars);
    this.from.push(from);
    this.to.push(to);
    this.digests.push(digest);
  }

  /** The last piece starting at or before character `offset`. */
  pieceAt(offset: number): number {
    let lo = 0;
    let hi = this.chars.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.chars[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  get length(): number {
    return this.chars.length;
  }

  piece(k: number): { chars: number; from: number; to: number; digest: string } {
    return { chars: this.chars[k], from: this.from[k], to: this.to[k], digest: this.digests[k] };
  }
}

/**
 * The text of the file from the piece holding character `offset` on, as
 * `filePieces` gave it when it filled `index` (each piece's first character
 * is given with it). A piece whose text is not the one read then — the file
 * changed — ends the reading with `changed()`'s error.
 */
export function* piecesFrom(
  path: string,
  index: PieceIndex,
  offset: number,
  changed: () => Error,
): Generator<{ text: string; chars: number }, void, undefined> {
  const fd = openSync(path, 'r');
  try {
    const first = index.pieceAt(offset);
    const pieces = new PieceText(index.piece(first).from === 0);
    /** Where the piece before ended. */
    let at: number | undefined;
    for (let k = first; k < index.length; k++) {
      const p = index.piece(k);
      // The first piece from the bytes it took from the one before on; the next ones where the one before ended, as the file was read.
      const bytes = Buffer.allocUnsafe(p.to - (at ?? p.from));
      const n = readSync(fd, bytes, 0, bytes.length, at ?? p.from);
      if (n !== bytes.length || pieceDigest(pieces.held, bytes) !== p.digest) throw changed();
      at = p.to;
      let text: string;
      try {
        text = pieces.next(bytes, k === index.length - 1);
      } catch {
        throw changed();
      }
      yield { text, chars: p.chars };
    }
  } finally {
    closeSync(fd);
  }
}

const EMPTY = Buffer.alloc(0);

/** The digest of a piece's bytes: those it took from the piece before, then its own. */
function pieceDigest(held: Uint8Array, own: Uint8Array): string {
  return createHash('sha256').update(held).update(own).digest('base64');
}

/**
 * The bytes at the end of what was read (`held` from before, then `own`)
 * that the next piece's text begins with: a character not complete in them
 * (the decoder holds it), and before it the CR held back (`cr`).
 */
function heldBytes(held: Uint8Array, own: Uint8Array, cr: boolean): Buffer {
  // A character is at most 4 bytes: the incomplete one and the CR lie in the last 4.
  const tail = Buffer.concat([held.subarray(Math.max(0, held.length - 4 + own.length)), own.subarray(Math.max(0, own.length - 4))]);
  let carried = 0;
  for (let k = tail.length - 1; k >= Math.max(0, tail.length - 3); k--) {
    const b = tail[k];
    if ((b & 0xc0) === 0x80) continue;
    const size = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    carried = k + size > tail.length ? tail.length - k : 0;
    break;
  }
  return Buffer.from(tail.subarray(tail.length - carried - (cr ? 1 : 0)));
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
