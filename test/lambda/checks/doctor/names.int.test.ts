import { afterAll, describe, expect, it } from 'vitest';
import { ident, literal, qualified } from '../../../../lambda/checks/doctor/names';
import { dropDatabases, freshDatabase, rows, targets } from '../../../support/db';

afterAll(dropDatabases);

const ODD = ['leads', 'Leads', 'lead purchases', '_x1', '1x', 'a"b', 'café', 'x$y', 'name', 'type', 'value'];

describe.each(targets)('Function: ident on $name', (target) => {
  it('quotes exactly what the server\'s quote_ident() quotes: every keyword, and odd names', async () => {
    const url = await freshDatabase(target, 'doctor_names');
    const words = (await rows<{ word: string }>(url, 'SELECT word FROM pg_get_keywords()')).map((r) => r.word);
    const names = [...words, ...ODD];
    const quoted = await rows<{ q: string }>(url, 'SELECT quote_ident(n) AS q FROM unnest($1::text[]) WITH ORDINALITY AS u(n, k) ORDER BY k', [names]);
    expect(names.map(ident)).toEqual(quoted.map((r) => r.q));
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
