/**
 * fk-missing: a `*_id` column that no foreign key constrains, where a unique
 * key on one column, whose type the column's values fit, is concretely what
 * it refers to: the key that the schema's own foreign keys give columns of
 * the same name elsewhere (a table copied with LIKE loses its foreign keys),
 * or a key on `id` (or on a column of the same name) of the table the column
 * names (`lead_id` → `lead`, `leads`, `leades`; `category_id` →
 * `categories`). The foreign key it prints then applies. Anything less
 * concrete is no finding: counters (`next_event_id`), ids of other systems
 * (`stripe_customer_id`), a table's own key, keys that are only part of a
 * composite key, polymorphic references (`owner_id` beside `owner_type`),
 * generated columns. A schema without any foreign key is reported once, not
 * column by column: that is usually a decision.
 */
import { sqlComment } from '../../engine/sql/sql-quote';
import { orderedRows } from '../../schema/catalog-pages';
import type { Finding } from '../findings/finding';
import { baseType, sameKeyType } from './key-types';
import { ident, qualified } from './names';
import type { DoctorContext, DoctorRule } from './rule';
import { USER_TABLE, notExtensionMember } from './scope';
import { typeChangeFix, viewsReading, type Relation } from './type-change';
import { oneOrMany, plural } from '../../engine/errors/words';

export const FK_MISSING: DoctorRule = {
  id: 'fk-missing',
  severity: 'warning',
  title: "*_id column without a foreign key, where the table it names (or the schema's foreign keys on that column name) gives a matching unique key",
  why: 'without a foreign key nothing stops rows that point at nothing (orphans), and they are found only when a join silently drops them',
  fix: 'ADD CONSTRAINT … FOREIGN KEY … NOT VALID, then VALIDATE CONSTRAINT in a separate transaction (after the type change, when the types differ)',
  examples: {
    finds:
      'CREATE TABLE leads (id uuid PRIMARY KEY DEFAULT gen_random_uuid());\nCREATE TABLE web_sessions (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), lead_id uuid);',
    passes:
      'CREATE TABLE leads (id uuid PRIMARY KEY DEFAULT gen_random_uuid());\nCREATE TABLE web_sessions (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), lead_id uuid REFERENCES leads (id));\nCREATE INDEX web_sessions_lead_id ON web_sessions (lead_id);',
  },
  check: fkMissing,
};

/** A column and a table it may refer to, through a single-column unique key. */
interface Candidate {
  schema: string;
  table: string;
  column: string;
  /** The column's table is partitioned. */
  partitioned: boolean;
  type: string;
  base: string;
  ref_schema: string;
  ref_table: string;
  ref_column: string;
  ref_type: string;
  ref_base: string;
  same_type: boolean;
  /** The table whose foreign key on a column of the same name gave this key (null: the column's name did). */
  via: string | null;
  /** Views that read the column (they block a type change). */
  views: Relation[];
}

/** A candidate whose values fit the key, with the type change they need first (if any). */
interface Reference extends Candidate {
  retype?: string;
  /** The foreign key can be added NOT VALID (not on a partitioned table before PostgreSQL 18). */
  notValid: boolean;
}

/** PostgreSQL 18 adds foreign keys NOT VALID to partitioned tables; earlier releases refuse (42809). */
const NOT_VALID_ON_PARTITIONED = 180000;

export async function fkMissing(ctx: DoctorContext): Promise<Finding[]> {
  const references = chooseReferences(await candidates(ctx)).map((r) => ({ ...r, notValid: !r.partitioned || ctx.serverVersion >= NOT_VALID_ON_PARTITIONED }));
  const constrained = await schemasWithForeignKeys(ctx);
  const findings: Finding[] = [];
  for (const schema of [...new Set(references.map((r) => r.schema))]) {
    const here = references.filter((r) => r.schema === schema);
    if (constrained.has(schema)) findings.push(...here.map(columnFinding));
    else findings.push(schemaFinding(schema, here));
  }
  return findings;
}

/**
 * Every unconstrained `*_id` column with each key it may reference: the keys
 * the schema's own foreign keys give columns of that name elsewhere
 * (`client_id` references `oauth_clients (id)` in another table of the same
 * schema: \`via\` names it), then the single-column unique keys on `id`, or
 * on the same name, of the tables the column names.
 */
