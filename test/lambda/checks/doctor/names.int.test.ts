import { afterAll, describe, expect, it } from 'vitest';
import { ident, literal, qualified } from '../../../../lambda/checks/doctor/names';
import { allMajors, dropDatabases, freshDatabase, rows, urlFor } from '../../../support/db';

afterAll(dropDatabases);

const ODD = ['leads', 'Leads', 'lead purchases', '_x1', '1x', 'a"b', 'café', 'x$y', 'name', 'type', 'value'];

/** quote_ident() of each name on the server at `url`. */
const quoteIdent = async (url: string, names: string[]) =>
  (await rows<{ q: string }>(url, 'SELECT quote_ident(n) AS q FROM unnest($1::text[]) WITH ORDINALITY AS u(n, k) ORDER BY k', [names])).map((r) => r.q);

describe.each(allMajors)('Function: ident on $name', (target) => {
  it("quotes what the newest server's quote_ident() quotes, so every word this server quotes too: every keyword, and odd names", async () => {
    const url = await freshDatabase(target, 'doctor_names');
    const words = (await rows<{ word: string }>(url, 'SELECT word FROM pg_get_keywords()')).map((r) => r.word);
    const names = [...words, ...ODD];
    const newest = allMajors.at(-1)!;
    const here = await quoteIdent(url, names);
    // Keywords a newer major added (json_table in 17, json in 17): quoted for every major, which an older one reads as the same name.
    expect(names.map(ident)).toEqual(await quoteIdent(urlFor(newest, 'postgres'), names));
    expect(names.filter((n, k) => here[k] !== n && ident(n) === n)).toEqual([]);
  });

  it('writes literals the server reads back', async () => {
    const url = await freshDatabase(target, 'doctor_literal');
    const value = `it's "x" \\ y`;
    expect(await rows(url, `SELECT ${literal(value)} AS v`)).toEqual([{ v: value }]);
  });
});

describe('Function: qualified', () => {
  it('leaves public tables bare and qualifies the others', () => {
    expect(qualified('public', 'order')).toBe('"order"');
    expect(qualified('app', 'users')).toBe('app.users');
    expect(qualified('Billing', 'Invoice')).toBe('"Billing"."Invoice"');
  });
});
