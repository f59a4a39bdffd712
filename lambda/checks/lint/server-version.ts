/**
 * Syntax newer than the target server: lint and plan parse with PostgreSQL
 * 18's grammar, so a file written for 18 reads clean while an older server
 * refuses it (42601) when migrate runs it. With a database (its
 * `server_version_num`, read into the lint catalog), each statement is
 * walked for the constructs below, each checked on PostgreSQL 15 (syntax
 * error) and 18 (runs). Functions new in a version (uuidv7(), 18) are not
 * reported: a project on an older server often defines its own of that name.
 */
import type { Finding } from '../finding';
import type { Node, ParsedStatement, TextPositions } from '../parse';

/** The id such findings carry. */
export const SERVER_VERSION_RULE = {
  id: 'server-version-syntax',
  why: 'lint and plan parse with PostgreSQL 18\'s grammar; the target server is older and refuses the statement with a syntax error (42601) when migrate runs it: the migration fails and is rolled back',
} as const;

interface Gate {
  since: number;
  what: string;
  fix: string;
  /** Whether this node is the construct. */
  is: (kind: string, node: Node) => boolean;
}

const hasItems = (v: unknown): boolean => Array.isArray(v) ? v.length > 0 : !!v && typeof v === 'object' && Array.isArray((v as { exprs?: unknown }).exprs) && (v as { exprs: unknown[] }).exprs.length > 0;

/** Verified on PostgreSQL 15.18 (42601) and 18 (runs); the version each came in, from its release notes. */
export const VERSION_GATES: readonly Gate[] = [
  {
    since: 18, what: 'a virtual generated column (GENERATED ALWAYS AS (…) VIRTUAL, or without STORED: virtual is 18\'s default)',
    fix: 'GENERATED ALWAYS AS (…) STORED (12+: computed on write and stored; added to an existing table it rewrites the table), or a view that computes it',
    is: (kind, n) => kind === 'Constraint' && n.contype === 'CONSTR_GENERATED' && n.generated_kind === 'v',
  },
  {
    since: 18, what: 'NOT NULL as a table constraint (ADD [CONSTRAINT name] NOT NULL col [NOT VALID], or NOT NULL col among CREATE TABLE\'s elements)',
    fix: 'ALTER TABLE … ALTER COLUMN col SET NOT NULL (on an existing table, after a validated CHECK (col IS NOT NULL), so it does not scan), or NOT NULL on the column\'s definition',
    is: (kind, n) => kind === 'Constraint' && n.contype === 'CONSTR_NOTNULL' && Array.isArray(n.keys) && n.keys.length > 0,
  },
  {
    since: 16, what: 'REINDEX SYSTEM or DATABASE without the database\'s name',
    fix: 'REINDEX SYSTEM (or DATABASE) followed by the current database\'s name, the only database it takes, in a no-transaction migration',
    is: (kind, n) => kind === 'ReindexStmt' && (n.kind === 'REINDEX_OBJECT_SYSTEM' || n.kind === 'REINDEX_OBJECT_DATABASE') && typeof n.name !== 'string',
  },
  {
    since: 17, what: 'MERGE … RETURNING',
    fix: 'MERGE without RETURNING, and a SELECT of the rows after it in the same transaction',
    is: (kind, n) => kind === 'MergeStmt' && (hasItems(n.returningClause) || hasItems(n.returningList)),
  },
  {
    since: 17, what: 'JSON_TABLE',
    fix: 'jsonb_to_recordset(…) or jsonb_array_elements(…) with ->> for the columns',
    is: (kind) => kind === 'JsonTable',
  },
];

/** The findings for one statement on a server of major version `major`: each construct it uses that came after that version, at the construct. */
export function serverVersionFindings(s: ParsedStatement, major: number, file: string, positions: TextPositions): Finding[] {
  const found: Finding[] = [];
  walk(s.stmt, (kind, node) => {
    for (const g of VERSION_GATES) {
      if (major >= g.since || !g.is(kind, node)) continue;
      const at = typeof node.location === 'number' && node.location >= s.byteOffset ? positions.at(node.location) : { line: s.line, column: s.column };
      found.push({
        rule: SERVER_VERSION_RULE.id, severity: 'error', file, line: at.line, column: at.column,
        message: `${g.what} is PostgreSQL ${g.since} syntax; the server is PostgreSQL ${major}, which refuses it (42601 syntax error)`,
        why: SERVER_VERSION_RULE.why,
        fix: `for PostgreSQL ${major}: ${g.fix}; or upgrade the server to ${g.since}`,
      });
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
