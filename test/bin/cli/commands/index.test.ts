/**
 * The CLI bundle (scripts/build-cli.mjs, built by the test setup) splits along
 * each command's dynamic import: what `migrate` and `status` load — the entry
 * and every part it or their own part imports statically — holds no linter,
 * no SQL parser, no lock tables, no doctor, no AWS SDK and no CDK. Read from
 * the bundle's import statements and its source maps, so it is the code Node
 * would load, not what the sources say.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));
const ENTRY = join(ROOT, 'dist', 'schemaguard.mjs');

/** The files a bundle file pulls in before any of its code runs (static imports, transitively). */
function staticClosure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const m of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"|^import\s+"(\.[^"]+)"/gm)) {
    staticClosure(resolve(dirname(file), (m[1] ?? m[2])!), seen);
  }
  return seen;
}

/** The part a command loads when it runs: the target of its `import("./cli/…")` in the entry. */
function commandPart(command: string): string {
  const m = new RegExp(`"(\\./cli/${command}-[A-Z0-9]+\\.mjs)"`).exec(readFileSync(ENTRY, 'utf8'));
  if (!m) throw new Error(`no part for ${command} in ${ENTRY}`);
  return resolve(dirname(ENTRY), m[1]!);
}

/** The sources (repository paths and packages) behind a set of bundle files, from their source maps. */
function sourcesOf(files: Set<string>): string[] {
  return [...files].flatMap((file) => {
    const map = JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[] };
    return map.sources.map((s) => relative(ROOT, resolve(dirname(file), s)));
  });
}

function loadedBy(command: string): string[] {
  return sourcesOf(staticClosure(commandPart(command), staticClosure(ENTRY)));
}

const NEVER_FOR_MIGRATE = [
  /^lambda\/checks\//, /^lambda\/schema\//, /^lambda\/handler\//, /^lib\//, /^bin\/cli\/output\/(sarif|rules|findings)/,
  /node_modules\/(libpg-query|@aws-sdk|aws-cdk-lib|constructs|undici)\//,
];

describe('the CLI bundle', () => {
  it.each(['migrate', 'status'])('%s loads the engine and the pg driver, and none of the linter, the parser, the doctor, the SDK or the CDK', (command) => {
    const sources = loadedBy(command);
    expect(sources).toEqual(expect.arrayContaining(['lambda/engine/runner.ts', 'lambda/driver/pg/pg-driver.ts', 'node_modules/pg/lib/client.js']));
    expect(sources.filter((s) => NEVER_FOR_MIGRATE.some((r) => r.test(s)))).toEqual([]);
  });

  it('gives pg the Node.js socket directly, without its Cloudflare probe (which loads fetch)', () => {
    const pg = [...staticClosure(commandPart('migrate'))].map((f) => readFileSync(f, 'utf8')).join('\n');
    expect(pg).toContain('node_modules/pg/lib/stream.js');
    expect(pg).not.toContain('isCloudflareRuntime');
    expect(pg).not.toContain('pg-cloudflare');
  });

  it('loads the linter for lint: the split does not lose code', () => {
    const sources = loadedBy('lint');
    expect(sources).toContain('bin/cli/commands/lint.ts');
    expect(sources.filter((s) => s.startsWith('lambda/checks/lint')).length).toBeGreaterThan(0);
  });
});
