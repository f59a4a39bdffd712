/**
 * Syntax newer than the target server: lint and plan parse with PostgreSQL
 * 18's grammar, so a file written for 18 reads clean while an older server
 * refuses it (42601) when migrate runs it. With a database (its
 * `server_version_num`, read into the lint catalog), each statement is
 * walked for the constructs below. Each gate's `example` is run on a server
 * of every supported major (test/lambda/checks/lint/server-version.int.test.ts):
 * a syntax error (42601) before `since`, none from `since` on. Functions new
 * in a version (uuidv7(), 18) are not reported: a project on an older server
 * often defines its own of that name.
 */
import type { Finding } from '../findings/finding';
import type { Node, ParsedStatement, TextPositions } from '../parser/parse';
import { UNDEFINED_FUNCTION } from '../../engine/errors/sqlstate';

/** The id such findings carry. */
export const SERVER_VERSION_RULE = {
  id: 'server-version-syntax',
  why: "lint and plan parse with PostgreSQL 18's grammar; the target server is older and refuses the statement (a syntax error, 42601; JSON_QUERY and the like: no such function, 42883) when migrate runs it: the migration fails and is rolled back",
} as const;

interface Gate {
  since: number;
  what: string;
  fix: string;
  /** What the older server answers: a syntax error, or (a construct its parser reads as a function call) an unknown function. @default '42601' */
  refusal?: '42883';
  /** A statement with the construct, and what it needs first (valid on every supported major): proof on the real servers. */
  example: { setup?: string; sql: string; noTransaction?: true };
  /** Whether this node is the construct. */
  is: (kind: string, node: Node) => boolean;
}

const hasItems = (v: unknown): boolean =>
  Array.isArray(v)
    ? v.length > 0
    : !!v && typeof v === 'object' && Array.isArray((v as { exprs?: unknown }).exprs) && (v as { exprs: unknown[] }).exprs.length > 0;

