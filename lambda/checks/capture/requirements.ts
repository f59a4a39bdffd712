/**
 * What `capture` needs from the server, checked before it reads anything:
 * the pg_stat_statements library loaded (`shared_preload_libraries`, which
 * takes a restart), the extension created in this database, and a role that
 * may read every user's statements (`pg_read_all_stats`, or a superuser;
 * without it other roles' statements read `<insufficient privilege>`).
 * Everything missing is named at once, each with its fix.
 */
import { isPgError, MigrationError, sqlstateOf, type MigrationErrorOptions } from '../../engine/errors/errors';
import { quoteIdent } from '../../engine/state/identifiers';
import type { Queryable } from '../../engine/ports';
import { OBJECT_NOT_IN_PREREQUISITE_STATE } from '../../engine/errors/sqlstate';
import { present } from '../../engine/errors/present';

/** The server cannot give capture what it needs. Exit code 2: the fix is the server's configuration, not the files. */
export class CaptureUnavailableError extends MigrationError {
  override readonly exitCode: number = 2;
  /** One line per missing piece, with its fix. */
  readonly missing: string[];
  constructor(message: string, options: MigrationErrorOptions & { missing: string[] }) {
    super(message, options);
    this.name = 'CaptureUnavailableError';
    this.missing = options.missing;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), missing: this.missing };
  }
}

export interface StatStatements {
  /** The schema the extension's view is in. */
  schema: string;
  /** The view has `toplevel` (1.9, PostgreSQL 14+): statements run inside functions are left out. */
  hasToplevel: boolean;
}

interface ServerRow {
  schema: string | null;
  available: boolean;
  preload: string | null;
  role: string;
  may_read_all: boolean;
  has_toplevel: boolean;
}

const SERVER_SQL = `
SELECT n.nspname AS schema,
       EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_stat_statements') AS available,
       (SELECT setting FROM pg_settings WHERE name = 'shared_preload_libraries') AS preload,
       current_user::text AS role,
       (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) OR pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS may_read_all,
       EXISTS (SELECT 1 FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.objid
                WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid AND d.classid = 'pg_class'::regclass
                  AND d.deptype = 'e' AND a.attname = 'toplevel') AS has_toplevel
  FROM (SELECT 1) AS one
  LEFT JOIN pg_extension e ON e.extname = 'pg_stat_statements'
  LEFT JOIN pg_namespace n ON n.oid = e.extnamespace`;

const PRELOAD_FIX = 'add pg_stat_statements to shared_preload_libraries (postgresql.conf; on RDS and Aurora, the DB parameter group) and restart the server';

export async function assertCaptureAvailable(q: Queryable): Promise<StatStatements> {
  const row = (await q.query<ServerRow>(SERVER_SQL)).rows[0];
  const missing: string[] = [];
  const preloadKnown = row.preload !== null;
  const preloaded =
    preloadKnown &&
    present(row.preload)
      .split(',')
      .map((s) => s.trim().replace(/^"|"$/g, ''))
      .includes('pg_stat_statements');
  if (preloadKnown && !preloaded) missing.push(`the library is not loaded: shared_preload_libraries is "${row.preload}"; ${PRELOAD_FIX}`);
  if (row.schema === null) {
    missing.push(
      row.available
        ? 'the extension is not created in this database: CREATE EXTENSION pg_stat_statements; (as a superuser, or rds_superuser on RDS and Aurora)'
        : "the extension is not installed on this server (its files are not in the server's share/extension directory): install the PostgreSQL contrib package",
    );
  } else if (preloaded || !preloadKnown) {
    const loadedProblem = await notLoaded(q, row.schema);
    if (loadedProblem) missing.push(loadedProblem);
  }
  if (!row.may_read_all) missing.push(`role ${row.role} may read only its own statements: GRANT pg_read_all_stats TO ${quoteIdent(row.role)};`);
  if (missing.length) {
    throw new CaptureUnavailableError(`capture reads pg_stat_statements, and this server cannot give it: ${missing.join('; ')}`, {
      missing,
      fix: missing.join('\n'),
    });
  }
  return { schema: present(row.schema), hasToplevel: row.has_toplevel };
}

/** The view errors (55000) unless the library was loaded at server start. */
async function notLoaded(q: Queryable, schema: string): Promise<string | undefined> {
  try {
    await q.query(`SELECT 1 FROM ${quoteIdent(schema)}.pg_stat_statements(false) LIMIT 1`);
    return undefined;
  } catch (e) {
    if (!isPgError(e) || sqlstateOf(e) !== OBJECT_NOT_IN_PREREQUISITE_STATE) throw e;
    return `the library is not loaded (${e.message}); ${PRELOAD_FIX}`;
  }
}
