/**
 * What lint reads from a database when it has one (`lint --database-url`):
 * every function's volatility (`pg_proc.provolatile`) and every domain's
 * constraints, so a DEFAULT calling a user-defined or overloaded function,
 * or a column of a constrained domain, is judged by what the database
 * declares. Catalog reads only.
 */
import type { Queryable } from '../../engine/ports';
import type { FunctionSignature, Volatility } from './volatility';

export interface CatalogDomain {
  schema: string;
  name: string;
  /** format_type() of the base type. */
  baseType: string;
  constrained: boolean;
  notNull: boolean;
}

export interface LintCatalog {
  functions: FunctionSignature[];
  domains: CatalogDomain[];
}

const VOLATILITY: Record<string, Volatility> = { i: 'immutable', s: 'stable', v: 'volatile' };

export async function readLintCatalog(q: Queryable): Promise<LintCatalog> {
  const functions = (await q.query<{ schema: string; name: string; nargs: number; ndefaults: number; variadic: boolean; v: string }>(
    `SELECT n.nspname AS schema, p.proname AS name, p.pronargs AS nargs, p.pronargdefaults AS ndefaults,
            p.provariadic <> 0 AS variadic, p.provolatile AS v
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE p.prokind = 'f'`,
  )).rows.map((r) => ({ schema: r.schema, name: r.name, nargs: Number(r.nargs), ndefaults: Number(r.ndefaults), variadic: r.variadic, volatility: VOLATILITY[r.v] ?? 'volatile' }));
  const domains = (await q.query<CatalogDomain>(
    `SELECT n.nspname AS schema, t.typname AS name, format_type(t.typbasetype, t.typtypmod) AS "baseType", t.typnotnull AS "notNull",
            EXISTS (SELECT 1 FROM pg_constraint c WHERE c.contypid = t.oid AND c.contype = 'c') AS constrained
       FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE t.typtype = 'd'`,
  )).rows;
  return { functions, domains };
}
