/**
 * Fixes for a sequence's drift: one of its own dropped (made again, owner
 * and all), added by hand (its DROP), or changed (ALTER SEQUENCE sets the
 * snapshot's options and owner back); an identity's or a serial column's
 * options changed (ALTER SEQUENCE on the live column's sequence, which
 * PostgreSQL allows on an identity's too). Never its current value: a
 * sequence made again starts where the snapshot says, and the fix says to
 * move it past the values in use.
 */
import { namedSequences, SEQUENCE_FIELDS, type Catalog, type Difference } from '../../schema/catalog';
import type { SequenceOptions } from '../../schema/catalog-sequences';
import { ident, qualified } from '../doctor/names';
import { INTO_MIGRATION, locate } from './drift-fixes-detail';

/** Each option as ALTER / CREATE SEQUENCE sets it. */
const CLAUSES: Record<keyof SequenceOptions, (v: string | boolean) => string> = {
  type: (v) => `AS ${String(v)}`,
  increment: (v) => `INCREMENT BY ${String(v)}`,
  min: (v) => `MINVALUE ${String(v)}`,
  max: (v) => `MAXVALUE ${String(v)}`,
  start: (v) => `START WITH ${String(v)}`,
  cycle: (v) => (v ? 'CYCLE' : 'NO CYCLE'),
};

/** A sequence of its own dropped, added or changed by hand (all its differences). */
export function sequenceFix(diffs: readonly Difference[], snapshot: Catalog, live: Catalog): string {
  const d = diffs[0]!;
  const find = (c: Catalog) => namedSequences(c).find((s) => `${s.schema}.${s.name}` === d.name);
  if (d.change === 'only-in-b') {
    const s = find(live);
    return `put it in a migration (then schemaguard snapshot), or drop it${s ? `: DROP SEQUENCE ${qualified(s.schema, s.name)};` : ''}`;
  }
  const s = find(snapshot);
  if (!s) return `undo the change to sequence ${d.name} by hand, ${INTO_MIGRATION}`;
  const name = qualified(s.schema, s.name);
  const owner = ownedBy(s.ownedBy, [snapshot, live]);
  if (d.change === 'only-in-a') {
    return `CREATE SEQUENCE ${name} ${SEQUENCE_FIELDS.map((f) => CLAUSES[f](s[f])).join(' ')}${owner ? ` OWNED BY ${owner}` : ''};  -- starts at ${s.start}: setval() it past the values in use`;
  }
  const changed = new Set(diffs.map((x) => x.field));
  const clauses = SEQUENCE_FIELDS.filter((f) => changed.has(f)).map((f) => CLAUSES[f](s[f]));
  if (changed.has('ownedBy')) clauses.push(`OWNED BY ${owner ?? 'NONE'}`);
  return `ALTER SEQUENCE ${name} ${clauses.join(' ')};`;
}

/** An identity's or serial column's sequence options changed by hand: set back on the live column's sequence (its name may differ from the snapshot's). */
export function columnSequenceFix(diffs: readonly Difference[], snapshot: Catalog, live: Catalog): string | undefined {
  const fields = new Set(diffs.map((d) => d.field?.replace(/^sequence\./, '')));
  const [expected, now] = [snapshot, live].map((c) => {
    const at = locate(diffs[0]!, [c]);
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
