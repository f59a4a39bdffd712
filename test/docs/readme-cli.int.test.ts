/**
 * README.md's CLI quick start, run as printed in an empty folder: `npx
 * schemaguard` is this repository's CLI, and the commands reach the embedded
 * PostgreSQL, as they do for a reader without DATABASE_URL.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT } from '../support/cli';
import { tempDir } from '../support/files';
import { codeBlocks, region } from '../support/markdown';

/** The quick start's shell block. */
function quickStart(): string {
  const blocks = codeBlocks(region(readFileSync(join(ROOT, 'README.md'), 'utf8'), 'cli-quick-start'), 'README.md', ['sh']);
  expect(blocks).toHaveLength(1);
  return blocks[0]!.code;
}

/** Variables that would point the CLI at another server (or refuse the embedded one): a reader's empty shell has none. */
const SERVER_VARIABLES = ['DATABASE_URL', 'PGHOST', 'PGHOSTADDR', 'PGPORT', 'PGDATABASE', 'PGUSER', 'PGSERVICE'];

describe('README.md, CLI quick start', () => {
  it('runs as printed: new, lint, plan, migrate and status succeed, and status shows the file applied', () => {
    const cwd = tempDir({}, 'quick-start');
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !SERVER_VARIABLES.includes(k)));
    // `npx schemaguard` as an app that installed the package runs it: here, this repository's executable.
    const script = `set -e\nnpx() { [ "$1" = schemaguard ] || exit 99; shift; node ${JSON.stringify(CLI)} "$@"; }\n${quickStart()}\n`;
    const r = spawnSync('bash', ['-c', script], { cwd, env, encoding: 'utf8', timeout: 240_000 });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('lint: 1 file, 0 errors, 0 warnings');
    expect(r.stdout).toMatch(/^applied 1 migration/m);
    expect(r.stdout).toContain('1 applied, 0 pending');
    expect(readFileSync(join(cwd, 'migrations', '0001_create_widgets.sql'), 'utf8')).toContain('CREATE TABLE widgets (');
  }, 300_000);
});
