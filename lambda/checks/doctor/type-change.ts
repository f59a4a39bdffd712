/**
 * A column's type change as a fix prints it. ALTER COLUMN … TYPE refuses
 * (0A000, "cannot alter type of a column used by a view or rule") while a
 * view or a rule reads the column, so the fix names those first: dropping and
 * re-creating them, with their grants and owner, is the user's call.
 */
import { sqlComment } from '../../engine/sql/sql-quote';
import { ident, qualified } from './names';
import { oneOrMany } from '../../engine/errors/words';

export interface Relation {
  schema: string;
  name: string;
}

/** SQL: the views and rules (other than the table's own) that read column `attnum` of relation `rel`, as a JSON array of Relation. */
export function viewsReading(rel: string, attnum: string): string {
  return `(SELECT coalesce(json_agg(DISTINCT jsonb_build_object('schema', vn.nspname, 'name', v.relname)), '[]')
             FROM pg_depend vd JOIN pg_rewrite rw ON rw.oid = vd.objid
             JOIN pg_class v ON v.oid = rw.ev_class JOIN pg_namespace vn ON vn.oid = v.relnamespace
            WHERE vd.classid = 'pg_rewrite'::regclass AND vd.refclassid = 'pg_class'::regclass
              AND vd.refobjid = ${rel} AND vd.refobjsubid = ${attnum} AND rw.ev_class <> ${rel})`;
}

export interface TypeChange {
  schema: string;
  table: string;
  column: string;
  /** The type to change to, as format_type() prints it. */
  type: string;
  /** Cast the values with `USING column::type` (a change no implicit cast covers). */
  using?: boolean;
  /** What to know before running it, as a trailing comment. */
  note: string;
  views: Relation[];
}

export function typeChangeFix(change: TypeChange): string {
  const t = qualified(change.schema, change.table);
  const column = ident(change.column);
  const views = [...change.views].sort((a, b) => `${a.schema}.${a.name}`.localeCompare(`${b.schema}.${b.name}`)).map((v) => qualified(v.schema, v.name));
  return [
    ...(views.length
      ? [
          sqlComment(
            `first drop ${views.join(', ')} (${oneOrMany(views.length, 'it reads', 'they read')} ${column}: the type change fails while ${oneOrMany(views.length, 'it exists', 'they exist')}), and re-create ${oneOrMany(views.length, 'it', 'them')} with ${oneOrMany(views.length, 'its', 'their')} grants after, in the same transaction`,
          ),
        ]
      : []),
    `ALTER TABLE ${t} ALTER COLUMN ${column} TYPE ${change.type}${change.using ? ` USING ${column}::${change.type}` : ''};  ${sqlComment(change.note)}`,
  ].join('\n');
}
