/** The package's own paths: found from lib/, so the working directory does not matter. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HANDLER_OUT_DIR, SYNTH_PARSE_OUT } from '../../scripts/build-handler.mjs';
import { HANDLER_BUNDLE_DIR, HANDLER_BUNDLE_FILES, PACKAGE_ROOT, SYNTH_PARSE_SCRIPT } from '../../lib/paths';

describe('Module: paths', () => {
  it('the package root holds the package.json of schemaguard', () => {
    expect(isAbsolute(PACKAGE_ROOT)).toBe(true);
    expect(PACKAGE_ROOT.endsWith('/')).toBe(false);
    expect(JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')).name).toBe('schemaguard');
  });

  it('the handler bundle is where the build writes it, with index.js, the operator commands and the parser module (built by the test setup)', () => {
    expect(HANDLER_BUNDLE_DIR).toBe(HANDLER_OUT_DIR);
    expect(HANDLER_BUNDLE_FILES).toEqual(['index.js', 'operator.js', 'libpg-query.wasm']);
    for (const file of HANDLER_BUNDLE_FILES) expect(statSync(join(HANDLER_BUNDLE_DIR, file)).isFile()).toBe(true);
  });

  it('the synth-time parse script is where the build writes it, beside the handler (built by the test setup)', () => {
    expect(SYNTH_PARSE_SCRIPT).toBe(SYNTH_PARSE_OUT);
    expect(statSync(SYNTH_PARSE_SCRIPT).isFile()).toBe(true);
  });

  it("names none of the repository's own migrations or contracts", async () => {
    const paths = await import('../../lib/paths');
    const values = Object.values(paths).flat().map(String);
    expect(values.filter((v) => /migrations|contracts|snapshot/.test(v))).toEqual([]);
    expect(existsSync(HANDLER_BUNDLE_DIR)).toBe(true);
  });
});
