/**
 * A column definition as the rules read it (its default, identity,
 * generation, NOT NULL, key), and whether adding it to a populated table
 * makes PostgreSQL rewrite that table: verified on PostgreSQL 15 and 18 for
 * serial types, identity, stored generated columns (a virtual one,
 * PostgreSQL 18, does not rewrite), volatile defaults and domains with a
 * CHECK or NOT NULL (every row is checked against the domain, so the table
 * is rewritten even without a default).
 */
import { as, list, names, typeBase, type Node } from '../parser/parse';
import type { RuleContext } from './rule';
import { callText, callVolatility, functionCalls, type FunctionSignature, type FunctionSources } from './volatility';

export interface ColumnParts {
  hasDefault: boolean;
  defaultExpr?: unknown;
  identity: boolean;
  /** `s` stored, `v` virtual (PostgreSQL 18's default), undefined when not generated. */
  generated?: 's' | 'v';
  primaryKey: boolean;
  unique: boolean;
  notNull: boolean;
  serial: boolean;
}

export const SERIAL_TYPES = new Set(['serial', 'serial4', 'bigserial', 'serial8', 'smallserial', 'serial2']);

export function columnParts(col: Node): ColumnParts {
  const r: ColumnParts = {
    hasDefault: false,
    identity: false,
    primaryKey: false,
    unique: false,
    notNull: false,
    serial: SERIAL_TYPES.has(typeBase(col.typeName)),
  };
  for (const c of list(col.constraints)) {
    const con = as(c, 'Constraint');
    if (!con) continue;
    if (con.contype === 'CONSTR_DEFAULT') {
      r.hasDefault = true;
      r.defaultExpr = con.raw_expr;
    }
    if (con.contype === 'CONSTR_IDENTITY') r.identity = true;
    if (con.contype === 'CONSTR_GENERATED') r.generated = con.generated_kind === 'v' ? 'v' : 's';
    if (con.contype === 'CONSTR_PRIMARY') r.primaryKey = true;
    if (con.contype === 'CONSTR_UNIQUE') r.unique = true;
    if (con.contype === 'CONSTR_NOTNULL') r.notNull = true;
  }
  return r;
}

/** A column that always gets a value: a default, identity, serial or generation expression. */
export function isFilled(p: ColumnParts): boolean {
  return p.hasDefault || p.identity || p.serial || p.generated !== undefined;
}

export interface DomainFacts {
  /** The type it is based on (valid SQL). */
  baseType: string;
  /** Has a CHECK constraint. */
  constrained: boolean;
  notNull: boolean;
  /** Has a DEFAULT, its own or (a domain over a domain) its base's: a new column of it is filled with it. */
  hasDefault?: boolean;
}

/** What volatility and domain look-ups use; without it, only the built-in function table. */
export interface RewriteContext {
  functions: FunctionSources;
  domain(typeName: unknown): DomainFacts | undefined;
}

const BUILTINS_ONLY: RewriteContext = { functions: { migrations: [] as FunctionSignature[], searchPath: ['public'] }, domain: () => undefined };

export interface ColumnRewrite {
  cause: 'serial' | 'identity' | 'generated' | 'volatile' | 'domain' | 'unknown';
  /** The domain, when `cause` is `domain`. */
  domain?: DomainFacts;
  /** What makes the value computed per row, for the message. */
  what: string;
  /** False when a called function's volatility is unknown: it may rewrite. */
  certain: boolean;
}

