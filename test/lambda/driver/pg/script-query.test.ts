import { describe, expect, it } from 'vitest';
import { messageBuffers } from '../../../../lambda/driver/pg/script-query';

const utf8 = (text: string) => Buffer.from(text, 'utf8');
const whole = (buffers: Uint8Array[]) => Buffer.concat(buffers);

describe('Function: messageBuffers', () => {
  it('writes one simple-query message: Q, the length of all but Q, the text, a NUL', () => {
    const m = whole(messageBuffers(['SELECT ', "'ünï😀'"]));
    const text = "SELECT 'ünï😀'";
    expect(m[0]).toBe(0x51);
    expect(m.readInt32BE(1)).toBe(4 + Buffer.byteLength(text) + 1);
    expect(m.subarray(5, -1).toString('utf8')).toBe(text);
    expect(m.at(-1)).toBe(0);
    expect(m.length).toBe(1 + 4 + Buffer.byteLength(text) + 1);
  });

  it("passes a long statement's UTF-8 pieces through as they are, in order among the strings, and counts their bytes", () => {
    const a = utf8("INSERT INTO t VALUES (1, '😀')");
    const b = utf8(", (2, 'é')");
    for (const pieces of [[a], [a, b], ['BEGIN\n;\n', a, b, '\n;\nCOMMIT\n;\n'], ['BEGIN\n;\n', a, '\n;\n', b]]) {
      const buffers = messageBuffers(pieces);
      const text = pieces.map((p) => (typeof p === 'string' ? p : Buffer.from(p).toString('utf8'))).join('');
      const m = whole(buffers);
      expect(m.readInt32BE(1)).toBe(4 + Buffer.byteLength(text) + 1);
      expect(m.subarray(5, -1).toString('utf8')).toBe(text);
      expect(m.at(-1)).toBe(0);
      // The pieces themselves are written, not copies of them; no empty buffer is written.
      expect(buffers.filter((x) => x === a || x === b)).toHaveLength(pieces.filter((p) => typeof p !== 'string').length);
      expect(buffers.every((x) => x.length > 0)).toBe(true);
    }
  });

  it('writes an empty message as PostgreSQL reads one: Q, length 5, NUL', () => {
    expect([...whole(messageBuffers([]))]).toEqual([0x51, 0, 0, 0, 5, 0]);
  });
});
