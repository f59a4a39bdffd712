'use strict';
// The least a Node.js migration tool does before its first file's state row,
// measured by bench/startup.ts beside schemaguard's start-up: load `pg`,
// connect (the files are read and hashed while the handshake is under way),
// make the state table, then one simple query: BEGIN, the first file's
// text, its state row, COMMIT. No runner lock, no state read, no file parsed
// or checked: all that schemaguard does besides is time this floor does not
// spend. bench/lib/startup-floor-build.mjs bundles it with `pg` the way the
// CLI's bundle has it; bench/lib/startup-floor-run.cjs runs that bundle
// through the CLI's code cache.
//
//   node bench/lib/startup-floor-run.cjs BUNDLE URL DIR
//   (the state table's DDL in SCHEMAGUARD_BENCH_STATE_DDL, its name in SCHEMAGUARD_BENCH_STATE_TABLE)
//
// Prints one JSON object: when (epoch ms) `pg` was loaded, the connection
// ready, the files read, the state table made.
const { createHash } = require('node:crypto');
const { readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const pg = require('pg');

const now = () => performance.timeOrigin + performance.now();
const literal = (s) => `'${s.replace(/'/g, "''")}'`;

async function main(url, dir) {
  const at = { loaded: now() };
  const client = new pg.Client({ connectionString: url });
  const connected = client.connect().then(() => { at.connected = now(); });
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort().map((name) => {
    const text = readFileSync(join(dir, name), 'utf8');
    return { name, text, checksum: createHash('sha256').update(text).digest('hex') };
  });
  at.read = now();
  await connected;
  await client.query(process.env.SCHEMAGUARD_BENCH_STATE_DDL);
  at.stateTable = now();
  const first = files[0];
  await client.query(`BEGIN; ${first.text};
INSERT INTO ${process.env.SCHEMAGUARD_BENCH_STATE_TABLE} (version, name, checksum, execution_ms, applied_by)
VALUES (${Number(/^\d+/.exec(first.name)[0])}, ${literal(first.name)}, ${literal(first.checksum)}, 0, 'bench-floor'); COMMIT`);
  await client.end();
  process.stdout.write(`${JSON.stringify(at)}\n`);
  // The code cache (bin/code-cache.cjs) keeps what this run compiled.
  globalThis[Symbol.for('schemaguard.codeCache')] = 'prefer';
}

main(process.argv[2], process.argv[3]).catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exitCode = 1;
});
