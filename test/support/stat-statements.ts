/**
 * A PostgreSQL server of a test target's version with pg_stat_statements
 * loaded (`shared_preload_libraries`), for the capture tests; the shared
 * servers of the run stay as they are. And the application the captures are
 * taken from: the statements of contracts/ as an application sends them
 * (parameters, or constants inline), each run a few times.
 */
import { randomUUID } from 'node:crypto';
import type { Target } from './targets';
import { cleanup, databaseUrl, embeddedBinDir, startServer, withClient, type StartedServer } from './system-postgres';

export interface StatServer {
  adminUrl: string;
  /** A new database on it with the extension created. */
  database(name: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startStatStatementsServer(target: Target): Promise<StatServer> {
  const server: StartedServer = await startServer(target.binDir ?? embeddedBinDir(), { shared_preload_libraries: 'pg_stat_statements' }, 'pgss');
  const adminUrl = `postgres://postgres:${server.password}@127.0.0.1:${server.port}/postgres`;
  return {
    adminUrl,
    database: async (name) => {
      await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${name} TEMPLATE template0`));
      const url = databaseUrl(adminUrl, name);
      await withClient(url, (c) => c.query('CREATE EXTENSION pg_stat_statements'));
      return url;
    },
    stop: async () => {
      await server.stop();
      cleanup(server);
    },
  };
}

/** The application's statements (contracts/'s upsert and inserts), `times` runs each; pg_stat_statements is reset first. */
export async function runApplication(url: string, times: number): Promise<void> {
  await withClient(
    url,
    async (c) => {
      const lead = (await c.query<{ id: string }>("INSERT INTO all_leads (name) VALUES ('setup') RETURNING id")).rows[0]!.id;
      await c.query('SELECT pg_stat_statements_reset()');
      for (let k = 0; k < times; k++) {
        await c.query('INSERT INTO lead_purchases (lead_id, buyer_id, price) VALUES ($1, $2, $3) RETURNING id', [lead, randomUUID(), 10 + k]);
        await c.query(
          `INSERT INTO student_course_purchases (student_id, course_id, is_active)
VALUES ($1, $2, true)
ON CONFLICT (student_id, course_id) WHERE is_active = true
DO UPDATE SET updated_at = now()
RETURNING id`,
          [randomUUID(), randomUUID()],
        );
        // Constants inline, as some code sends them: pg_stat_statements turns them into $1.
        await c.query(`INSERT INTO web_sessions (visitor_id) VALUES ('visitor-${k}') RETURNING id`);
        await c.query('INSERT INTO whatsapp_sessions (phone) VALUES ($1) RETURNING id', [`+4470000000${k}`]);
        // A typed literal: pg_stat_statements keeps it as `interval $1`, which PostgreSQL does not parse.
        await c.query("SELECT id, visitor_id FROM web_sessions WHERE started_at > now() - interval '1 day' ORDER BY started_at DESC LIMIT 10");
        // Not the application's: the catalog, a utility statement, schemaguard's state.
        await c.query("SELECT count(*) FROM pg_class WHERE relkind = 'r'");
        await c.query("SET application_name = 'app'");
        await c.query('SELECT max(version) FROM schemaguard.applied_migrations');
      }
    },
    'widgets-app',
  );
}

/** What leaks if capture writes or prints a statement as pg_stat_statements keeps it. */
export const PRIVATE = { email: 'ann@example.com', card: '4111 1111 1111 1111', key: 'sk_live_51Hx9QAbCdEf' };

/**
 * Statements whose text holds what must not reach a contract file or
 * capture's output, `times` runs each (pg_stat_statements is reset first):
 * a query tagged with comments (an ORM's user, a note with a card number), a
 * SET of an API key, and one whose output name is an e-mail address.
 */
export async function runCommentedApplication(url: string, times: number): Promise<void> {
  await withClient(
    url,
    async (c) => {
      await c.query('SELECT pg_stat_statements_reset()');
      for (let k = 0; k < times; k++) {
        await c.query(`/* user: ${PRIVATE.email} */ SELECT id FROM web_sessions WHERE visitor_id = $1 -- card ${PRIVATE.card}\nORDER BY id`, [`v-${k}`]);
        await c.query(`SET app.api_key = '${PRIVATE.key}'`);
        await c.query(`SELECT visitor_id AS "${PRIVATE.email}" FROM web_sessions WHERE id = $1`, [randomUUID()]);
      }
    },
    'widgets-app',
  );
}
