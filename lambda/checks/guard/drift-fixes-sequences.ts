/**
 * Fixes for a sequence's drift: one of its own dropped (made again, owner
 * and all), added by hand (its DROP), or changed (ALTER SEQUENCE sets the
 * snapshot's options and owner back); an identity's or a serial column's
 * options changed (ALTER SEQUENCE on the live column's sequence, which
 * PostgreSQL allows on an identity's too). Never its current value: a
 * sequence made again starts where the snapshot says, and the fix says to
 * move it past the values in use.
 */
import { oneLine, sqlComment } from '../../engine/sql/sql-quote';
import { namedSequences, SEQUENCE_FIELDS, type Catalog, type Difference, type NamedSequence } from '../../schema/catalog';
import type { SequenceOptions } from '../../schema/catalog-sequences';
import { ident, literal, qualified } from '../doctor/names';
import { INTO_MIGRATION, locate } from './drift-fixes-detail';
import { present } from '../../engine/errors/present';

/** Each option as ALTER / CREATE SEQUENCE sets it. */
const CLAUSES: Record<keyof SequenceOptions, (v: string | boolean) => string> = {
  type: (v) => `AS ${String(v)}`,
  increment: (v) => `INCREMENT BY ${String(v)}`,
  min: (v) => `MINVALUE ${String(v)}`,
  max: (v) => `MAXVALUE ${String(v)}`,
  start: (v) => `START WITH ${String(v)}`,
  cycle: (v) => (v ? 'CYCLE' : 'NO CYCLE'),
};

/** A sequence of its own dropped, added or changed by hand (all its differences); a serial column's dropped or added on its column. */
export function sequenceFix(diffs: readonly Difference[], snapshot: Catalog, live: Catalog): string {
  const d = diffs[0];
  const find = (c: Catalog) => namedSequences(c).find((s) => `${s.schema}.${s.name}` === d.name);
  if (d.change === 'only-in-b') {
    const s = find(live);
    return `put it in a migration (then schemaguard snapshot), or drop it${s ? `: ${s.attached ? restoreDefault(s, snapshot) : ''}DROP SEQUENCE ${qualified(s.schema, s.name)};` : ''}`;
  }
  const s = find(snapshot);
  if (!s) return `undo the change to sequence ${oneLine(d.name)} by hand, ${INTO_MIGRATION}`;
  const name = qualified(s.schema, s.name);
  const owner = ownedBy(s.ownedBy, [snapshot, live]);
  // An owner the catalogs do not hold (an extension's table; never another schema's: PostgreSQL keeps a sequence in its table's)
  // cannot be named here: the fix says so in words rather than clear it (OWNED BY NONE).
  const unnamed =
    s.ownedBy !== null && !owner
      ? `its owner in the snapshot, ${s.ownedBy}, is not a table drift reads (an extension's): set it by hand (ALTER SEQUENCE ${name} OWNED BY …)`
      : undefined;
  if (d.change === 'only-in-a') {
    const create = `CREATE SEQUENCE ${name} ${SEQUENCE_FIELDS.map((f) => CLAUSES[f](s[f])).join(' ')}${owner ? ` OWNED BY ${owner}` : ''};`;
    const serial = s.attached ? serialFix(s, snapshot) : undefined;
    return serial
      ? `${create}\n${serial}`
      : `${create}  ${sqlComment(`starts at ${s.start}: setval() it past the values in use${unnamed ? `; ${unnamed}` : ''}`)}`;
  }
  const changed = new Set(diffs.map((x) => x.field));
  const clauses = SEQUENCE_FIELDS.filter((f) => changed.has(f)).map((f) => CLAUSES[f](s[f]));
  const note = changed.has('ownedBy') ? unnamed : undefined;
  if (changed.has('ownedBy') && !note) clauses.push(`OWNED BY ${owner ?? 'NONE'}`);
  if (!clauses.length) return present(note);
  return `ALTER SEQUENCE ${name} ${clauses.join(' ')};${note ? `  ${sqlComment(note)}` : ''}`;
}

/** A serial column's sequence made again: its column's default calls it again, and it moves past the column's values. */
function serialFix(s: NamedSequence, snapshot: Catalog): string | undefined {
  const at = locate({ kind: 'column', name: present(s.ownedBy), change: 'changed' }, [snapshot]);
  const column = at?.table.columns.find((c) => c.name === at.member);
  if (!at || !column?.default) return undefined;
  const table = qualified(at.table.schema, at.table.name);
  return `ALTER TABLE ${table} ALTER COLUMN ${ident(column.name)} SET DEFAULT ${column.default};\n${setvalPast(table, column.name, s)}`;
}

/** A serial column's sequence added by hand: its column's default (which calls it) as the snapshot has it first, or PostgreSQL refuses the DROP. */
function restoreDefault(s: NamedSequence, snapshot: Catalog): string {
  const at = locate({ kind: 'column', name: present(s.ownedBy), change: 'changed' }, [snapshot]);
  const column = at?.table.columns.find((c) => c.name === at.member);
  if (!at || !column) return '';
  const alter = `ALTER TABLE ${qualified(at.table.schema, at.table.name)} ALTER COLUMN ${ident(column.name)}`;
  return `${alter} ${column.default === null ? 'DROP DEFAULT' : `SET DEFAULT ${column.default}`}; `;
}

/**
 * The setval that moves a column's new sequence past the values in use: the
 * next value after the largest (an ascending sequence's) or the smallest (a
 * descending one's), and never short of its start (an empty table starts
 * there; MINVALUE may be above the values).
 */
export function setvalPast(table: string, column: string, s: Pick<SequenceOptions, 'increment' | 'start'>): string {
  const descending = s.increment.startsWith('-');
  const step = descending ? `- ${s.increment.slice(1)}` : `+ ${s.increment}`;
  const next = `${descending ? 'least' : 'greatest'}(${descending ? 'min' : 'max'}(${ident(column)}) ${step}, ${s.start})`;
  return `SELECT setval(pg_get_serial_sequence(${literal(table)}, ${literal(column)}), ${next}, false) FROM ${table};`;
}

/** An identity's or serial column's sequence options changed by hand: set back on the live column's sequence (its name may differ from the snapshot's). */
export function columnSequenceFix(diffs: readonly Difference[], snapshot: Catalog, live: Catalog): string | undefined {
  const fields = new Set(diffs.map((d) => d.field?.replace(/^sequence\./, '')));
  const [expected, now] = [snapshot, live].map((c) => {
    const at = locate(diffs[0], [c]);
    return at?.table.columns.find((col) => col.name === at.member)?.sequence;
  });
  if (!expected || !now) return undefined;
  const clauses = SEQUENCE_FIELDS.filter((f) => fields.has(f)).map((f) => CLAUSES[f](expected[f]));
  return `ALTER SEQUENCE ${qualified(now.schema, now.name)} ${clauses.join(' ')};`;
}

/** An owning column (`schema.table.column`, unquoted) as OWNED BY names it, found in either catalog. */
function ownedBy(column: string | null, catalogs: readonly Catalog[]): string | undefined {
  if (column === null) return undefined;
  const at = locate({ kind: 'column', name: column, change: 'changed' }, catalogs);
  return at ? `${qualified(at.table.schema, at.table.name)}.${ident(at.member)}` : undefined;
}
