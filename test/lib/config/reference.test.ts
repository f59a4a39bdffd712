/**
 * The JSON Schema (schemaguard.schema.json) and the keys' reference page
 * are what the settings registry generates (`npm run docs:generate`), and the
 * schema accepts and refuses what the loader accepts and refuses.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { LINT_RULE_IDS } from '../../../lambda/checks/lint';
import { configSchema, configSchemaText } from '../../../lib/config/reference';
import { SETTINGS } from '../../../lib/config/settings';
import { PACKAGE_ROOT } from '../../../lib/paths';

const PAGE = join(PACKAGE_ROOT, 'docs', 'reference', 'more', 'configuration.md');

describe('Generated: schemaguard.schema.json and the configuration reference', () => {
  it('the schema is current (else: npm run docs:generate, and commit it; test/docs/generated.test.ts checks the page)', () => {
    expect(readFileSync(join(PACKAGE_ROOT, 'schemaguard.schema.json'), 'utf8')).toBe(configSchemaText());
  });

  it('the reference has a row for every setting, with its flag and prop', () => {
    const page = readFileSync(PAGE, 'utf8');
    for (const s of SETTINGS) {
      expect(page).toContain(`| \`${s.key}\` |`);
      if (s.flag) expect(page).toContain(`[\`${s.flag}\`](../cli/index.md)`);
      if (s.prop) expect(page).toContain(`\`${s.prop}\``);
    }
  });

  it("the schema offers the lint rules' ids for lintRules", () => {
    const rules = (configSchema().properties as Record<string, { propertyNames?: { enum: string[] } }>).lintRules!;
    expect(rules.propertyNames!.enum).toEqual([...LINT_RULE_IDS]);
  });
});

describe('The schema and the loader agree', () => {
  const validate = new Ajv({ strict: false }).compile(configSchema());
  const reads = (key: string, value: unknown) => {
    try {
      SETTINGS.find((s) => s.key === key)!.read(value, { dir: '/p' });
      return true;
    } catch {
      return false;
    }
  };

  it.each([
    ['migrations', 'db/migrations'],
    ['migrations', ''],
    ['migrations', 3],
    ['lockTimeout', '5s'],
    ['lockTimeout', '500ms'],
    ['lockTimeout', '0'],
    ['lockTimeout', '0s'],
    ['lockTimeout', '5'],
    ['lockTimeout', 5],
    ['lockWait', '0'],
    ['lockWait', '2m'],
    ['lockWait', 'soon'],
    ['serverVersion', 15],
    ['serverVersion', 18],
    ['serverVersion', 14],
    ['serverVersion', 19],
    ['serverVersion', 16.5],
    ['stateSchema', 'orders'],
    ['stateSchema', 'pg_x'],
    ['stateSchema', ''],
    ['databaseUrlEnv', 'APP_DB'],
    ['databaseUrlEnv', 'postgres://x'],
    ['standbyWait', '0'],
    ['standbyWait', '2m'],
    ['standbyWait', 60],
    ['standbyStrict', true],
    ['standbyStrict', false],
    ['standbyStrict', 'true'],
    ['pooler', true],
    ['pooler', 1],
    ['iam', false],
    ['iam', 'yes'],
    ['lintRules', { 'index-not-concurrent': { level: 'off', reason: 'x' } }],
    ['lintRules', { 'index-not-concurrent': { level: 'off' } }],
    ['lintRules', { 'index-not-concurrent': { level: 'loud', reason: 'x' } }],
    ['lintRules', { 'index-not-concurrent': { level: 'off', reason: 'x', extra: 1 } }],
  ])('%s: %j', (key, value) => {
    expect(validate({ [key]: value }), JSON.stringify(validate.errors)).toBe(reads(key, value));
  });

  it('refuses an unknown key, and takes "$schema"', () => {
    expect(validate({ lockTimout: '5s' })).toBe(false);
    expect(validate({ $schema: './schemaguard.schema.json' })).toBe(true);
  });

  it("takes the repository's own project file", () => {
    expect(validate(JSON.parse(readFileSync(join(PACKAGE_ROOT, 'schemaguard.config.json'), 'utf8')))).toBe(true);
  });
});
