import { describe, expect, it } from 'vitest';
import { maskUrl, Redactor } from '../../../lambda/engine/redact';
import { parseDuration, formatDuration } from '../../../lambda/engine/duration';

describe('Function: maskUrl', () => {
  it('masks the password of a URL and password= parameters', () => {
    expect(maskUrl('postgres://app:s3cr%40t@db:5432/app?sslmode=require')).toBe('postgres://app:****@db:5432/app?sslmode=require');
    expect(maskUrl('postgres://db/app?user=a&password=hunter22')).toBe('postgres://db/app?user=a&password=****');
  });

  it('masks the password of a URL written without its scheme (it echoed it as an "unsupported scheme")', () => {
    expect(maskUrl('app:Sup3r-Secret-1@localhost:5432/app')).toBe('app:****@localhost:5432/app');
    expect(maskUrl('app:p@ss@db/app')).toBe('app:****@db/app');
    expect(maskUrl('localhost:5432/app')).toBe('localhost:5432/app');
  });
});

describe('Class: Redactor', () => {
  it('removes registered secrets, raw and URL-encoded, from text and values', () => {
    const r = new Redactor().add('p@ss word!');
    expect(r.redact('auth failed for p@ss word! and p%40ss%20word!')).toBe('auth failed for **** and ****');
    expect(r.redactValue({ message: 'x p@ss word!', password: 'anything', nested: ['p@ss word!'] })).toEqual({ message: 'x ****', password: '****', nested: ['****'] });
  });
});

describe('Function: parseDuration', () => {
  it.each([['500ms', 500], ['5s', 5000], ['2m', 120_000], ['1h', 3_600_000], ['1.5s', 1500], ['0', 0]])('%s → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    if (ms > 0 && Number.isInteger(ms / 1000)) expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
  it.each(['5', '5 sec', '-1s', '', 's'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