async function candidates(ctx: DoctorContext): Promise<Candidate[]> {
  return orderedRows<Candidate>(
    ctx.q,
    `WITH loose AS (
       SELECT c.oid AS relid, c.relnamespace, c.relkind, n.nspname, c.relname, a.attnum, a.attname, a.atttypid, a.atttypmod, left(a.attname, -3) AS stem
         FROM pg_attribute a
         JOIN pg_class c ON c.oid = a.attrelid AND c.relkind IN ('r', 'p') AND NOT c.relispartition
         JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attinhcount = 0 AND a.attgenerated = ''
          AND a.attname LIKE '%\\_id' AND ${USER_TABLE}
          AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conrelid = c.oid AND a.attnum = ANY (f.conkey))
          AND NOT EXISTS (SELECT 1 FROM pg_attribute p WHERE p.attrelid = c.oid AND p.attname = left(a.attname, -3) || '_type' AND NOT p.attisdropped)
     ), conventions AS (
       SELECT fc.relnamespace, fa.attname, f.confrelid AS ref, f.confkey[1] AS refnum, min(fc.relname) AS via
         FROM pg_constraint f
         JOIN pg_class fc ON fc.oid = f.conrelid AND ${notExtensionMember('fc.oid')}
         JOIN pg_attribute fa ON fa.attrelid = f.conrelid AND fa.attnum = f.conkey[1]
        WHERE f.contype = 'f' AND f.conparentid = 0 AND array_length(f.conkey, 1) = 1 AND f.conrelid <> f.confrelid
        GROUP BY 1, 2, 3, 4
     ), targets AS (
       SELECT l.relid, l.attnum, 0 AS rank, cv.ref, cv.refnum, cv.via
         FROM loose l JOIN conventions cv ON cv.relnamespace = l.relnamespace AND cv.attname = l.attname
       UNION ALL
       SELECT l.relid, l.attnum, 1, r.oid, ra.attnum, NULL
         FROM loose l
         CROSS JOIN LATERAL (SELECT DISTINCT unnest(ARRAY[l.stem, l.stem || 's', l.stem || 'es', regexp_replace(l.stem, 'y$', 'ies')])::name AS relname) named
         JOIN pg_class r ON r.relname = named.relname AND r.relnamespace = l.relnamespace
          AND r.relkind IN ('r', 'p') AND NOT r.relispartition AND ${notExtensionMember('r.oid')}
         JOIN pg_attribute ra ON ra.attrelid = r.oid AND ra.attnum > 0 AND NOT ra.attisdropped AND ra.attname IN ('id', l.attname)
     )
     SELECT l.nspname AS schema, l.relname AS table, l.attname AS column, l.relkind = 'p' AS partitioned, format_type(l.atttypid, l.atttypmod) AS type,
            format_type(ab.base, NULL) AS base, rn.nspname AS ref_schema, r.relname AS ref_table, ra.attname AS ref_column,
            format_type(ra.atttypid, ra.atttypmod) AS ref_type, format_type(rb.base, NULL) AS ref_base,
            ${sameKeyType('ab.base', 'rb.base')} AS same_type, t.via, ${viewsReading('l.relid', 'l.attnum')} AS views,
            row_number() OVER (ORDER BY l.nspname, l.relname, l.attname, t.rank, ra.attname = 'id' DESC, length(r.relname), r.relname, ra.attname) AS page_row
       FROM targets t JOIN loose l ON l.relid = t.relid AND l.attnum = t.attnum
       JOIN pg_class r ON r.oid = t.ref JOIN pg_namespace rn ON rn.oid = r.relnamespace
       JOIN pg_attribute ra ON ra.attrelid = t.ref AND ra.attnum = t.refnum
       CROSS JOIN LATERAL (SELECT ${baseType('l.atttypid')} AS base) ab
       CROSS JOIN LATERAL (SELECT ${baseType('ra.atttypid')} AS base) rb
      WHERE t.ref <> t.relid
        AND EXISTS (SELECT 1 FROM pg_index i
                     WHERE i.indrelid = t.ref AND i.indisunique AND i.indisvalid AND i.indimmediate
                       AND i.indpred IS NULL AND i.indexprs IS NULL AND i.indnkeyatts = 1 AND i.indkey[0] = t.refnum)
      ORDER BY page_row`,
    [ctx.stateSchema],
  );
}

const INTEGERS = new Set(['smallint', 'integer', 'bigint']);
/** A string column sized for a uuid's text form: uuids stored as strings. */
const UUID_TEXT = /^(character varying|character)\(36\)$/;

/**
 * Per column, the first candidate its values fit: as they are, or after a
 * type change that keeps them (an integer of another width; uuids stored as
 * 36-character strings). Columns with none drop out: a `text` user_id beside
 * a uuid key may hold anything. Where the schema's foreign keys disagree on
 * what a column name references, they decide nothing.
 */