/** Why adding this column rewrites a populated table, or undefined when it does not. */
export function columnRewrite(col: Node, ctx: RewriteContext = BUILTINS_ONLY): ColumnRewrite | undefined {
  const p = columnParts(col);
  if (p.serial) return { cause: 'serial', what: `type ${typeBase(col.typeName)} (a nextval() default)`, certain: true };
  if (p.identity) return { cause: 'identity', what: 'GENERATED … AS IDENTITY', certain: true };
  if (p.generated === 's') return { cause: 'generated', what: 'GENERATED ALWAYS AS (…) STORED', certain: true };
  const calls = functionCalls(p.defaultExpr).map((c) => callVolatility(c, ctx.functions));
  const volatile = calls.filter((v) => v.volatility === 'volatile').map((v) => callText(v.call));
  if (volatile.length) return { cause: 'volatile', what: `a volatile default (${volatile.join(', ')})`, certain: true };
  const domain = ctx.domain(col.typeName);
  if (domain && (domain.constrained || domain.notNull)) {
    return {
      cause: 'domain',
      domain,
      what: `type ${names((col.typeName as Node).names).join('.')}, a domain with ${domain.constrained ? 'a CHECK' : 'NOT NULL'} (every row is checked against it)`,
      certain: true,
    };
  }
  const unknown = calls.filter((v) => v.volatility === 'unknown').map((v) => callText(v.call));
  if (unknown.length) return { cause: 'unknown', what: `a default calling ${unknown.join(', ')}, whose volatility lint does not know`, certain: false };
  return undefined;
}

/** What makes a new column's value computed per row (so ADD COLUMN rewrites the table), or undefined. */
export function rewritingColumnDefault(col: Node, ctx?: RewriteContext): string | undefined {
  return columnRewrite(col, ctx)?.what;
}

/** Volatility and domains as a rule sees them: the migrations so far, then the database when lint has one. */
export function rewriteContextOf(ctx: Pick<RuleContext, 'model' | 'catalog'>): RewriteContext {
  const { model, catalog } = ctx;
  const one = (typeName: unknown): DomainFacts | undefined => {
    const own = model.domain(typeName);
    if (own) return { baseType: own.baseType, constrained: own.constraints.size > 0, notNull: own.notNull, hasDefault: own.hasDefault === true };
    const parts = names((typeName as Node | undefined)?.names);
    const name = parts[parts.length - 1];
    const schemas = parts.length > 1 ? [parts[parts.length - 2]] : model.searchPath;
    return catalog?.domains.find((d) => d.name === name && schemas.includes(d.schema));
  };
  return {
    functions: { migrations: model.functions, database: catalog?.functions, searchPath: model.searchPath },
    domain: (typeName) => overDomains(one, typeName),
  };
}

/**
 * A domain over a domain (`CREATE DOMAIN d2 AS d1`) resolved down to its
 * base type, its constraints those of every domain on the way: PostgreSQL
 * checks a value of d2 against d1's CHECK and NOT NULL too, and compares it
 * as the base type (checked on PostgreSQL 15 and 18); d2 is made with d1's
 * DEFAULT (`pg_type.typdefault`, checked on PostgreSQL 18). An array of a domain
 * (`d1[]`) is not a domain: it stays as written.
 */
function overDomains(one: (typeName: unknown) => DomainFacts | undefined, typeName: unknown): DomainFacts | undefined {
  let facts = one(typeName);
  for (let depth = 0; facts && depth < MAX_DOMAIN_DEPTH; depth++) {
    const base = one(typeNameOf(facts.baseType));
    if (!base) return facts;
    facts = {
      baseType: base.baseType,
      constrained: facts.constrained || base.constrained,
      notNull: facts.notNull || base.notNull,
      hasDefault: facts.hasDefault === true || base.hasDefault === true,
    };
  }
  return facts;
}

const MAX_DOMAIN_DEPTH = 32;

/** `type` (as `typeNameText` or format_type() writes it) with a domain resolved to its base type, through domains over domains. */
export function overDomain(ctx: RewriteContext, type: string): string {
  return ctx.domain(typeNameOf(type))?.baseType ?? type;
}

/** A type as written (`typeNameText`, format_type()) as the parse tree's TypeName names it; an array or a modifier names no domain. */
function typeNameOf(type: string): Node {
  if (/[[(]/.test(type)) return { names: [] };
  return { names: (type.match(/"(?:[^"]|"")*"|[^.]+/g) ?? []).map((p) => ({ String: { sval: p.startsWith('"') ? p.slice(1, -1).replace(/""/g, '"') : p } })) };
}
