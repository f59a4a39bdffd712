/**
 * `npm run config-reference`: writes schemaguard.schema.json and the
 * reference table of docs/guide/configuration.md from the settings registry
 * (lib/config/settings.ts). test/lib/config/reference.test.ts fails when
 * either is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configSchemaText, withReference } from '../lib/config/reference';
import { PACKAGE_ROOT } from '../lib/paths';

const page = join(PACKAGE_ROOT, 'docs', 'guide', 'configuration.md');
writeFileSync(join(PACKAGE_ROOT, 'schemaguard.schema.json'), configSchemaText());
writeFileSync(page, withReference(readFileSync(page, 'utf8')));
process.stdout.write('wrote schemaguard.schema.json and the reference in docs/guide/configuration.md\n');
