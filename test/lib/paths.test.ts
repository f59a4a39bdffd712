/** The repository paths the constructs default to: resolved from lib/, so the working directory does not matter. */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONTRACTS_DIR, DEFAULT_MIGRATIONS_DIR, DEFAULT_SNAPSHOT_FILE, HANDLER_ENTRY, LOCK_FILE, PARSER_WASM, REPO_ROOT } from '../../lib/paths';

describe('Module: paths', () => {
  it('the repository root holds package.json and cdk.json', () => {
    expect(isAbsolute(REPO_ROOT)).toBe(true);
    expect(REPO_ROOT.endsWith('/')).toBe(false);
    expect(existsSync(join(REPO_ROOT, 'package.json'))).toBe(true);
    expect(existsSync(join(REPO_ROOT, 'cdk.json'))).toBe(true);
  });

  it.each([
    ['HANDLER_ENTRY', HANDLER_ENTRY, 'file'],
    ['DEFAULT_MIGRATIONS_DIR', DEFAULT_MIGRATIONS_DIR, 'dir'],
    ['DEFAULT_CONTRACTS_DIR', DEFAULT_CONTRACTS_DIR, 'dir'],
    ['LOCK_FILE', LOCK_FILE, 'file'],
    ['DEFAULT_SNAPSHOT_FILE', DEFAULT_SNAPSHOT_FILE, 'file'],
    ['PARSER_WASM', PARSER_WASM, 'file'],
  ] as const)('%s exists under the repository as a %s', (_name, path, kind) => {
    expect(path.startsWith(REPO_ROOT)).toBe(true);
    expect(statSync(path).isDirectory()).toBe(kind === 'dir');
  });
});
