/**
 * `lint --since REF`: which migration files a git ref already has. In a pull
 * request those are the base branch's, applied wherever it was deployed: their
 * tables are existing (populated) tables, and only the files the branch adds
 * are pending. Without it, lint with no database counts every file as pending,
 * and the rules for existing tables never fire on a project's own tables.
 */
import { execFileSync } from 'node:child_process';
import { InputError } from '../../lambda/engine/errors/errors';

/** The files of `dir` at `ref`, each with its blob id (`git ls-tree`, run in `dir`). */
export function filesAtRef(dir: string, ref: string): Map<string, string> {
  const out = git(dir, ['ls-tree', '-r', '-z', ref, '--', '.'], `--since ${ref}: could not list ${dir}/ at ${ref}`);
  const files = new Map<string, string>();
  for (const entry of out.split('\0')) {
    // <mode> SP <type> SP <object> TAB <file>
    const m = /^\d+ blob ([0-9a-f]+)\t(.+)$/.exec(entry);
    if (m) files.set(m[2], m[1]);
  }
  return files;
}

/**
 * Of `names` (files of `dir` that `ref` has), those whose text here is what
 * `ref` has (`git hash-object`, with the repository's filters: a CRLF
 * checkout of an LF file is unchanged). An applied file edited since counts
 * as pending: lint reads it as the new text it is.
 */
export function unchangedSince(dir: string, base: Map<string, string>, names: string[], ref: string): Set<string> {
  if (names.length === 0) return new Set();
  const ids = git(dir, ['hash-object', '--', ...names], `--since ${ref}: could not hash the files of ${dir}/`)
    .trim()
    .split('\n');
  return new Set(names.filter((name, k) => base.get(name) === ids[k]));
}

function git(cwd: string, args: string[], what: string): string {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  } catch (e) {
    const err = e as { code?: string; stderr?: unknown };
    const why =
      err.code === 'ENOENT'
        ? 'git is not installed (or not on PATH)'
        : String(err.stderr ?? '')
            .trim()
            .split('\n')[0] || String(e);
    throw new InputError(`${what}: ${why}`, {
      value: args.join(' '),
      fix: 'run in the repository with that ref fetched: git fetch origin main (in GitHub Actions, actions/checkout with fetch-depth: 0), then --since origin/main',
    });
  }
}

/**
 * The base branch a change is compared with, when lint is given neither
 * --since nor a database: the pull request's base in GitHub Actions
 * (GITHUB_BASE_REF), else the remote's default branch (origin/HEAD), else
 * origin/main or origin/master; undefined outside a git work tree or when
 * none of them is there (a clone without its remote, a shallow CI checkout).
 * The remote's branch, not the local one: commits not pushed yet count as
 * new.
 */
export function baseRef(dir: string, env: NodeJS.ProcessEnv): string | undefined {
  if (tryGit(dir, ['rev-parse', '--is-inside-work-tree']) !== 'true') return undefined;
  const candidates = [
    env.GITHUB_BASE_REF ? `origin/${env.GITHUB_BASE_REF}` : undefined,
    tryGit(dir, ['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD']),
    'origin/main',
    'origin/master',
  ];
  return candidates.find((ref): ref is string => !!ref && tryGit(dir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]) !== undefined);
}

/** git's answer, trimmed, or undefined when git fails (or is not installed). */
function tryGit(cwd: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}
