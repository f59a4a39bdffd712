/**
 * Round trips on the wire of one PostgreSQL connection, read from its bytes
 * (the frontend/backend protocol, unencrypted: the benchmark's server is
 * reached with sslmode=disable). A round trip is a wait: the client sends a
 * request when every earlier one has been answered (ReadyForQuery, `Z`, has
 * reached it), so it can do nothing else until this answer comes back.
 * Requests sent while others are still unanswered ride in the same round
 * trip (pipelined): they cost no latency of their own. The handshake's
 * steps count one each (the startup message, each password or SASL message,
 * an SSL request). What a client waits for is what a network's latency
 * multiplies, whatever the driver makes of it.
 * https://www.postgresql.org/docs/current/protocol-flow.html
 */

/** What a proxy's connections added up to. */
export interface WireCounts {
  connections: number;
  roundTrips: number;
  /** Those of the handshakes (the startup message, password or SASL messages): what the server's authentication method decides, not the client. */
  handshakeRoundTrips: number;
  /** Simple queries and Syncs sent (each ends one request; more than roundTrips where the client pipelines). */
  requests: number;
}

/** The protocol's untyped first messages: their codes. */
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const PROTOCOL_3 = 196608;

/** Reads whole messages from chunks, however the bytes were cut. */
class MessageReader {
  private pending = Buffer.alloc(0);
  /** The next message has no type byte (a client's first), or is one byte (the answer to an SSL request). */
  untyped = false;
  singleByte = false;

  constructor(private readonly onMessage: (type: string, body: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    for (;;) {
      if (this.singleByte) {
        if (this.pending.length < 1) return;
        this.singleByte = false;
        this.onMessage('ssl-answer', this.pending.subarray(0, 1));
        this.pending = this.pending.subarray(1);
        continue;
      }
      const head = this.untyped ? 0 : 1;
      if (this.pending.length < head + 4) return;
      const length = this.pending.readInt32BE(head);
      if (this.pending.length < head + length) return;
      const type = this.untyped ? 'startup' : String.fromCharCode(this.pending[0]!);
      this.onMessage(type, this.pending.subarray(head + 4, head + length));
      this.pending = this.pending.subarray(head + length);
    }
  }
}

/** One connection's counting: the client's bytes as they arrive, the server's as they are handed to the client. */
export class WireCount {
  private unanswered = 0;
  private readonly client: MessageReader;
  private readonly server: MessageReader;

  constructor(private readonly totals: WireCounts) {
    totals.connections++;
    this.client = new MessageReader((type, body) => this.clientMessage(type, body));
    this.client.untyped = true;
    this.server = new MessageReader((type) => {
      if (type === 'Z') this.unanswered = Math.max(0, this.unanswered - 1);
    });
  }

  fromClient(chunk: Buffer): void {
    this.client.push(chunk);
  }

  toClient(chunk: Buffer): void {
    this.server.push(chunk);
  }

  private clientMessage(type: string, body: Buffer): void {
    if (type === 'startup') {
      const code = body.readInt32BE(0);
      this.totals.roundTrips++;
      this.totals.handshakeRoundTrips++;
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) this.server.singleByte = true;
      if (code === PROTOCOL_3) {
        this.client.untyped = false;
        // Answered by the server's first ReadyForQuery, after authentication.
        this.unanswered++;
      }
      return;
    }
    // A password or SASL message answers the server's request: the client waited for that, and waits for the next.
    if (type === 'p') {
      this.totals.roundTrips++;
      this.totals.handshakeRoundTrips++;
    }
    if (type === 'Q' || type === 'S') {
      this.totals.requests++;
      if (this.unanswered === 0) this.totals.roundTrips++;
      this.unanswered++;
    }
  }
}