function chooseReferences(all: Candidate[]): (Candidate & { retype?: string })[] {
  const chosen = new Map<string, Candidate & { retype?: string }>();
  const byColumn = new Map<string, Candidate[]>();
  for (const c of all) {
    const key = JSON.stringify([c.schema, c.table, c.column]);
    byColumn.set(key, [...(byColumn.get(key) ?? []), c]);
  }
  for (const [key, options] of byColumn) {
    const conventions = new Set(options.filter((c) => c.via !== null).map((c) => `${c.ref_schema}.${c.ref_table}.${c.ref_column}`));
    for (const c of options.filter((o) => o.via === null || conventions.size === 1)) {
      const retype = fits(c);
      if (retype !== undefined) {
        chosen.set(key, retype ? { ...c, retype } : c);
        break;
      }
    }
  }
  return [...chosen.values()];
}

/** '' when the values fit the key as they are, the type to change to when they fit after that, undefined when they do not fit. */
function fits(c: Candidate): string | undefined {
  if (c.same_type) return '';
  if (INTEGERS.has(c.base) && INTEGERS.has(c.ref_base)) return c.ref_type;
  if (UUID_TEXT.test(c.type) && c.ref_base === 'uuid') return c.ref_type;
  return undefined;
}

async function schemasWithForeignKeys(ctx: DoctorContext): Promise<Set<string>> {
  return new Set(
    (
      await orderedRows<{ schema: string }>(
        ctx.q,
        `SELECT n.nspname AS schema, row_number() OVER (ORDER BY n.nspname) AS page_row FROM pg_namespace n
      WHERE EXISTS (SELECT 1 FROM pg_constraint f JOIN pg_class c ON c.oid = f.conrelid WHERE f.contype = 'f' AND c.relnamespace = n.oid AND ${USER_TABLE})
      ORDER BY page_row`,
        [ctx.stateSchema],
      )
    ).map((r) => r.schema),
  );
}

function columnFinding(r: Reference): Finding {
  const t = qualified(r.schema, r.table);
  return {
    rule: FK_MISSING.id,
    severity: FK_MISSING.severity,
    object: `${t}.${r.column}`,
    message: `${t}.${r.column} (${r.type}) has no foreign key; it looks like a reference to ${describe(r)}${r.retype ? ', whose type differs' : ''}${r.via ? `, as ${qualified(r.schema, r.via)}.${r.column} is` : ''}`,
    why: FK_MISSING.why,
    fix: foreignKeyFix(r),
  };
}

function schemaFinding(schema: string, references: Reference[]): Finding {
  const listed = references
    .slice(0, 5)
    .map((r) => `${qualified(r.schema, r.table)}.${r.column} → ${describe(r)}`)
    .join(', ');
  const more = references.length > 5 ? `, and ${references.length - 5} more` : '';
  return {
    rule: FK_MISSING.id,
    severity: FK_MISSING.severity,
    object: ident(schema),
    message: `schema ${ident(schema)} has no foreign key at all; ${plural(references.length, 'column')} ${oneOrMany(references.length, 'looks like a reference', 'look like references')}: ${listed}${more}`,
    why: 'a schema without any foreign key is usually a decision (integrity kept by the application, sharding); if it is not, nothing stops rows that point at nothing (orphans)',
    fix: `-- by design: nothing to do. Otherwise one foreign key at a time, e.g.\n${foreignKeyFix(references[0])}`,
  };
}

function describe(r: Reference): string {
  return `${qualified(r.ref_schema, r.ref_table)}.${r.ref_column} (${r.ref_type})`;
}

/**
 * The type change (when needed), the foreign key NOT VALID, and its
 * validation in a transaction of its own; where NOT VALID is refused, the
 * foreign key that checks every row at once.
 */
function foreignKeyFix(r: Reference): string {
  const t = qualified(r.schema, r.table);
  const name = ident(`${r.table}_${r.column}_fkey`);
  const add = `ALTER TABLE ${t} ADD CONSTRAINT ${name} FOREIGN KEY (${ident(r.column)}) REFERENCES ${qualified(r.ref_schema, r.ref_table)} (${ident(r.ref_column)})`;
  return [
    ...(r.retype ? [typeChangeFix({ ...r, type: r.retype, using: true, note: `rewrites ${t}; check first that every value casts` })] : []),
    ...(r.notValid
      ? [
          `${add} NOT VALID;`,
          '-- then, in a transaction of its own (a separate migration), once no row points at nothing:',
          `ALTER TABLE ${t} VALIDATE CONSTRAINT ${name};`,
        ]
      : [
          sqlComment(
            `${t} is partitioned: before PostgreSQL 18 its foreign key cannot be added NOT VALID, so this checks every row while it blocks writes to both tables`,
          ),
          `${add};`,
        ]),
  ].join('\n');
}
