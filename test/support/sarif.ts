/**
 * SARIF validation for tests, from Microsoft's maintained SARIF SDK package
 * (@microsoft/sarif-multitool-linux, a dev dependency): its copy of the SARIF
 * 2.1.0 JSON schema, compiled with Ajv (draft 2020-12, formats checked), and
 * its validator executable, run with the SARIF rules and the rules of GitHub's
 * code-scanning ingestion (`--rule-kind "Gh;Sarif"`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

const require = createRequire(import.meta.url);
const PACKAGE_DIR = dirname(require.resolve('@microsoft/sarif-multitool-linux/package.json'));
export const SARIF_SCHEMA_FILE = join(PACKAGE_DIR, 'sarif-2.1.0.json');
const MULTITOOL = join(PACKAGE_DIR, 'Sarif.Multitool');

// strict: false — the published schema uses annotation keywords Ajv's strict mode does not know.
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(SARIF_SCHEMA_FILE, 'utf8')) as object);

/** Schema errors of a SARIF log, as `path: message` lines (empty: valid). */
export function sarifSchemaErrors(log: unknown): string[] {
  return validate(log) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message}`);
}

/** Errors the SARIF SDK's validator reports for these logs (SARIF and GitHub ingestion rules); warnings are left out. */
export function multitoolErrors(logs: unknown[]): string[] {
  if (!existsSync(MULTITOOL)) throw new Error(`${MULTITOOL} is missing: run npm install (it comes with @microsoft/sarif-multitool-linux)`);
  const dir = mkdtempSync(join(tmpdir(), 'schemaguard-sarif-'));
  const files = logs.map((log, k) => {
    const file = join(dir, `log${k}.sarif`);
    writeFileSync(file, JSON.stringify(log));
    return file;
  });
  const out = join(dir, 'validation.sarif');
  const run = spawnSync(MULTITOOL, ['validate', ...files, '--rule-kind', 'Gh;Sarif', '-o', out, '--log', 'ForceOverwrite'], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, DOTNET_SYSTEM_GLOBALIZATION_INVARIANT: '1' },
  });
  if (!existsSync(out)) throw new Error(`the SARIF validator did not run: ${run.stderr || run.stdout || run.error?.message}`);
  const results =
    (JSON.parse(readFileSync(out, 'utf8')) as { runs: { results?: { level?: string; ruleId: string; message: unknown }[] }[] }).runs[0]?.results ?? [];
  return results.filter((r) => r.level === 'error').map((r) => `${r.ruleId}: ${JSON.stringify(r.message)}`);
}
