/**
 * Doctor's findings as guard findings: its errors (ticket), its INVALID
 * indexes (page when the index backs a contract: a contract's ON CONFLICT
 * names its columns or its constraint) and its constraints never validated
 * (ticket). Doctor's warnings are left to `schemaguard doctor`.
 */
import { quoteIdent } from '../../engine/state/identifiers';
import type { Queryable } from '../../engine/ports';
import { orderedRows } from '../../schema/catalog-pages';
import { conflictTargets, sameColumns, type ConflictTarget } from '../contracts/conflict-targets';
import type { Contract } from '../contracts';
import type { Finding } from '../findings/finding';
import { LOG_LANGUAGE } from '../doctor/log-language';
import { qualified } from '../doctor/names';
import type { GuardFinding } from './report';
import { GUARD_RULES } from './rules';

interface InvalidIndexRow {
  schema: string;
  index: string;
  table_oid: string | number;
  columns: string[] | string;
  constraint: string | null;
}

export async function doctorFindings(q: Queryable, findings: readonly Finding[], contracts: readonly Contract[]): Promise<GuardFinding[]> {
  const invalid = findings.filter((f) => f.rule === GUARD_RULES.invalidIndex.id);
  const backing = invalid.length ? await backedContracts(q, contracts) : new Map<string, string>();
  return findings.flatMap((f): GuardFinding[] => {
    const object = f.object ?? f.message;
    if (f.rule === GUARD_RULES.invalidIndex.id) {
      const contract = backing.get(object);
      return [
        {
          kind: 'invalid-index',
          rule: f.rule,
          severity: contract ? 'page' : 'ticket',
          object,
          message: contract ? `${f.message}, and it backs contract ${contract} (its ON CONFLICT arbiter)` : f.message,
          why: f.why,
          fix: f.fix,
        },
      ];
    }
    if (f.rule === GUARD_RULES.notValidated.id)
      return [{ kind: 'not-validated', rule: f.rule, severity: 'ticket', object, message: f.message, why: f.why, fix: f.fix }];
    // Errors, and the one warning that silences the alarms the guard stands beside (log-language).
    if (f.severity === 'error' || f.rule === LOG_LANGUAGE.id)
      return [{ kind: 'doctor', rule: f.rule, severity: 'ticket', object, message: f.message, why: f.why, fix: f.fix }];
    return [];
  });
}

/** INVALID indexes a contract's ON CONFLICT relies on, by doctor's name for them → the contract's name. */
async function backedContracts(q: Queryable, contracts: readonly Contract[]): Promise<Map<string, string>> {
  const targets = contracts.flatMap((c) => conflictTargets(c));
  const out = new Map<string, string>();
  if (!targets.length) return out;
  const oids = await tableOids(q, targets);
  const rows = await orderedRows<InvalidIndexRow>(
    q,
    `SELECT n.nspname AS schema, x.relname AS index, i.indrelid::bigint AS table_oid, row_number() OVER (ORDER BY i.indexrelid) AS page_row,
            ARRAY(SELECT a.attname::text FROM unnest(i.indkey) k JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k) AS columns,
            (SELECT conname::text FROM pg_constraint WHERE conindid = i.indexrelid LIMIT 1) AS constraint
       FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid JOIN pg_namespace n ON n.oid = x.relnamespace
      WHERE NOT i.indisvalid ORDER BY page_row`,
  );
  for (const row of rows) {
    const columns = typeof row.columns === 'string' ? row.columns.replace(/[{}"]/g, '').split(',').filter(Boolean) : row.columns;
    const target = targets.find(
      (t, k) =>
        oids[k] === String(row.table_oid) && (t.constraint ? t.constraint === row.constraint || t.constraint === row.index : sameColumns(columns, t.columns)),
    );
    if (target) out.set(qualified(row.schema, row.index), target.contract);
  }
  return out;
}

/**
 * Each target's table oid, resolved as the statement would resolve it
 * (search_path), or null. A schema-qualified name is looked up in the
 * catalog by its parts: to_regclass raises "permission denied for schema"
 * (42501) for a schema the role has no USAGE on, and that ended the whole
 * pass. Such a contract is a contract-unchecked ticket of its own; its
 * INVALID arbiter is still found.
 */
async function tableOids(q: Queryable, targets: readonly ConflictTarget[]): Promise<(string | null)[]> {
  const out: (string | null)[] = [];
  for (const t of targets) {
    const oid =
      (
        await q.query<{ oid: string | number | null }>(
          t.table.schema
            ? `SELECT c.oid::bigint AS oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`
            : 'SELECT to_regclass($1)::bigint AS oid',
          t.table.schema ? [t.table.schema, t.table.name] : [quoteIdent(t.table.name)],
        )
      ).rows[0]?.oid ?? null;
    out.push(oid === null ? null : String(oid));
  }
  return out;
}
