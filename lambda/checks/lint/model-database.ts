/**
 * The database's own picture of the tables lint read (`lint --database-url`,
 * `plan`): which of them exist, their columns and indexes. The pending-set
 * model replays the applied files to know the tables they made, but a replay
 * misses what the files did where lint cannot see (a DO block, a function,
 * EXECUTE) and what was done by hand since. Where the two disagree about a
 * table the pending files name, the database wins: it is what the pending
 * statements will meet.
 */
import type { CatalogColumn, LintCatalog } from './catalog';
import type { TableModel } from './model-types';
import { get } from '../../engine/errors/present';

/** At most this many tables are named in the note (the others are counted). */
const TABLES_NAMED = 5;

export class DatabaseTables {
  /** Columns by `schema.table`. */
  private readonly columns = new Map<string, Map<string, CatalogColumn>>();
  /** `schema.table` of every relation read. */
  private readonly relations = new Set<string>();
  /** Index names by `schema.table`. */
  private readonly indexes = new Map<string, Set<string>>();
  /** The names read: a relation of such a name that is not in `relations` is not in the database. */
  private readonly namesRead: Set<string>;

  constructor(catalog: LintCatalog) {
    this.namesRead = new Set(catalog.tablesRead ?? []);
    for (const c of catalog.columns ?? []) {
      const key = `${c.schema}.${c.table}`;
      if (!this.columns.has(key)) this.columns.set(key, new Map());
      get(this.columns, key).set(c.column, c);
    }
    for (const r of catalog.relations ?? []) this.relations.add(`${r.schema}.${r.name}`);
    // A catalog without relations (built by hand, or by an older reader): the tables with columns exist.
    if (!catalog.relations) for (const key of this.columns.keys()) this.relations.add(key);
    for (const i of catalog.indexes ?? []) {
      const key = `${i.schema}.${i.table}`;
      if (!this.indexes.has(key)) this.indexes.set(key, new Set());
      get(this.indexes, key).add(i.name);
    }
  }

  /** Whether the database was asked about a relation of this name and has none in this schema. */
  lacks(schema: string, name: string): boolean {
    return this.namesRead.has(name) && !this.relations.has(`${schema}.${name}`);
  }

  /** Whether the database's columns of this table were read. */
  knows(schema: string, name: string): boolean {
    return this.namesRead.has(name) && this.relations.has(`${schema}.${name}`);
  }

  /** The database's columns of a table it has (none when not read). */
  columnsOf(schema: string, name: string): ReadonlyMap<string, CatalogColumn> {
    return this.columns.get(`${schema}.${name}`) ?? new Map();
  }

  /** The database's indexes of a table (undefined when not read). */
  indexesOf(schema: string, name: string): ReadonlySet<string> | undefined {
    return this.knows(schema, name) ? (this.indexes.get(`${schema}.${name}`) ?? new Set()) : undefined;
  }

  /**
   * Make an applied table of the model what the database has: its columns
   * (names, types, NOT NULL) are the database's. Returns what differed, in
   * words (empty when nothing did).
   */
  reconcileColumns(t: TableModel, schema: string, name: string): string[] {
    // A table no file creates knows only the columns files added: the database's others are no news.
    const created = !t.placeholder;
    if (t.view || !this.knows(schema, name)) return [];
    const db = this.columnsOf(schema, name);
    const differences: string[] = [];
    for (const column of [...t.columns.keys()]) {
      if (db.has(column)) continue;
      t.columns.delete(column);
      differences.push(`column ${column} is not in the database`);
    }
    for (const [column, c] of db) {
      const known = t.columns.get(column);
      if (!known) {
        t.columns.set(column, { type: c.type, notNull: c.notNull });
        if (created) differences.push(`column ${column} is only in the database`);
        continue;
      }
      if (known.type !== undefined && baseType(known.type) !== baseType(c.type)) differences.push(`column ${column} is ${c.type}, not ${known.type}`);
      known.type = c.type;
      known.notNull = c.notNull;
    }
    return differences;
  }
}

/** A type's name without a schema: `public.mood` and `mood` are one type to the reader of a note. */
function baseType(type: string): string {
  return type.replace(/^(?:"[^"]*"|[^".]+)\./, '');
}

/** One note for every table where the database and the applied files' replay disagree. */
export function disagreementNote(differences: ReadonlyMap<string, string[]>): string | undefined {
  if (differences.size === 0) return undefined;
  const tables = [...differences].slice(0, TABLES_NAMED).map(([table, what]) => `${table} (${what.join('; ')})`);
  const more = differences.size > TABLES_NAMED ? `, and ${differences.size - TABLES_NAMED} more` : '';
  return (
    `the database differs from what the applied files make, and lint takes the database's tables: ${tables.join(', ')}${more}` +
    ' (done where lint cannot follow, as in a DO block, or by hand since)'
  );
}
