/**
 * Fixes for the drift of a catalog's detail (`catalog-detail.ts`): a
 * trigger dropped, disabled or redefined by hand, a policy dropped or
 * changed, an enum's labels changed, a view redefined. Each restores what
 * the snapshot has.
 */
import { oneLine, quoteLiteral, sqlComment } from '../../engine/sql/sql-quote';
import { labelsOf, type Catalog, type Difference, type TableInfo } from '../../schema/catalog';
import { ident, qualified } from '../doctor/names';

export const INTO_MIGRATION = 'or keep it: put it in a migration, then schemaguard snapshot';

/** `pg_trigger.tgenabled` → the ALTER TABLE form that sets it. */
const ENABLE: Record<string, string> = { O: 'ENABLE', D: 'DISABLE', R: 'ENABLE REPLICA', A: 'ENABLE ALWAYS' };

/** Where a column, constraint, index or trigger difference belongs: its table (from either catalog) and its own name. */
export function locate(d: Difference, catalogs: readonly Catalog[]): { table: TableInfo; member: string } | undefined {
  for (const catalog of catalogs) {
    for (const table of catalog.tables) {
      const prefix = `${table.schema}.${table.name}.`;
      if (d.name.startsWith(prefix)) return { table, member: d.name.slice(prefix.length) };
    }
  }
  return undefined;
}

/** A trigger or policy only the live table has (added by hand): into a migration, or its DROP. */
function addedOnTable(d: Difference, live: Catalog, what: 'TRIGGER' | 'POLICY'): string {
  const at = locate(d, [live]);
  return `put it in a migration (then schemaguard snapshot), or drop it${at ? `: DROP ${what} ${ident(at.member)} ON ${qualified(at.table.schema, at.table.name)};` : ''}`;
}

export function triggerFix(diffs: readonly Difference[], snapshot: Catalog, live: Catalog): string {
  const d = diffs[0];
  if (d.change === 'only-in-b') return addedOnTable(d, live, 'TRIGGER');
  const at = locate(d, [snapshot]);
  const trigger = at?.table.triggers?.find((t) => t.name === at.member);
  if (!at || !trigger) return `undo the change to trigger ${oneLine(d.name)} by hand, ${INTO_MIGRATION}`;
  const table = qualified(at.table.schema, at.table.name);
  const name = ident(trigger.name);
  const create = `${trigger.definition};${trigger.enabled === 'O' ? '' : `\nALTER TABLE ${table} ${ENABLE[trigger.enabled]} TRIGGER ${name};`}`;
  if (d.change === 'only-in-a') return create;
  if (diffs.some((x) => x.field === 'definition')) return `DROP TRIGGER ${name} ON ${table};\n${create}`;
  return `ALTER TABLE ${table} ${ENABLE[trigger.enabled] ?? 'ENABLE'} TRIGGER ${name};`;
}

/**
 * A policy dropped or changed by hand is made again as the snapshot has it;
 * a changed one is dropped and made in one transaction, so no session sees
 * the table without it (with row-level security on, a role no policy lets
 * see a row sees none).
 */
export function policyFix(d: Difference, snapshot: Catalog, live: Catalog): string {
  if (d.change === 'only-in-b') return addedOnTable(d, live, 'POLICY');
  const at = locate(d, [snapshot]);
  const policy = at?.table.policies?.find((p) => p.name === at.member);
  if (!at || !policy) return `undo the change to policy ${oneLine(d.name)} by hand, ${INTO_MIGRATION}`;
  if (d.change === 'only-in-a') return `${policy.definition};`;
  return `BEGIN;\nDROP POLICY ${ident(policy.name)} ON ${qualified(at.table.schema, at.table.name)};\n${policy.definition};\nCOMMIT;`;
}

/** Labels the snapshot has and the live type lacks are added back in place; one renamed is renamed back; labels added by hand cannot be dropped. */
export function enumFix(d: Difference, snapshot: Catalog, liveCatalog: Catalog): string {
  const find = (c: Catalog) => c.types?.find((t) => `${t.schema}.${t.name}` === d.name);
  const type = find(snapshot);
  const added = find(liveCatalog);
  if (d.change === 'only-in-b')
    return `put it in a migration (then schemaguard snapshot), or drop it when no column uses it${added ? `: DROP TYPE ${qualified(added.schema, added.name)};` : ''}`;
  if (!type) return `undo the change to type ${oneLine(d.name)} by hand, ${INTO_MIGRATION}`;
  const name = qualified(type.schema, type.name);
  if (d.change === 'only-in-a') return `CREATE TYPE ${name} AS ENUM (${type.values.map(quoteLiteral).join(', ')});`;
  const live = typeof d.b === 'string' ? labelsOf(d.b) : [];
  const missing = type.values.filter((v) => !live.includes(v));
  const extra = live.filter((v) => !type.values.includes(v));
  if (missing.length === 1 && extra.length === 1 && live.indexOf(extra[0]) === type.values.indexOf(missing[0])) {
    return `ALTER TYPE ${name} RENAME VALUE ${quoteLiteral(extra[0])} TO ${quoteLiteral(missing[0])};  ${sqlComment(`rows holding it read ${quoteLiteral(missing[0])} again`)}`;
  }
  const adds = missing.map((v) => {
    const k = type.values.indexOf(v);
    const after = type.values
      .slice(0, k)
      .reverse()
      .find((x) => live.includes(x));
    return `ALTER TYPE ${name} ADD VALUE IF NOT EXISTS ${quoteLiteral(v)}${after ? ` AFTER ${quoteLiteral(after)}` : ''};`;
  });
  const kept = extra.length
    ? `${adds.length ? '\n' : ''}${sqlComment(`${extra.map(quoteLiteral).join(', ')}: added by hand; PostgreSQL cannot drop an enum label (${INTO_MIGRATION})`)}`
    : '';
  return `${adds.join('\n')}${kept}`;
}

