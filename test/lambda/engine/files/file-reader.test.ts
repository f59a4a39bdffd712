import { describe, expect, it } from 'vitest';
import { checksum } from '../../../../lambda/engine/files/checksum';
import { InputError } from '../../../../lambda/engine/errors/errors';
import { filePieces, lfByteSize, PieceIndex, piecesFrom } from '../../../../lambda/engine/files/file-reader';
import { addFile, tempDir } from '../../../support/files';

function read(bytes: string | Uint8Array, pieceBytes: number): { text: string; sum: string } {
  const path = `${tempDir({ '1_x.sql': bytes })}/1_x.sql`;
  const it = filePieces('1_x.sql', path, pieceBytes);
  let text = '';
  for (let r = it.next(); ; r = it.next()) {
    if (r.done) return { text, sum: r.value };
    text += r.value;
  }
}

function error(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected an InputError');
}

describe('Function: filePieces', () => {
  const text = "SELECT 'é€😀';\r\nSELECT 2;\rSELECT 3;\r\n";

  it('gives the LF-normalised text and its checksum, wherever the pieces are cut (CRLF and multi-byte characters across a cut)', () => {
    const normalised = "SELECT 'é€😀';\nSELECT 2;\nSELECT 3;\n";
    for (let size = 1; size <= Buffer.byteLength(text) + 1; size++) {
      expect(read(text, size), `pieces of ${size} bytes`).toEqual({ text: normalised, sum: checksum(normalised) });
    }
  });

  it('refuses a NUL byte with its line, in any piece', () => {
    for (const size of [3, 16, 1024]) {
      expect(error(() => read('SELECT 1;\nSELECT 2;\nSELECT \u0000;', size)).message).toBe('1_x.sql:3: contains a NUL byte');
    }
  });

  it('refuses bytes that are not UTF-8 with the message of a file read whole', () => {
    const bytes = Buffer.concat([Buffer.from("SELECT 1;\nSELECT '"), Buffer.from([0xe9]), Buffer.from("t';\n")]);
    expect(error(() => read(bytes, 4)).message).toBe('1_x.sql:2: not valid UTF-8 (bytes 0xe9 0x74 0x27 0x3b at offset 18)');
  });
});

describe('Function: piecesFrom', () => {
  // A BOM, CRLF, a lone CR, characters of 2, 3 and 4 bytes, so that some cut falls inside each, and a U+FEFF inside the text
  // (regression, review: a reading that began at it dropped it as a BOM, shifting the text by one).
  const text = "\ufeffSELECT 'é€😀';\r\nSELECT 2;\rSELECT \ufeff3;\r\n😀\r";
  // As a file read whole: its BOM dropped, the U+FEFF inside kept.
  const normalised = text.slice(1).replace(/\r\n?/g, '\n');
  const changed = () => new Error('changed');

  function indexed(bytes: string | Uint8Array, pieceBytes: number): { path: string; index: PieceIndex } {
    const path = `${tempDir({ '1_x.sql': bytes })}/1_x.sql`;
    const index = new PieceIndex();
    [...filePieces('1_x.sql', path, pieceBytes, index)];
    return { path, index };
  }

  it('reads the text again from the piece holding any character, equal to the text read whole, wherever the pieces were cut', () => {
    for (let size = 1; size <= Buffer.byteLength(text) + 1; size++) {
      const { path, index } = indexed(text, size);
      for (let offset = 0; offset <= normalised.length; offset++) {
        const pieces = [...piecesFrom(path, index, offset, changed)];
        const first = pieces[0]!.chars;
        expect(first, `pieces of ${size} bytes, from ${offset}`).toBeLessThanOrEqual(offset);
        expect(pieces.map((p) => p.text).join(''), `pieces of ${size} bytes, from ${offset}`).toBe(normalised.slice(first));
      }
    }
  });

  it('refuses a piece whose bytes changed since the file was read, including the bytes it took from the piece before', () => {
    const bytes = Buffer.from(text);
    const euro = bytes.indexOf(Buffer.from('€'));
    // Cut inside the euro sign: the piece after the cut begins with its first bytes, held over from the piece before.
    const { path, index } = indexed(bytes, euro + 1);
    const at = normalised.indexOf('€');
    expect([...piecesFrom(path, index, at, changed)].map((p) => p.text).join('')).toContain('€😀');
    const other = Buffer.from(bytes);
    other.set(Buffer.from('¢'), euro); // é's neighbour: two bytes where € had its first two
    addFile(path.replace(/\/1_x\.sql$/, ''), '1_x.sql', other);
    expect(() => [...piecesFrom(path, index, at, changed)]).toThrow('changed');
    addFile(path.replace(/\/1_x\.sql$/, ''), '1_x.sql', bytes);
    expect([...piecesFrom(path, index, at, changed)].map((p) => p.text).join('')).toContain('€😀');
  });

  it('refuses a file cut shorter since it was read', () => {
    const { path, index } = indexed(text, 8);
    addFile(path.replace(/\/1_x\.sql$/, ''), '1_x.sql', text.slice(0, 20));
    expect(() => [...piecesFrom(path, index, 0, changed)]).toThrow('changed');
  });
});

describe('Function: lfByteSize', () => {
  it('counts each CRLF as one byte, in whatever pieces it is read (a CR at the end of one, its LF at the start of the next); a lone CR stays one', () => {
    const text = 'SELECT 1;\r\nSELECT 2;\rSELECT 3;\r\n\r\n';
    const path = `${tempDir({ '1_x.sql': text })}/1_x.sql`;
    const lf = Buffer.byteLength(text.replace(/\r\n/g, '\n'));
    for (const piece of [1, 2, 3, 10, 11, 64]) expect(lfByteSize(path, text.length, text.length - 1, piece)).toBe(lf);
  });

  it('reads no file within its limit, or over twice it: its size on disk is returned', () => {
    expect(lfByteSize('/nonexistent', 10, 10)).toBe(10);
    expect(lfByteSize('/nonexistent', 21, 10)).toBe(21);
  });
});
