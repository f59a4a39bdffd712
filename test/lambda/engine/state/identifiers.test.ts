import { describe, expect, it } from 'vitest';
import { InputError } from '../../../../lambda/engine/errors/errors';
import { quoteIdent, validateSchemaName } from '../../../../lambda/engine/state/identifiers';

function refusal(run: () => unknown): InputError {
  try {
    run();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected an InputError');
}

describe('Function: validateSchemaName', () => {
  it('returns a usable name as it is, quotes and all', () => {
    expect(validateSchemaName('Sg "x"; DROP', 'ANY_SETTING')).toBe('Sg "x"; DROP');
    expect(validateSchemaName('s'.repeat(63))).toBe('s'.repeat(63));
  });

  it.each([
    ['empty', ''],
    ['64 bytes', 's'.repeat(64)],
    ['a NUL', 'a\u0000b'],
  ])('refuses %s under the setting its caller names', (_label, name) => {
    const e = refusal(() => validateSchemaName(name, 'SCHEMAGUARD_STATE_SCHEMA'));
    expect(e.message).toMatch(/^SCHEMAGUARD_STATE_SCHEMA: ".*" is not a usable schema name$/);
    expect(e.fix).toContain('1 to 63 bytes');
    expect(e.exitCode).toBe(2);
  });

  it('names no CLI flag by default, only the engine option', () => {
    const e = refusal(() => validateSchemaName(''));
    expect(e.message).toBe('stateSchema: "" is not a usable schema name');
    expect(e.name).toBe('InputError');
  });
});

describe('Function: quoteIdent', () => {
  it('doubles embedded quotes', () => {
    expect(quoteIdent('a"b')).toBe('"a""b"');
  });
});