/** A view redefined by hand: its query again (a materialized view must be dropped and created, with its indexes: by hand). */
export function viewFix(d: Difference, snapshot: Catalog): string {
  const view = snapshot.tables.find((t) => `${t.schema}.${t.name}` === d.name);
  if (!view?.definition || view.kind !== 'v') return `undo the change to ${oneLine(d.name)} by hand, ${INTO_MIGRATION}`;
  return `CREATE OR REPLACE VIEW ${qualified(view.schema, view.name)} AS\n${view.definition.replace(/;?\s*$/, ';')}  -- the snapshot's query; fails if a column was dropped or retyped since (then DROP VIEW first)`;
}

/** A domain changed by hand: its NOT NULL, default and CHECKs as the snapshot has them (each CHECK added NOT VALID, then validated). */
export function domainFix(diffs: readonly Difference[], snapshot: Catalog, live: Catalog): string {
  const d = diffs[0];
  const find = (c: Catalog) => c.domains?.find((x) => `${x.schema}.${x.name}` === d.name);
  const [want, now] = [find(snapshot), find(live)];
  if (d.change === 'only-in-b')
    return `put it in a migration (then schemaguard snapshot), or drop it when no column uses it${now ? `: DROP DOMAIN ${qualified(now.schema, now.name)};` : ''}`;
  if (!want) return `undo the change to domain ${oneLine(d.name)} by hand, ${INTO_MIGRATION}`;
  const name = qualified(want.schema, want.name);
  const scan = '  -- SHARE on every table with a column of the domain, each read';
  const validated = (c: { name: string; definition: string }) => {
    const notValid = c.definition.endsWith(' NOT VALID');
    const check = notValid ? c.definition : `${c.definition} NOT VALID`;
    return [
      `ALTER DOMAIN ${name} ADD CONSTRAINT ${ident(c.name)} ${check};`,
      ...(notValid ? [] : [`ALTER DOMAIN ${name} VALIDATE CONSTRAINT ${ident(c.name)};${scan}`]),
    ];
  };
  if (d.change === 'only-in-a') {
    return [
      `CREATE DOMAIN ${name} AS ${want.baseType}${want.default === null ? '' : ` DEFAULT ${want.default}`}${want.notNull ? ' NOT NULL' : ''};`,
      ...want.checks.flatMap(validated),
    ].join('\n');
  }
  const lines: string[] = [];
  for (const x of diffs) {
    if (x.field === 'notNull') lines.push(want.notNull ? `ALTER DOMAIN ${name} SET NOT NULL;${scan}` : `ALTER DOMAIN ${name} DROP NOT NULL;`);
    else if (x.field === 'default')
      lines.push(want.default === null ? `ALTER DOMAIN ${name} DROP DEFAULT;` : `ALTER DOMAIN ${name} SET DEFAULT ${want.default};`);
    else if (x.field === 'checks') {
      const live = now?.checks ?? [];
      for (const c of live)
        if (!want.checks.some((w) => w.name === c.name && w.definition === c.definition)) lines.push(`ALTER DOMAIN ${name} DROP CONSTRAINT ${ident(c.name)};`);
      for (const c of want.checks) if (!live.some((l) => l.name === c.name && l.definition === c.definition)) lines.push(...validated(c));
    } else lines.push(`undo the change to ${x.field} of domain ${oneLine(d.name)} by hand, ${INTO_MIGRATION}`);
  }
  return lines.join('\n');
}

/** Row-level security turned on (or off, or forced) by hand: on without a policy, every role but the owner sees no row. */
export function rowSecurityFix(d: Difference, snapshot: Catalog): string {
  const t = snapshot.tables.find((x) => `${x.schema}.${x.name}` === d.name);
  if (!t) return `undo the change to ${oneLine(d.name)} by hand, ${INTO_MIGRATION}`;
  const table = qualified(t.schema, t.name);
  const to = String(d.a);
  const force = to === 'forced' ? `ALTER TABLE ${table} FORCE ROW LEVEL SECURITY;` : `ALTER TABLE ${table} NO FORCE ROW LEVEL SECURITY;`;
  if (to === 'off') return `ALTER TABLE ${table} DISABLE ROW LEVEL SECURITY;  -- with it on and no policy for the application's role, that role sees no row`;
  return `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;\n${force}`;
}

/** A replica identity changed by hand (FULL, NOTHING, another index): what logical replication sends, and whether a published table takes UPDATE and DELETE. */
export function replicaIdentityFix(d: Difference, snapshot: Catalog): string {
  const t = snapshot.tables.find((x) => `${x.schema}.${x.name}` === d.name);
  if (!t) return `undo the change to ${oneLine(d.name)} by hand, ${INTO_MIGRATION}`;
  const to = String(d.a);
  const form = to.startsWith('index ') ? `USING INDEX ${to.slice('index '.length)}` : to.toUpperCase();
  return `ALTER TABLE ${qualified(t.schema, t.name)} REPLICA IDENTITY ${form};  -- ACCESS EXCLUSIVE on the table, brief (no rewrite)`;
}
