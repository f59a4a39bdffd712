/**
 * The JSON Schema the settings registry (settings.ts) generates, shipped as
 * `schemaguard.schema.json` (an editor completes and checks the project file
 * from it). `npm run docs:generate` writes it, with the keys' reference page
 * (scripts/docs/config-pages.ts); test/lib/config/reference.test.ts fails
 * when it is stale.
 */
import { LINT_RULE_IDS } from '../../lambda/checks/lint';
import { CONFIG_FILE_NAME } from './load';
import { SETTINGS, type AnySetting, type JsonSchema } from './settings';

/** Where the published schema is, for its `$id`. */
export const SCHEMA_URL = 'https://unpkg.com/schemaguard/schemaguard.schema.json';

/** The JSON Schema of the project file (draft-07: what editors' JSON support reads best). */
export function configSchema(): JsonSchema {
  const properties: Record<string, JsonSchema> = {
    $schema: {
      type: 'string',
      description: 'The JSON Schema of this file, for editors: ./node_modules/schemaguard/schemaguard.schema.json, or its published address.',
    },
  };
  for (const s of SETTINGS) properties[s.key] = propertySchema(s);
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: SCHEMA_URL,
    title: CONFIG_FILE_NAME,
    description:
      "schemaguard's project file: found in the working directory or the nearest directory above it, read by every CLI command and by the constructs at synth. Paths are relative to this file. A flag (or a construct prop) given wins over it.",
    type: 'object',
    additionalProperties: false,
    properties,
  };
}

function propertySchema(s: AnySetting): JsonSchema {
  const text = [s.description, s.flag ? `Flag: ${s.flag}.` : '', s.prop ? `Construct prop: ${s.prop}.` : ''].filter(Boolean).join(' ');
  const schema: JsonSchema = { ...s.schema, description: text, examples: [s.example] };
  if (s.default !== undefined) schema.default = s.default;
  // Rule ids listed, so an editor completes them (the loader checks only their shape; lint and plan check they exist).
  if (s.key === 'lintRules') schema.propertyNames = { enum: [...LINT_RULE_IDS] };
  return schema;
}

/** The file's text: two-space JSON, one trailing newline. */
export function configSchemaText(): string {
  return `${JSON.stringify(configSchema(), null, 2)}\n`;
}
