/** Workflow-command escaping and SARIF shape, without a database. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { githubAnnotation, repositoryPath } from '../../../../bin/cli/output/github';
import { sarifLog } from '../../../../bin/cli/output/sarif';
import type { Finding } from '../../../../lambda/checks/findings/finding';
import { inDirectory, tempDir } from '../../../support/files';
import { sarifSchemaErrors } from '../../../support/sarif';

const finding: Finding = {
  rule: 'index-not-concurrent',
  severity: 'warning',
  file: 'a,b:c%.sql',
  line: 3,
  column: 7,
  message: '100% of writes wait',
  why: 'line one\r\nline two',
  fix: 'CREATE INDEX CONCURRENTLY i ON t (a, b);',
};

describe('Function: githubAnnotation', () => {
  it('escapes % CR LF in the message and also : , in properties, as the Actions toolkit does', () => {
    expect(githubAnnotation(finding, '.')).toBe(
      '::warning file=a%2Cb%3Ac%25.sql,line=3,col=7,title=schemaguard index-not-concurrent::100%25 of writes wait%0AWhy: line one%0D%0Aline two%0AFix: CREATE INDEX CONCURRENTLY i ON t (a, b);',
    );
  });

  it('names the object when there is no file', () => {
    expect(githubAnnotation({ ...finding, file: undefined, object: 'public.t' }, '.')).toMatch(
      /^::warning title=schemaguard index-not-concurrent::public\.t: 100%25/,
    );
  });
});

// Regression (helper): a job run in a subdirectory (working-directory: db) named migrations/… and GitHub put no annotation on db/migrations/….
describe('Function: repositoryPath', () => {
  it('is relative to the repository: GITHUB_WORKSPACE, else the nearest directory with .git, else the working directory', () => {
    const repo = tempDir({}, 'repo');
    mkdirSync(join(repo, '.git'));
    mkdirSync(join(repo, 'db', 'migrations'), { recursive: true });
    const plain = tempDir({}, 'plain');
    mkdirSync(join(plain, 'db', 'migrations'), { recursive: true });
    expect(inDirectory(join(repo, 'db'), () => repositoryPath('migrations', '1_a.sql', {}))).toBe('db/migrations/1_a.sql');
    expect(inDirectory(join(plain, 'db'), () => repositoryPath('migrations', '1_a.sql', {}))).toBe('migrations/1_a.sql');
    expect(inDirectory(join(plain, 'db'), () => repositoryPath('migrations', '1_a.sql', { GITHUB_WORKSPACE: plain }))).toBe('db/migrations/1_a.sql');
    // A file outside the workspace is named from the working directory's repository, as before.
    expect(inDirectory(join(repo, 'db'), () => repositoryPath('migrations', '1_a.sql', { GITHUB_WORKSPACE: plain }))).toBe('db/migrations/1_a.sql');
  });
});

describe('Function: sarifLog', () => {
  it('lists a rule it does not know from the finding itself, percent-encodes the file, and stays valid SARIF', () => {
    const log = sarifLog('lint', [{ ...finding, rule: 'brand-new-rule' }], '.') as {
      runs: { tool: { driver: { rules: { id: string }[] } }; results: { ruleIndex: number }[] }[];
    };
    const rules = log.runs[0]!.tool.driver.rules;
    expect(rules.map((r) => r.id)).toContain('brand-new-rule');
    expect(rules[log.runs[0]!.results[0]!.ruleIndex]!.id).toBe('brand-new-rule');
    expect(JSON.stringify(log)).toContain('"uri":"a%2Cb%3Ac%25.sql"');
    expect(sarifSchemaErrors(log)).toEqual([]);
  });
});
