/**
 * `lint --since REF`: which migration files a git ref already has. In a pull
 * request those are the base branch's, applied wherever it was deployed: their
 * tables are existing (populated) tables, and only the files the branch adds
 * are pending. Without it, lint with no database counts every file as pending,
 * and the rules for existing tables never fire on a project's own tables.
 */
import { execFileSync } from 'node:child_process';
import { InputError } from '../../lambda/engine/errors';

/** Names of the files in `dir` at `ref` (`git ls-tree`, run in `dir`). */
export function filesAtRef(dir: string, ref: string): Set<string> {
  let out: string;
  try {
    out = execFileSync('git', ['ls-tree', '--name-only', '-z', ref, '--', '.'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { code?: string; stderr?: unknown };
    const why = err.code === 'ENOENT' ? 'git is not installed (or not on PATH)' : String(err.stderr ?? '').trim().split('\n')[0] || String(e);
    throw new InputError(`--since ${ref}: could not list ${dir}/ at ${ref}: ${why}`, {
      value: ref,
      fix: 'run in the repository with that ref fetched: git fetch origin main (in GitHub Actions, actions/checkout with fetch-depth: 0), then --since origin/main',
    });
  }
  return new Set(out.split('\0').filter(Boolean));
}