/** The constructs by the version that brought them (its release notes), oldest first; each proven by its example on every major. */
export const VERSION_GATES: readonly Gate[] = [
  {
    since: 14,
    what: 'DETACH PARTITION … CONCURRENTLY',
    fix: 'DETACH PARTITION without CONCURRENTLY (ACCESS EXCLUSIVE on the parent while it runs: a migration of its own, with a short lock_timeout)',
    example: {
      setup: 'CREATE TABLE gate_p (id int) PARTITION BY RANGE (id); CREATE TABLE gate_p1 PARTITION OF gate_p FOR VALUES FROM (0) TO (10);',
      sql: 'ALTER TABLE gate_p DETACH PARTITION gate_p1 CONCURRENTLY',
      noTransaction: true,
    },
    is: (kind, n) => kind === 'PartitionCmd' && n.concurrent === true,
  },
  {
    since: 14,
    what: 'CREATE OR REPLACE TRIGGER',
    fix: 'DROP TRIGGER IF EXISTS … ; CREATE TRIGGER … in the same transaction',
    example: {
      setup: 'CREATE TABLE gate_t (id int); CREATE FUNCTION gate_f() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;',
      sql: 'CREATE OR REPLACE TRIGGER gate_tr BEFORE INSERT ON gate_t FOR EACH ROW EXECUTE FUNCTION gate_f()',
    },
    is: (kind, n) => kind === 'CreateTrigStmt' && n.replace === true,
  },
  {
    since: 14,
    what: 'a SQL-standard function body (RETURN … or BEGIN ATOMIC … END)',
    fix: 'a body in a string: AS $$ SELECT … $$',
    example: { sql: 'CREATE FUNCTION gate_add(a int) RETURNS int LANGUAGE sql RETURN a + 1' },
    is: (kind, n) => kind === 'CreateFunctionStmt' && n.sql_body !== undefined,
  },
  {
    since: 14,
    what: "a column's COMPRESSION (in its definition, or ALTER COLUMN … SET COMPRESSION)",
    fix: 'leave COMPRESSION out: the server compresses with pglz',
    example: { sql: 'CREATE TABLE gate_c (a text COMPRESSION pglz)' },
    is: (kind, n) => (kind === 'ColumnDef' && typeof n.compression === 'string') || (kind === 'AlterTableCmd' && n.subtype === 'AT_SetCompression'),
  },
  {
    since: 15,
    what: 'MERGE',
    fix: 'INSERT … ON CONFLICT … DO UPDATE, or an UPDATE and an INSERT … WHERE NOT EXISTS in one transaction',
    example: {
      setup: 'CREATE TABLE gate_a (id int); CREATE TABLE gate_b (id int);',
      sql: 'MERGE INTO gate_a USING gate_b ON gate_a.id = gate_b.id WHEN MATCHED THEN DELETE',
    },
    is: (kind) => kind === 'MergeStmt',
  },
  {
    since: 15,
    what: 'ALTER TABLE … SET ACCESS METHOD',
    fix: 'CREATE TABLE … USING the access method, and a copy of the rows in batches (PostgreSQL 12+)',
    example: { setup: 'CREATE TABLE gate_am (id int);', sql: 'ALTER TABLE gate_am SET ACCESS METHOD heap' },
    is: (kind, n) => kind === 'AlterTableCmd' && n.subtype === 'AT_SetAccessMethod',
  },
  {
    since: 15,
    what: 'UNIQUE NULLS NOT DISTINCT',
    fix: 'a unique index on an expression that maps NULL to a value no row has (coalesce(col, …)), or a partial unique index WHERE col IS NULL on a constant',
    example: { sql: 'CREATE TABLE gate_u (a int UNIQUE NULLS NOT DISTINCT)' },
    is: (kind, n) => (kind === 'Constraint' || kind === 'IndexStmt') && n.nulls_not_distinct === true,
  },
  {
    since: 16,
    what: "REINDEX SYSTEM or DATABASE without the database's name",
    fix: "REINDEX SYSTEM (or DATABASE) followed by the current database's name, the only database it takes, in a no-transaction migration",
    example: { sql: 'REINDEX SYSTEM', noTransaction: true },
    is: (kind, n) => kind === 'ReindexStmt' && (n.kind === 'REINDEX_OBJECT_SYSTEM' || n.kind === 'REINDEX_OBJECT_DATABASE') && typeof n.name !== 'string',
  },
  {
    since: 16,
    what: 'SQL/JSON: IS JSON, JSON_OBJECT, JSON_ARRAY, JSON_OBJECTAGG or JSON_ARRAYAGG',
    fix: 'jsonb_build_object, jsonb_build_array, jsonb_object_agg, jsonb_agg, or a cast to jsonb in a function that catches the error for IS JSON',
    example: { sql: "SELECT '{}' IS JSON, JSON_OBJECT('a' VALUE 1)" },
    is: (kind) =>
      ['JsonIsPredicate', 'JsonObjectConstructor', 'JsonArrayConstructor', 'JsonArrayQueryConstructor', 'JsonObjectAgg', 'JsonArrayAgg'].includes(kind),
  },
  {
    since: 17,
    what: 'MERGE … RETURNING',
    fix: 'MERGE without RETURNING, and a SELECT of the rows after it in the same transaction',
    example: {
      setup: 'CREATE TABLE gate_ra (id int); CREATE TABLE gate_rb (id int);',
      sql: 'MERGE INTO gate_ra USING gate_rb ON gate_ra.id = gate_rb.id WHEN MATCHED THEN DELETE RETURNING *',
    },
    is: (kind, n) => kind === 'MergeStmt' && (hasItems(n.returningClause) || hasItems(n.returningList)),
  },
  {
    since: 17,
    what: 'JSON_TABLE',
    fix: 'jsonb_to_recordset(…) or jsonb_array_elements(…) with ->> for the columns',
    example: { sql: "SELECT * FROM JSON_TABLE('[]'::jsonb, '$[*]' COLUMNS (x int PATH '$.x')) jt" },
    is: (kind) => kind === 'JsonTable',
  },
  {
    since: 17,
    what: 'JSON_QUERY, JSON_VALUE or JSON_EXISTS',
    refusal: UNDEFINED_FUNCTION,
    fix: 'jsonb_path_query_first(…) (or ->, ->>) for JSON_QUERY and JSON_VALUE, jsonb_path_exists(…) for JSON_EXISTS',
    example: { sql: "SELECT JSON_VALUE('{\"a\": 1}'::jsonb, '$.a')" },
    is: (kind) => kind === 'JsonFuncExpr',
  },
  {
    since: 18,
    what: "a virtual generated column (GENERATED ALWAYS AS (…) VIRTUAL, or without STORED: virtual is 18's default)",
    fix: 'GENERATED ALWAYS AS (…) STORED (12+: computed on write and stored; added to an existing table it rewrites the table), or a view that computes it',
    example: { sql: 'CREATE TABLE gate_v (a int, b int GENERATED ALWAYS AS (a * 2) VIRTUAL)' },
    is: (kind, n) => kind === 'Constraint' && n.contype === 'CONSTR_GENERATED' && n.generated_kind === 'v',
  },
  {
    since: 18,
    what: "NOT NULL as a table constraint (ADD [CONSTRAINT name] NOT NULL col [NOT VALID], or NOT NULL col among CREATE TABLE's elements)",
    fix: "ALTER TABLE … ALTER COLUMN col SET NOT NULL (on an existing table, after a validated CHECK (col IS NOT NULL), so it does not scan), or NOT NULL on the column's definition",
    example: { setup: 'CREATE TABLE gate_n (a int);', sql: 'ALTER TABLE gate_n ADD CONSTRAINT gate_n_a NOT NULL a NOT VALID' },
    is: (kind, n) => kind === 'Constraint' && n.contype === 'CONSTR_NOTNULL' && Array.isArray(n.keys) && n.keys.length > 0,
  },
];

