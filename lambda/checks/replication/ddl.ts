/**
 * The pending statements that change the shape of an existing table's rows
 * as logical decoding sends them: columns added, dropped, retyped or
 * renamed, the table renamed, moved or dropped, its replica identity or a
 * constraint behind it changed, partitions attached or detached. Indexes,
 * defaults, statistics and validation change no row a subscriber receives,
 * and are left alone. Read with PostgreSQL's own parser.
 */
import type { Migration } from '../../engine/files/source';
import { as, list, loadParser, names, parseSql, rangeVar, type ParsedStatement } from '../parser/parse';

/** A statement that changes a table's rows as they are sent, and the table as written. */
export interface ShapeChange {
  file: string;
  line: number;
  /** The statement's first words, for the message. */
  what: string;
  schema?: string;
  name: string;
}

/** ALTER TABLE subcommands that change what a row carries, or how a subscriber finds it. */
const SHAPE_COMMANDS = new Set([
  'AT_AddColumn',
  'AT_DropColumn',
  'AT_AlterColumnType',
  'AT_ReplicaIdentity',
  'AT_DropConstraint',
  'AT_SetExpression',
  'AT_DropExpression',
  'AT_AttachPartition',
  'AT_DetachPartition',
  'AT_DetachPartitionFinalize',
]);

/** Every statement of the pending files that changes a table's rows as sent, in file order. */
export async function shapeChanges(pending: readonly Migration[]): Promise<ShapeChange[]> {
  await loadParser();
  const out: ShapeChange[] = [];
  for (const m of pending) {
    let statements: ParsedStatement[];
    try {
      statements = parseSql(m.text, { file: m.file }).statements;
    } catch {
      continue; // the loader refused what PostgreSQL's grammar refuses; a file it took with such SQL fails on the server
    }
    for (const s of statements) for (const rel of changedTables(s)) out.push({ file: m.file, line: s.line, what: firstWords(s.text), ...rel });
  }
  return out;
}

function changedTables(s: ParsedStatement): { schema?: string; name: string }[] {
  const n = s.node;
  if (s.kind === 'AlterTableStmt' && n.objtype === 'OBJECT_TABLE') {
    const cmds = list(n.cmds).map((c) => as(c, 'AlterTableCmd')?.subtype);
    const rel = rangeVar(n.relation);
    return rel && cmds.some((c) => SHAPE_COMMANDS.has(String(c))) ? [rel] : [];
  }
  if (s.kind === 'RenameStmt' && (n.renameType === 'OBJECT_TABLE' || n.renameType === 'OBJECT_COLUMN')) {
    const rel = rangeVar(n.relation);
    return rel ? [rel] : [];
  }
  if (s.kind === 'AlterObjectSchemaStmt' && n.objectType === 'OBJECT_TABLE') {
    const rel = rangeVar(n.relation);
    return rel ? [rel] : [];
  }
  if (s.kind === 'DropStmt' && n.removeType === 'OBJECT_TABLE') {
    return list(n.objects)
      .map((o) => names(as(o, 'List')?.items))
      .filter((p) => p.length > 0)
      .map((p) => ({ ...(p.length > 1 ? { schema: p[p.length - 2] } : {}), name: p[p.length - 1] }));
  }
  return [];
}

/** `ALTER TABLE orders ADD COLUMN …`: the statement's start, on one line. */
function firstWords(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 60 ? `${flat.slice(0, 57)}…` : flat;
}
