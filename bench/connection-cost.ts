/**
 * What a connection costs against what a query on an open one costs: the
 * figure behind the test helpers' kept sessions (CONTRIBUTING.md). On the
 * bench's own server:
 *
 * - connections: connect, `SELECT 1`, end, one after another, `--connections` times;
 * - queries: `SELECT 1` on one open session, `--queries` times;
 *
 * each with its wall time and CPU — the server's (its postmaster's children,
 * from /proc: a backend's fork, start and exit) and this process's (the
 * client). Run it on a quiet machine: other work's CPU is not counted, but
 * it slows what is.
 *
 *   npx tsx bench/connection-cost.ts [--connections 200] [--queries 2000]
 *
 * The last line is one JSON object.
 */
import pg from 'pg';
import { postmasterPid, serverCpuMs } from './lib/server-cpu';
import { createDatabase, dropDatabase, startBenchServer } from './lib/server';
import { round } from './lib/stats';

function option(argv: string[], name: string, fallback: number): number {
  const k = argv.indexOf(name);
  const v = k >= 0 ? Number(argv[k + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name}: "${argv[k + 1]}" is not a whole number of at least 1`);
  return v;
}

interface Cost {
  /** Per connection or per query, in ms. */
  wall_ms: number;
  server_cpu_ms: number;
  client_cpu_ms: number;
}

/** Runs `work` and divides its wall time and CPU by `n`. */
async function measure(pm: number, n: number, work: () => Promise<void>): Promise<Cost> {
  const server0 = serverCpuMs(pm);
  const client0 = process.cpuUsage();
  const t0 = performance.now();
  await work();
  const wall = performance.now() - t0;
  const client = process.cpuUsage(client0);
  // An ended backend's CPU is counted once the postmaster has waited for it.
  await new Promise((r) => setTimeout(r, 700));
  return {
    wall_ms: round(wall / n, 3),
    server_cpu_ms: round((serverCpuMs(pm) - server0) / n, 3),
    client_cpu_ms: round((client.user + client.system) / 1000 / n, 3),
  };
}

async function main(): Promise<void> {
  const connections = option(process.argv, '--connections', 200);
  const queries = option(process.argv, '--queries', 2000);
  const server = await startBenchServer();
  try {
    const db = await createDatabase(server.adminUrl, 'connection_cost');
    const pm = await postmasterPid(server.adminUrl);
    if (pm === undefined) throw new Error("the server's CPU is read from /proc: run on the machine of the server");
    const connection = await measure(pm, connections, async () => {
      for (let k = 0; k < connections; k++) {
        const c = new pg.Client({ connectionString: db.url });
        await c.connect();
        await c.query('SELECT 1');
        await c.end();
      }
    });
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    const query = await measure(pm, queries, async () => {
      for (let k = 0; k < queries; k++) await c.query('SELECT 1');
    });
    await c.end();
    await dropDatabase(server.adminUrl, db.name);
    const cpu = (x: Cost) => round(x.server_cpu_ms + x.client_cpu_ms, 2);
    console.log(
      `connection-cost: a connection ${cpu(connection)} ms of CPU (server ${connection.server_cpu_ms}, client ${connection.client_cpu_ms}), ${connection.wall_ms} ms wall; a query ${cpu(query)} ms of CPU, ${query.wall_ms} ms wall`,
    );
    console.log(JSON.stringify({ connections, queries, connection, query }));
  } finally {
    await server.stop();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
