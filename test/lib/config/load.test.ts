/** Finding and reading schemaguard.config.json: every key checked against the registry, every bad one named with its fix. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_FILE_NAME, ConfigError, defaultSnapshot, findConfigFile, loadProjectConfig, readProjectConfig } from '../../../lib/config/load';
import { SETTINGS } from '../../../lib/config/settings';
import { tempDir } from '../../support/files';

/** A project whose root holds `config` (as JSON text, or a value to write as JSON), and a subfolder. */
function project(config: unknown): string {
  const root = tempDir({ [CONFIG_FILE_NAME]: typeof config === 'string' ? config : JSON.stringify(config, null, 2) }, 'project');
  mkdirSync(join(root, 'src', 'deep'), { recursive: true });
  return root;
}

function refused(config: unknown): ConfigError {
  const root = project(config);
  try {
    loadProjectConfig(root);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('Function: findConfigFile', () => {
  it('finds the file in the directory or the nearest one above it, and none where there is none', () => {
    const root = project({});
    expect(findConfigFile(root)).toBe(join(root, CONFIG_FILE_NAME));
    expect(findConfigFile(join(root, 'src', 'deep'))).toBe(join(root, CONFIG_FILE_NAME));
    const inner = join(root, 'src');
    writeFileSync(join(inner, CONFIG_FILE_NAME), '{}');
    expect(findConfigFile(join(inner, 'deep'))).toBe(join(inner, CONFIG_FILE_NAME));
    expect(findConfigFile(tempDir({}, 'bare'))).toBeUndefined();
  });
});

describe('Function: loadProjectConfig', () => {
  it('reads paths relative to the file, durations as milliseconds, from a subfolder too', () => {
    const root = project({
      $schema: './node_modules/schemaguard/schemaguard.schema.json',
      migrations: 'db/migrations',
      lockTimeout: '3s',
      lockWait: '0',
      serverVersion: 16,
      stateSchema: 'orders',
    });
    const config = loadProjectConfig(join(root, 'src', 'deep'));
    expect(config).toEqual({
      file: join(root, CONFIG_FILE_NAME),
      root,
      settings: { migrations: join(root, 'db', 'migrations'), lockTimeout: 3000, lockWait: 0, serverVersion: 16, stateSchema: 'orders' },
    });
  });

  it('has no settings and the working directory as its root without a file', () => {
    const cwd = tempDir({}, 'bare');
    expect(loadProjectConfig(cwd)).toEqual({ root: cwd, settings: {} });
  });

  it('reads the file --config names, and refuses one that is not there', () => {
    const root = project({ stateSchema: 'a' });
    const other = join(root, 'src', 'other.json');
    writeFileSync(other, JSON.stringify({ stateSchema: 'b' }));
    expect(loadProjectConfig(root, 'src/other.json').settings).toEqual({ stateSchema: 'b' });
    expect(() => loadProjectConfig(root, 'missing.json')).toThrow('missing.json: no such file');
  });

  it('reads lintRules with their reasons, and an absolute path as it is', () => {
    const rules = { 'index-not-concurrent': { level: 'off', reason: ' small tables ' }, 'dropping-column': { level: 'error', reason: 'never' } };
    const config = loadProjectConfig(project({ lintRules: rules, contracts: '/srv/contracts' }));
    expect(config.settings).toEqual({
      contracts: '/srv/contracts',
      lintRules: { 'index-not-concurrent': { level: 'off', reason: 'small tables' }, 'dropping-column': { level: 'error', reason: 'never' } },
    });
  });
});

describe('Function: loadProjectConfig, refusing (exit 2: the file, the key, the value and the fix)', () => {
  it.each([
    [{ lockTimout: '5s' }, 'schemaguard.config.json: unknown key "lockTimout"', 'did you mean "lockTimeout"?', 'lockTimout'],
    [
      { lockTimeout: '5' },
      'schemaguard.config.json: "lockTimeout": "5" is not a duration',
      'write a number with a unit: 500ms, 5s, 2m, 1h, as a string',
      'lockTimeout',
    ],
    [{ lockTimeout: 5 }, 'schemaguard.config.json: "lockTimeout": 5 is not a duration', '(a number: "5s" for seconds, "5ms" for milliseconds)', 'lockTimeout'],
    [
      { lockTimeout: '0s' },
      'schemaguard.config.json: "lockTimeout": "0s" turns the timeout off (lock_timeout 0 in PostgreSQL means none',
      'write a positive duration, e.g. "5s"',
      'lockTimeout',
    ],
    [{ lockWait: 'soon' }, 'schemaguard.config.json: "lockWait": "soon" is not a duration', '(or "0" for none)', 'lockWait'],
    [
      { serverVersion: 12 },
      'schemaguard.config.json: "serverVersion": 12 is not a PostgreSQL major version lint knows (13 to 18)',
      'e.g. 16 for 16.4',
      'serverVersion',
    ],
    [{ serverVersion: '16' }, 'schemaguard.config.json: "serverVersion": "16" is not a PostgreSQL major version lint knows', 'as a number', 'serverVersion'],
    [
      { stateSchema: 'pg_state' },
      'schemaguard.config.json: "stateSchema": "pg_state" begins with pg_, which PostgreSQL reserves for system schemas',
      'use a name without the pg_ prefix',
      'stateSchema',
    ],
    [{ stateSchema: 'x'.repeat(64) }, `"stateSchema": "${'x'.repeat(64)}" is not a usable schema name`, 'use 1 to 63 bytes', 'stateSchema'],
    [{ migrations: '' }, 'schemaguard.config.json: "migrations": "" is not a path', 'relative to the directory of the project file', 'migrations'],
    [{ contracts: ['a'] }, 'schemaguard.config.json: "contracts": ["a"] is not a path', 'as a string', 'contracts'],
    [
      { databaseUrlEnv: 'postgres://u:p@h/db' },
      'schemaguard.config.json: "databaseUrlEnv": "postgres://u:p@h/db" is not an environment variable name',
      "the variable's name, not its value",
      'databaseUrlEnv',
    ],
    [
      { lintRules: { 'index-not-concurrent': 'off' } },
      '"lintRules": {"index-not-concurrent":"off"} "index-not-concurrent" is not an object',
      '{ "level": "off", "reason": "why the team accepts it" }',
      'lintRules',
    ],
    [
      { lintRules: { 'index-not-concurrent': { level: 'off' } } },
      '"index-not-concurrent" has no reason',
      'as -- schemaguard:allow index-not-concurrent REASON needs one',
      'lintRules',
    ],
    [
      { lintRules: { 'index-not-concurrent': { level: 'info', reason: 'x' } } },
      '"index-not-concurrent" has level "info"',
      '"off", "warning" or "error"',
      'lintRules',
    ],
    [
      { lintRules: { 'Index Not Concurrent': { level: 'off', reason: 'x' } } },
      'has "Index Not Concurrent", which is not a rule id',
      'e.g. index-not-concurrent',
      'lintRules',
    ],
  ])('%j', (config, message, fix, key) => {
    const e = refused(config);
    expect(e.message).toContain(message);
    expect(e.fix).toContain(fix);
    expect(e.key).toBe(key);
    expect(e.exitCode).toBe(2);
    expect(e.toJSON()).toMatchObject({ configFile: CONFIG_FILE_NAME, key });
  });

  it('refuses text that is not JSON at its line and column, and JSON that is not an object', () => {
    const e = refused('{\n  "migrations": "db",\n}\n');
    expect(e.message).toMatch(/^schemaguard\.config\.json:3:1: not valid JSON/);
    expect(e.fix).toBe('write plain JSON: double quotes, no comments, no comma after the last entry');
    expect(refused('[]').message).toBe('schemaguard.config.json: not a JSON object');
  });

  it('names the file as found from where the command runs', () => {
    const root = project({ lockTimeout: 'x' });
    expect(() => loadProjectConfig(join(root, 'src'))).toThrow(/^\.\.\/schemaguard\.config\.json: "lockTimeout": "x"/);
    expect(() => readProjectConfig(join(root, CONFIG_FILE_NAME), root)).toThrow(/^schemaguard\.config\.json: /);
  });
});

describe('Constant: SETTINGS', () => {
  it('each example is a value its own reader takes, and each key is unique', () => {
    for (const s of SETTINGS) expect(() => s.read(s.example, { dir: '/p' }), s.key).not.toThrow();
    expect(new Set(SETTINGS.map((s) => s.key)).size).toBe(SETTINGS.length);
  });

  it('each default is a value its reader takes', () => {
    for (const s of SETTINGS.filter((x) => x.default !== undefined)) expect(() => s.read(s.default, { dir: '/p' }), s.key).not.toThrow();
  });
});

describe('Function: defaultSnapshot', () => {
  it('is schema.snapshot.json beside the migrations', () => {
    expect(defaultSnapshot('db/migrations')).toBe(join('db', 'migrations', 'schema.snapshot.json'));
  });
});
