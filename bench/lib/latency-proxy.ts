/**
 * A TCP proxy in front of the benchmark's server that holds every chunk of
 * bytes `oneWayMs` before passing it on, both ways: a client behind it waits
 * 2 x oneWayMs for each answer, as one across a network does (`npm run bench
 * -- --latency-ms N`). Order is kept: each direction is one queue. A Node.js
 * timer may fire a fraction of a millisecond early by `performance.now()`
 * (libuv counts whole milliseconds), so a chunk whose time has not come is
 * held for the rest: no chunk passes sooner than its delay (a smoke test
 * once saw 9.8 ms for two 5 ms delays). The smallest delay is 1 ms each way. It runs in the benchmark's own process,
 * on this machine's cores, and forwards psql's three messages per file as it
 * forwards schemaguard's one. It counts what it forwards: connections and the
 * round trips a client waited for (wire-count.ts), whatever the delay.
 */
import { connect, createServer, type Socket } from 'node:net';
import { WireCount, type WireCounts } from './wire-count';

export interface LatencyProxy {
  /** The delay each way, in ms. */
  oneWayMs: number;
  /** `url` with its host and port replaced by the proxy's. */
  url(url: string): string;
  /** Connections and round trips through the proxy so far (subtract two readings for what happened between them). */
  counts(): WireCounts;
  close(): Promise<void>;
}

export async function startLatencyProxy(serverUrl: string, oneWayMs: number): Promise<LatencyProxy> {
  if (!Number.isInteger(oneWayMs) || oneWayMs < 1) throw new Error(`--latency-ms: ${oneWayMs} is not a whole number of milliseconds of at least 1`);
  const target = new URL(serverUrl);
  const open = new Set<Socket>();
  const totals: WireCounts = { connections: 0, roundTrips: 0, handshakeRoundTrips: 0, requests: 0 };
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    const count = new WireCount(totals);
    // The client's bytes counted as they leave it, the server's as they reach it: what the client waited for.
    relay(
      client,
      upstream,
      oneWayMs,
      open,
      (chunk) => count.fromClient(chunk),
      () => undefined,
    );
    relay(
      upstream,
      client,
      oneWayMs,
      open,
      () => undefined,
      (chunk) => count.toClient(chunk),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    oneWayMs,
    url: (url) => {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.href;
    },
    counts: () => ({ ...totals }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Runs each function given at least `delayMs` after it was given, in the order given. */
function delayQueue(delayMs: number): (fn: () => void) => void {
  const queue: { due: number; fn: () => void }[] = [];
  let timer: NodeJS.Timeout | undefined;
  const pump = () => {
    timer = undefined;
    while (queue.length > 0 && queue[0]!.due <= performance.now()) queue.shift()!.fn();
    if (queue.length > 0) timer = setTimeout(pump, Math.max(1, Math.ceil(queue[0]!.due - performance.now())));
  };
  return (fn) => {
    queue.push({ due: performance.now() + delayMs, fn });
    if (timer === undefined) timer = setTimeout(pump, delayMs);
  };
}

/**
 * Bytes read from `from` are written to `to` `delayMs` later; its end and its
 * errors follow the same way. `read` sees each chunk as it arrives, `written`
 * as it is passed on.
 */
function relay(from: Socket, to: Socket, delayMs: number, open: Set<Socket>, read: (chunk: Buffer) => void, written: (chunk: Buffer) => void): void {
  open.add(from);
  from.setNoDelay(true);
  const later = delayQueue(delayMs);
  from.on('data', (chunk: Buffer) => {
    read(chunk);
    later(() => {
      written(chunk);
      if (!to.destroyed) to.write(chunk);
    });
  });
  from.on('end', () =>
    later(() => {
      if (!to.destroyed) to.end();
    }),
  );
  from.on('error', () => later(() => to.destroy()));
  from.on('close', () => {
    open.delete(from);
  });
}
