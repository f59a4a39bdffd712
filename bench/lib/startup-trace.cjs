'use strict';
// Preloaded (`node -r`) into a measured `schemaguard migrate` by
// bench/startup.ts: notes when each step of the start-up happens, from
// outside the CLI's code, and writes them as JSON to the file named by
// SCHEMAGUARD_BENCH_TRACE when the process exits. Times are epoch ms
// (performance.timeOrigin + performance.now()), comparable with the parent's
// Date.now() at spawn and the server's clock on this machine; each note has
// the process's CPU time so far too.
//
// What it sees: the bundle read (fs.readFileSync of dist/*.cjs), the files
// (fs.openSync of *.sql), every connection (net.Socket connect, its TCP
// connect, and each message written and read, by the wire protocol's type
// byte: a Parse or Query names its SQL). Nothing here changes what the CLI
// does.
const fs = require('node:fs');
const net = require('node:net');

const out = process.env.SCHEMAGUARD_BENCH_TRACE;
const now = () => performance.timeOrigin + performance.now();
/** CPU time of this process so far (user and system, ms): unlike wall time, barely moved by other work on the machine. */
const cpu = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; };
const events = [{ at: now(), cpu: cpu(), what: 'preload' }];
const note = (what, extra) => events.push({ at: now(), cpu: cpu(), what, ...extra });

if (out) {
  const readFileSync = fs.readFileSync;
  fs.readFileSync = function traced(path, ...rest) {
    const bundle = typeof path === 'string' && /dist[\\/][^\\/]+\.cjs$/.test(path);
    if (bundle) note('bundle-read', { path });
    const r = readFileSync.call(this, path, ...rest);
    if (bundle) note('bundle-read-done');
    return r;
  };
  const openSync = fs.openSync;
  fs.openSync = function traced(path, ...rest) {
    if (typeof path === 'string' && path.endsWith('.sql')) note('sql-open');
    return openSync.call(this, path, ...rest);
  };

  let nextId = 1;
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function traced(...args) {
    const first = !this.__traceId;
    if (first) {
      const id = nextId++;
      this.__traceId = id;
      note('connect', { conn: id });
      this.once('connect', () => note('tcp', { conn: id }));
      this.on('data', (chunk) => note('read', { conn: id, types: messageTypes(chunk) }));
    }
    const r = connect.apply(this, args);
    // After connect(), which puts Socket.prototype.write back on the socket.
    if (first) {
      const id = this.__traceId;
      const write = this.write;
      this.write = function tracedWrite(chunk, ...rest) {
        if (chunk instanceof Uint8Array) note('write', { conn: id, ...describeWrite(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)) });
        return write.call(this, chunk, ...rest);
      };
    }
    return r;
  };

  process.once('exit', () => {
    note('exit');
    try { fs.writeFileSync(out, JSON.stringify(events)); } catch { /* the parent says the trace is missing */ }
  });
}

/** The backend messages in a chunk: their type bytes, and an authentication request's code ('R0' = ok). */
function messageTypes(b) {
  const types = [];
  for (let at = 0; at + 5 <= b.length;) {
    const t = String.fromCharCode(b[at]);
    const len = b.readUInt32BE(at + 1);
    types.push(t === 'R' && at + 9 <= b.length ? `R${b.readUInt32BE(at + 5)}` : t);
    at += 1 + len;
  }
  return types.join('');
}

/** A frontend write: its message types, and the SQL of its first Parse or Query (shortened). */
function describeWrite(b) {
  // The start-up message (and an SSLRequest) has no type byte: a length, then the protocol version.
  if (b.length >= 8 && b[0] === 0 && b.readUInt32BE(4) === 196608) return { types: 'startup' };
  if (b.length >= 8 && b[0] === 0 && b.readUInt32BE(4) === 80877103) return { types: 'ssl-request' };
  const types = [];
  let sql;
  for (let at = 0; at + 5 <= b.length;) {
    const t = String.fromCharCode(b[at]);
    const len = b.readUInt32BE(at + 1);
    types.push(t);
    if (sql === undefined && (t === 'Q' || t === 'P')) {
      const body = b.subarray(at + 5, Math.min(b.length, at + 1 + len));
      const text = t === 'P' ? body.subarray(body.indexOf(0) + 1) : body;
      sql = text.subarray(0, Math.max(0, text.indexOf(0))).toString('utf8').replace(/\s+/g, ' ').slice(0, 100);
    }
    at += 1 + len;
  }
  return { types: types.join(''), ...(sql !== undefined ? { sql } : {}) };
}