/** The findings for one statement on a server of major version `major`: each construct it uses that came after that version, at the construct (VERSION_GATES is oldest first). */
export function serverVersionFindings(s: ParsedStatement, major: number, file: string, positions: TextPositions): Finding[] {
  const found: Finding[] = [];
  walk(s.stmt, (kind, node) => {
    for (const g of VERSION_GATES) {
      if (major >= g.since || !g.is(kind, node)) continue;
      const at = typeof node.location === 'number' && node.location >= s.byteOffset ? positions.at(node.location) : { line: s.line, column: s.column };
      found.push({
        rule: SERVER_VERSION_RULE.id,
        severity: 'error',
        file,
        line: at.line,
        column: at.column,
        message: `${g.what} is PostgreSQL ${g.since} syntax; the server is PostgreSQL ${major}, which refuses it (${g.refusal === UNDEFINED_FUNCTION ? '42883: it reads a function call, and no such function exists' : '42601 syntax error'})`,
        why: SERVER_VERSION_RULE.why,
        fix: `for PostgreSQL ${major}: ${g.fix}; or upgrade the server to ${g.since}`,
      });
      // One finding per construct: the oldest gate it meets (MERGE … RETURNING on 14 is MERGE's, whose fix that server takes).
      break;
    }
  });
  return found;
}

/** Calls `visit` with each node of the tree (`{ Kind: fields }`), depth first. */
function walk(value: unknown, visit: (kind: string, node: Node) => void): void {
  if (Array.isArray(value)) {
    for (const v of value) walk(v, visit);
    return;
  }
  if (!value || typeof value !== 'object') return;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (/^[A-Z]/.test(key) && v && typeof v === 'object' && !Array.isArray(v)) visit(key, v as Node);
    walk(v, visit);
  }
}
