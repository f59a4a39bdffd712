/**
 * The corpus of test/fixtures/corpus/: each history's files, its releases and
 * its judged findings, read and checked once.
 */
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FILE_NAME_PATTERN } from '../../lambda/engine/files/source';
import { ROOT } from '../support/cli';
import type { ExpectedList } from './score';

export const CORPUS_DIR = join(ROOT, 'test', 'fixtures', 'corpus');

export interface Release {
  release: string;
  /** The last version the release ships. */
  through: number;
}

export interface ExpectedFindings {
  lintOffline: ExpectedList;
  lintByRelease: ExpectedList;
  doctor: ExpectedList;
}

export interface History {
  name: string;
  migrationsDir: string;
  /** File names in version order. */
  files: string[];
  releases: Release[];
  expected: ExpectedFindings;
}

export function versionOf(file: string): number {
  return Number(FILE_NAME_PATTERN.exec(file)![1]);
}

export function loadHistories(): History[] {
  return readdirSync(CORPUS_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => loadHistory(e.name))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

function loadHistory(name: string): History {
  const dir = join(CORPUS_DIR, name);
  const migrationsDir = join(dir, 'migrations');
  const files = readdirSync(migrationsDir)
    .filter((f) => FILE_NAME_PATTERN.test(f))
    .sort((a, b) => versionOf(a) - versionOf(b));
  const releases = readJson<Release[]>(join(dir, 'releases.json'));
  const last = versionOf(files[files.length - 1]!);
  if (releases[releases.length - 1]?.through !== last) {
    throw new Error(`${name}/releases.json: the last release must end at the last file's version (${last})`);
  }
  const expected = readJson<ExpectedFindings>(join(dir, 'expected-findings.json'));
  for (const list of ['lintOffline', 'lintByRelease', 'doctor'] as const) {
    if (!Array.isArray(expected[list]?.findings) || !Array.isArray(expected[list]?.missing)) {
      throw new Error(`${name}/expected-findings.json: "${list}" needs a "findings" and a "missing" list`);
    }
    const bad = expected[list].findings.find((f) => f.verdict !== 'true' && f.verdict !== 'false');
    if (bad) throw new Error(`${name}/expected-findings.json: ${list} finding ${bad.rule} has verdict ${JSON.stringify(bad.verdict)}; use "true" or "false"`);
  }
  return { name, migrationsDir, files, releases, expected };
}

function readJson<T>(file: string): T {
  if (!existsSync(file)) throw new Error(`${file} is missing`);
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** Copies into `dir` the files of the history up to `release` that are not there yet (a checkout at that release). */
export function checkOutRelease(history: History, release: Release, dir: string): string[] {
  const added = history.files.filter((f) => versionOf(f) <= release.through && !existsSync(join(dir, f)));
  for (const f of added) copyFileSync(join(history.migrationsDir, f), join(dir, f));
  return added;
}
