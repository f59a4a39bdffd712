/** The latency proxy's round-trip count (bench/lib/wire-count.ts), on bytes of the PostgreSQL protocol cut anywhere. */
import { describe, expect, it } from 'vitest';
import { WireCount, type WireCounts } from '../../bench/lib/wire-count';

/** A typed message: its type, its length (itself included) and its body. */
const message = (type: string, body = '') => {
  const b = Buffer.from(body, 'latin1');
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(4 + b.length, 1);
  return Buffer.concat([head, b]);
};
const startup = () => {
  const b = Buffer.alloc(8);
  b.writeInt32BE(8, 0);
  b.writeInt32BE(196608, 4);
  return b;
};
const ready = () => message('Z', 'I');

describe('Class: WireCount', () => {
  it('counts a wait per request sent with nothing unanswered, pipelined ones none, and the handshake steps apart', () => {
    const totals: WireCounts = { connections: 0, roundTrips: 0, handshakeRoundTrips: 0, requests: 0 };
    const c = new WireCount(totals);

    c.fromClient(startup());
    c.toClient(message('R', '\u0000\u0000\u0000\u000a'));
    c.fromClient(message('p', 'SCRAM'));
    c.toClient(Buffer.concat([message('R', 'ok'), ready()]));
    const pipelined = Buffer.concat([message('Q', 'BEGIN; …'), message('Q', 'BEGIN; …'), message('P'), message('B'), message('E'), message('S')]);
    // Cut mid-message, as TCP may.
    c.fromClient(pipelined.subarray(0, 7));
    c.fromClient(pipelined.subarray(7));
    c.toClient(Buffer.concat([ready(), ready()]).subarray(0, 3));
    c.toClient(Buffer.concat([ready(), ready(), ready()]).subarray(3));
    c.fromClient(message('Q', 'SELECT 1'));

    expect(totals).toEqual({ connections: 1, roundTrips: 4, handshakeRoundTrips: 2, requests: 4 });
  });
});
