/**
 * The quoting helpers against a real server and PostgreSQL's own parser: a
 * hostile name stays one identifier, one literal or inside one comment, with
 * standard_conforming_strings on and off.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneLine, escapeQuoted, sqlIdent, quoteLiteral, sqlComment } from '../../../../lambda/engine/sql/sql-quote';
import { dropDatabases, freshDatabase, targets, withClient } from '../../../support/db';
import { HOSTILE_NAMES } from '../../../support/hostile-names';
import { loadLibpg, parseStatements } from '../../../support/sql-parse';

afterAll(dropDatabases);
beforeAll(loadLibpg);

const UNSAFE_RAW = /[\n\r\u2028\u2029\u0085\u202e\u000b\u000c\u0007]/;

describe('Function: sqlComment', () => {
  it.each(HOSTILE_NAMES)("keeps %j inside one comment, on one line, for PostgreSQL's parser", (name) => {
    const sql = `SELECT 1; ${sqlComment(`drop ${sqlIdent(name)} or ${name}`)}\nSELECT 2;`;
    expect(parseStatements(sql).map((s) => s.kind)).toEqual(['SelectStmt', 'SelectStmt']);
    expect(sqlComment(name)).not.toMatch(UNSAFE_RAW);
  });

  it('shows line breaks and separators as escapes', () => {
    expect(oneLine('a\nb\rc\u2028d\te')).toBe('a\\nb\\rc\\u2028d\te');
  });
});

describe('Function: sqlIdent and quoteLiteral', () => {
  it.each(HOSTILE_NAMES)('write %j on one line, as one token each', (name) => {
    expect(sqlIdent(name)).not.toMatch(UNSAFE_RAW);
    expect(quoteLiteral(name)).not.toMatch(UNSAFE_RAW);
    const statements = parseStatements(`SELECT ${quoteLiteral(name)} AS ${sqlIdent(name)}`);
    expect(statements).toHaveLength(1);
    const [target] = statements[0]!.node.targetList as { ResTarget: { name: string; val: { A_Const: { sval: { sval: string } } } } }[];
    expect([target!.ResTarget.name, target!.ResTarget.val.A_Const.sval.sval]).toEqual([name, name]);
  });

  it('leaves names without control characters in the form quote_ident() writes', () => {
    expect(sqlIdent('a"b')).toBe('"a""b"');
    expect(quoteLiteral("it's")).toBe("'it''s'");
    expect(quoteLiteral('a\\b')).toBe("E'a\\\\b'");
    expect(sqlIdent('a\nb\\')).toBe('U&"a\\000Ab\\\\"');
  });
});

describe.each(targets)('Quoting on $name', (target) => {
  let url = '';
  beforeAll(async () => {
    url = await freshDatabase(target, 'sql_quote');
  });

  it.each(['on', 'off'])('the server reads every hostile name back as it is, standard_conforming_strings = %s', async (scs) => {
    await withClient(url, async (c) => {
      await c.query(`SET standard_conforming_strings = ${scs}`);
      for (const name of HOSTILE_NAMES) {
        const r = await c.query({ text: `SELECT ${quoteLiteral(name)} AS ${sqlIdent(name)} ${sqlComment(name)}\n, 2 AS two`, rowMode: 'array' });
        expect(r.fields.map((f) => f.name)).toEqual([name, 'two']);
        expect(r.rows).toEqual([[name, 2]]);
      }
    });
  });

  it('escapeQuoted puts what the server writes on one line, meaning the same', async () => {
    await withClient(url, async (c) => {
      await c.query('CREATE SCHEMA s');
      for (const [k, name] of HOSTILE_NAMES.entries()) {
        await c.query(`CREATE TYPE s.${sqlIdent(name)} AS ENUM (${quoteLiteral(name)})`);
        await c.query(`CREATE TABLE s.t${k} (${sqlIdent(name)} s.${sqlIdent(name)})`);
        await c.query(`CREATE INDEX ${sqlIdent(`${name} i`)} ON s.t${k} (${sqlIdent(name)}) WHERE ${sqlIdent(name)} <> ${quoteLiteral(name)}`);
        const { type, def } = (
          await c.query<{ type: string; def: string }>(
            `SELECT format_type(a.atttypid, NULL) AS type, pg_get_indexdef(i.indexrelid) AS def
             FROM pg_attribute a JOIN pg_index i ON i.indrelid = a.attrelid WHERE a.attrelid = 's.t${k}'::regclass AND a.attnum = 1`,
          )
        ).rows[0]!;
        // The server writes the name raw in both; escapeQuoted does not.
        if (UNSAFE_RAW.test(name)) expect(type).toMatch(UNSAFE_RAW);
        for (const text of [escapeQuoted(type), escapeQuoted(def)]) expect(text).not.toMatch(UNSAFE_RAW);
        expect((await c.query(`SELECT ${quoteLiteral(name)}::${escapeQuoted(type)}::text AS v`)).rows[0].v).toBe(name);
        await c.query(`DROP INDEX s.${sqlIdent(`${name} i`)}`);
        await c.query(escapeQuoted(def));
      }
    });
  });
});
