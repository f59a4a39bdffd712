/**
 * Every fix a lint rule prints (the cases of fix-cases.ts) for tables and
 * columns whose names carry a statement (`"leads<newline>DROP TABLE victim;
 * --"`, a comment end, a quote): PostgreSQL's parser reads in it the same
 * statements as in the fix of the plainly named case, none of them on
 * `victim`, and no line of it starts with the name's statement.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadParser } from '../../../../lambda/checks/parser/parse';
import { sqlIdent } from '../../../../lambda/engine/sql/sql-quote';
import { brokenOutLines, hostileName, statementKinds, victimStatements } from '../../../support/hostile-fixes';
import { loadLibpg } from '../../../support/sql-parse';
import { FIX_CASES, TABLES } from './fix-cases';
import { lintAfter } from './pending';

beforeAll(async () => {
  await loadParser();
  await loadLibpg();
});

/** The names a case's SQL gives its tables and columns, each made hostile (quoted) in the hostile run. */
const NAMES = [
  'leads',
  'purchases',
  'events',
  'tickets',
  'quotas',
  'ledger',
  'referrals',
  'notes',
  'customers',
  'name',
  'score',
  'email',
  'code',
  'kind',
  'note',
  'full_name',
  'lead_id',
  'legacy_lead',
];
const WORD = new RegExp(`(?<![\\w."'])(${NAMES.join('|')})(?![\\w"'])`, 'g');

/** `sql` with each name of NAMES hostile, outside strings and comments. */
function hostile(sql: string): string {
  return sql
    .split(/('(?:[^']|'')*'|--[^\n]*)/)
    .map((part, k) => (k % 2 ? part : part.replace(WORD, (w) => sqlIdent(hostileName(w, NAMES.indexOf(w))))))
    .join('');
}

async function fixesOf(rule: string, existing: string, sql: string): Promise<string[]> {
  return (await lintAfter(existing, sql)).findings.filter((f) => f.rule === rule).map((f) => f.fix);
}

/**
 * The cases lint reads alone (no database), but the one that names an index
 * by the name PostgreSQL derives from its table's (`leads_pkey`): a hostile
 * table's key has another name.
 */
const CASES = FIX_CASES.filter((c) => !c.databaseOnly && !/^ALTER INDEX leads_pkey /.test(c.sql));

describe("Lint's fixes for hostile names", () => {
  it.each(CASES)('$rule ($what)', async ({ rule, sql }) => {
    const plain = await fixesOf(rule, TABLES, sql);
    const bad = await fixesOf(rule, hostile(TABLES), hostile(sql));
    expect(bad.map(statementKinds)).toEqual(plain.map(statementKinds));
    for (const fix of bad) {
      expect(brokenOutLines(fix), fix).toEqual([]);
      expect(victimStatements(fix), fix).toEqual([]);
    }
  });

  it('makes the names hostile', () => {
    expect(hostile("CREATE INDEX leads_name ON leads (name) WHERE code <> 'leads'; -- leads")).toBe(
      `CREATE INDEX leads_name ON ${sqlIdent(hostileName('leads', 0))} (${sqlIdent(hostileName('name', 9))}) WHERE ${sqlIdent(hostileName('code', 12))} <> 'leads'; -- leads`,
    );
  });
});
