/** UTF-8 for migration files: decode, or refuse with the line and the bytes that are not UTF-8. */
import { InputError } from '../errors/errors';

/** Stateless between calls (no `stream` option), so one serves every file. */
const DECODER = new TextDecoder('utf-8', { fatal: true });

/** Decode bytes as UTF-8, refusing invalid sequences with the line they sit on. */
export function decodeUtf8(file: string, bytes: Uint8Array): string {
  try {
    return DECODER.decode(bytes);
  } catch (cause) {
    const offset = firstInvalidUtf8Offset(bytes);
    let line = 1;
    for (let k = 0; k < offset; k++) if (bytes[k] === 10) line++;
    const shown = Array.from(bytes.slice(offset, offset + 4))
      .map((b) => `0x${b.toString(16).padStart(2, '0')}`)
      .join(' ');
    throw new InputError(`${file}:${line}: not valid UTF-8 (bytes ${shown} at offset ${offset})`, {
      file,
      line,
      value: shown,
      cause,
      fix: utf8Fix(bytes),
    });
  }
}

/** How to make the file UTF-8: from UTF-16 when it starts with UTF-16's byte order mark (an editor's "Unicode"), else from Latin-1. */
export function utf8Fix(bytes: Uint8Array): string {
  const utf16 = bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf-16be' : undefined;
  return utf16
    ? `the file is UTF-16 (it starts with the byte order mark ${bytes[0] === 0xff ? 'FF FE' : 'FE FF'}): save it as UTF-8 (e.g. iconv -f ${utf16} -t utf-8)`
    : 'save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)';
}

function firstInvalidUtf8Offset(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const x = b[i];
    let need = 0;
    if (x < 0x80) {
      i++;
      continue;
    } else if (x >= 0xc2 && x <= 0xdf) need = 1;
    else if (x >= 0xe0 && x <= 0xef) need = 2;
    else if (x >= 0xf0 && x <= 0xf4) need = 3;
    else return i;
    for (let k = 1; k <= need; k++) {
      const y = b[i + k];
      if (y === undefined || (y & 0xc0) !== 0x80) return i;
    }
    i += need + 1;
  }
  return b.length;
}
