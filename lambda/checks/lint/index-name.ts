/**
 * The name PostgreSQL gives an index created without one, as its own code
 * chooses it (indexcmds.c `ChooseIndexName`, for a plain index): each key
 * and INCLUDE column's name (`ChooseIndexColumnNames`: a column's own name; for an
 * expression, `FigureIndexColname` of parse_target.c, else `expr`; a name
 * met before gets 1, 2, … appended), joined by `_` up to 64 bytes
 * (`ChooseIndexNameAddition`), then `makeObjectName(table, that, 'idx')`
 * (object-names.ts `objectName`), which shortens the longer of the two to
 * fit 63 bytes. Checked against
 * PostgreSQL 15 and 18. A name already taken gets a number from the server
 * (`…_idx1`), which lint cannot know.
 */
import { as, list, names, type Node } from '../parser/parse';
import { cutToBytes, NAME_BYTES, objectName } from '../names/object-names';
import { present } from '../../engine/errors/present';

/** NAMEDATALEN, the bound ChooseIndexNameAddition and ChooseIndexColumnNames count with. */
const NAMEDATALEN = NAME_BYTES + 1;

/** PostgreSQL's name for an unnamed index on `table` with these key columns and INCLUDE columns (`IndexStmt.indexParams`, `indexIncludingParams`): both are named. */
export function defaultIndexName(table: string, indexParams: unknown, includingParams?: unknown): string {
  return objectName(table, nameAddition(indexColumnNames([...list(indexParams), ...list(includingParams)])), 'idx');
}

/** Each key column's name, made unique as ChooseIndexColumnNames does. */
export function indexColumnNames(indexParams: unknown): string[] {
  const result: string[] = [];
  for (const p of list(indexParams)) {
    const e = as(p, 'IndexElem');
    const orig = typeof e?.name === 'string' ? e.name : (figureName(e?.expr as Node | undefined)?.name ?? 'expr');
    let name = orig;
    for (let i = 1; result.includes(name); i++) {
      const suffix = String(i);
      name = cutToBytes(orig, NAMEDATALEN - 1 - suffix.length) + suffix;
    }
    result.push(name);
  }
  return result;
}

/** FigureColnameInternal: a name for an expression, with its strength (2 good, 1 second-best). */
function figureName(node: Node | undefined): { name: string; strength: number } | undefined {
  if (!node) return undefined;
  const [kind, n] = Object.entries(node)[0] as [string, Node];
  switch (kind) {
    case 'ColumnRef':
      return lastString(n.fields);
    case 'A_Indirection':
      return lastString(n.indirection) ?? figureName(n.arg as Node);
    case 'FuncCall':
      return good(names(n.funcname).at(-1));
    case 'A_Expr':
      return n.kind === 'AEXPR_NULLIF' ? good('nullif') : undefined;
    case 'TypeCast': {
      const arg = figureName(n.arg as Node);
      if (arg && arg.strength > 1) return arg;
      const type = names((n.typeName as Node | undefined)?.names).at(-1);
      return type ? { name: type, strength: 1 } : arg;
    }
    case 'CollateClause':
      return figureName(n.arg as Node);
    case 'GroupingFunc':
      return good('grouping');
    case 'SubLink':
      return SUBLINKS[String(n.subLinkType)] ? good(SUBLINKS[String(n.subLinkType)]) : undefined;
    case 'CaseExpr': {
      const d = figureName(n.defresult as Node);
      return d && d.strength > 1 ? d : { name: 'case', strength: 1 };
    }
    case 'A_ArrayExpr':
      return good('array');
    case 'RowExpr':
      return good('row');
    case 'CoalesceExpr':
      return good('coalesce');
    case 'MinMaxExpr':
      return good(n.op === 'IS_GREATEST' ? 'greatest' : n.op === 'IS_LEAST' ? 'least' : undefined);
    case 'SQLValueFunction':
      return good(SQL_VALUE_FUNCTIONS[String(n.op)]);
    case 'XmlExpr':
      return good(String(n.op) === 'IS_DOCUMENT' ? undefined : String(n.op).replace(/^IS_/, '').toLowerCase());
    case 'XmlSerialize':
      return good('xmlserialize');
    default:
      return undefined;
  }
}

const SUBLINKS: Record<string, string> = { EXISTS_SUBLINK: 'exists', ARRAY_SUBLINK: 'array' };

const SQL_VALUE_FUNCTIONS: Record<string, string> = {
  SVFOP_CURRENT_DATE: 'current_date',
  SVFOP_CURRENT_TIME: 'current_time',
  SVFOP_CURRENT_TIME_N: 'current_time',
  SVFOP_CURRENT_TIMESTAMP: 'current_timestamp',
  SVFOP_CURRENT_TIMESTAMP_N: 'current_timestamp',
  SVFOP_LOCALTIME: 'localtime',
  SVFOP_LOCALTIME_N: 'localtime',
  SVFOP_LOCALTIMESTAMP: 'localtimestamp',
  SVFOP_LOCALTIMESTAMP_N: 'localtimestamp',
  SVFOP_CURRENT_ROLE: 'current_role',
  SVFOP_CURRENT_USER: 'current_user',
  SVFOP_USER: 'user',
  SVFOP_SESSION_USER: 'session_user',
  SVFOP_CURRENT_CATALOG: 'current_catalog',
  SVFOP_CURRENT_SCHEMA: 'current_schema',
};

function good(name: string | undefined): { name: string; strength: number } | undefined {
  return name ? { name, strength: 2 } : undefined;
}

/** The last field name of a ColumnRef or an indirection (`*` and subscripts left out). */
function lastString(fields: unknown): { name: string; strength: number } | undefined {
  return good(
    list(fields)
      .flatMap((f) => (typeof as(f, 'String')?.sval === 'string' ? [String(present(as(f, 'String')).sval)] : []))
      .at(-1),
  );
}

/** ChooseIndexNameAddition: the names joined by `_`, stopping once 64 bytes are reached. */
function nameAddition(cols: string[]): string {
  let buf = '';
  for (const c of cols) {
    if (buf) buf += '_';
    buf += cutToBytes(c, NAMEDATALEN - 1);
    if (Buffer.byteLength(buf) >= NAMEDATALEN) break;
  }
  return buf;
}
