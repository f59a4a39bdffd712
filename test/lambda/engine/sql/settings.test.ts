import { describe, expect, it } from 'vitest';
import { tokenize } from '../../../../lambda/engine/sql/lexer';
import { readsAsTrue, settingChanges } from '../../../../lambda/engine/sql/settings';

const NAMES = new Set(['standard_conforming_strings', 'transaction_isolation']);
const changes = (sql: string) => settingChanges(tokenize(sql), NAMES);

describe('Function: settingChanges', () => {
  it.each([
    ["SET LOCAL Transaction_Isolation TO 'serializable'", [{ name: 'transaction_isolation', value: 'serializable' }]],
    ['SET "standard_conforming_strings" = /* c */ off', [{ name: 'standard_conforming_strings', value: 'off' }]],
    ["SELECT pg_catalog.set_config('standard_conforming_strings'::text, $$off$$, false)", [{ name: 'standard_conforming_strings', value: 'off' }]],
    ["SELECT set_config('transaction_isolation', v, false) FROM t", [{ name: 'transaction_isolation', value: '?' }]],
    ["UPDATE pg_catalog.pg_settings SET setting = 'off' WHERE name = 'standard_conforming_strings'", [{ name: 'standard_conforming_strings', value: 'off' }]],
    ["DO $$ BEGIN EXECUTE 'SET standard_conforming_strings = off'; END $$", [{ name: 'standard_conforming_strings', value: 'off' }]],
    [
      'DO $$ DECLARE x int; BEGIN IF x > 0 THEN SET transaction_isolation = serializable; END IF; END $$',
      [{ name: 'transaction_isolation', value: 'serializable' }],
    ],
    ["DO $$ BEGIN PERFORM set_config('standard_conforming_strings', 'on', true); END $$", [{ name: 'standard_conforming_strings', value: 'on' }]],
    ["DO $$ BEGIN EXECUTE 'SET standard_conforming_strings = ' || v; END $$", [{ name: 'standard_conforming_strings', value: '?' }]],
    // Regression: the language's name was read as the body, and the block's SET was never seen.
    ["DO LANGUAGE 'plpgsql' $$ BEGIN SET standard_conforming_strings = off; END $$", [{ name: 'standard_conforming_strings', value: 'off' }]],
    ["DO $$ BEGIN SET transaction_isolation = serializable; END $$ LANGUAGE 'plpgsql'", [{ name: 'transaction_isolation', value: 'serializable' }]],
    // Regression: pg_settings written quoted was not seen.
    [
      'UPDATE "pg_catalog"."pg_settings" SET setting = \'off\' WHERE name = \'standard_conforming_strings\'',
      [{ name: 'standard_conforming_strings', value: 'off' }],
    ],
    // Regression: an E'' value read as unknown, so setting it on was refused as "set off".
    ["SET standard_conforming_strings = E'on'", [{ name: 'standard_conforming_strings', value: 'on' }]],
    ["SET standard_conforming_strings = E'o\\x66f'", [{ name: 'standard_conforming_strings', value: '?' }]],
  ])('reads %j', (sql, expected) => {
    expect(changes(sql)).toEqual(expected);
  });

  it.each([
    "SELECT 'SET standard_conforming_strings = off'",
    "UPDATE t SET standard_conforming_strings = 'off'",
    "DO $$ BEGIN RAISE NOTICE 'SET standard_conforming_strings = off'; END $$",
    "DO $$ BEGIN EXECUTE format('SET %I = off', 'standard_conforming_strings'); END $$",
    'SET default_transaction_isolation = serializable',
    "UPDATE \"PG_SETTINGS\" SET setting = 'off' WHERE name = 'standard_conforming_strings'",
  ])('finds no change of the names in %j', (sql) => {
    expect(changes(sql)).toEqual([]);
  });
});

describe('Function: readsAsTrue', () => {
  it('reads what parse_bool reads as true', () => {
    expect(['on', 'ON', 't', 'true', 'y', 'yes', '1'].every(readsAsTrue)).toBe(true);
    expect(['off', 'o', 'false', '0', 'default', '?'].some(readsAsTrue)).toBe(false);
  });
});
