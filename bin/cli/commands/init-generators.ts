/**
 * The migration generator a project already uses, as `init` recognises it in
 * the working directory: drizzle-kit (its config file, or a folder with
 * drizzle-kit's `meta/_journal.json`) or Prisma (`prisma/migrations`, or the
 * schema it migrates). init then writes that folder and its layout, not a
 * `migrations/` folder of its own beside them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import type { MigrationLayout } from '../../../lambda/engine/files/layout';

export interface Generator {
  /** The tool, as its users name it. */
  tool: 'drizzle-kit' | 'prisma';
  /** Its migrations folder, from the project root, with forward slashes. */
  folder: string;
  layout: Extract<MigrationLayout, 'drizzle' | 'prisma'>;
  /** What made init recognise it (a file name), for its line. */
  found: string;
  /** How the tool writes a new migration, for init's next steps. */
  newMigration: string;
}

/** drizzle-kit's config file names (drizzle.config.ts is what its docs use). */
const DRIZZLE_CONFIGS = [
  'drizzle.config.ts',
  'drizzle.config.mts',
  'drizzle.config.cts',
  'drizzle.config.js',
  'drizzle.config.mjs',
  'drizzle.config.cjs',
  'drizzle.config.json',
];
/** drizzle-kit's `out` when its config names none. */
const DRIZZLE_DEFAULT_OUT = 'drizzle';
/** Folders a drizzle-kit journal may be in without a config here (its default `out`, and the common name). */
const DRIZZLE_FOLDERS = [DRIZZLE_DEFAULT_OUT, 'migrations'];
const DRIZZLE_JOURNAL = 'meta/_journal.json';
/** Prisma's schema when neither its config nor package.json names another; the migrations folder is beside it. */
const PRISMA_SCHEMA = 'prisma/schema.prisma';
/** Prisma's config file names (Prisma 6.6 and later): `schema` and `migrations: { path }` there win over package.json. */
const PRISMA_CONFIGS = ['prisma.config.ts', 'prisma.config.mts', 'prisma.config.js', 'prisma.config.mjs'];

/** The generator the project in `cwd` uses, or undefined. */
export function generatorIn(cwd: string): Generator | undefined {
  return drizzleIn(cwd) ?? prismaIn(cwd);
}

function drizzleIn(cwd: string): Generator | undefined {
  const config = DRIZZLE_CONFIGS.find((f) => existsSync(join(cwd, f)));
  const folder = config ? drizzleOut(join(cwd, config)) : DRIZZLE_FOLDERS.find((f) => existsSync(join(cwd, f, DRIZZLE_JOURNAL)));
  if (folder === undefined) return undefined;
  return {
    tool: 'drizzle-kit',
    folder,
    layout: 'drizzle',
    found: config ?? `${folder}/${DRIZZLE_JOURNAL}`,
    newMigration: 'npx drizzle-kit generate --name create_first_table   # drizzle-kit writes the SQL and its journal entry',
  };
}

/**
 * The config's `out` (`out: './drizzle'`, or "out" in JSON), read as text: a
 * TypeScript config is not run. Its default when it names none, or names it
 * by an expression init cannot read.
 */
function drizzleOut(file: string): string {
  return projectPath(stringValue(readFileSync(file, 'utf8'), 'out') ?? DRIZZLE_DEFAULT_OUT);
}

/**
 * Prisma's migrations folder: the one its config names (`migrations: { path }`),
 * else beside the schema its config or package.json names (`schema`,
 * `prisma.schema`), else prisma/migrations. Read as text, as drizzle-kit's.
 */
function prismaIn(cwd: string): Generator | undefined {
  const config = PRISMA_CONFIGS.find((f) => existsSync(join(cwd, f)));
  const text = config ? readFileSync(join(cwd, config), 'utf8') : '';
  const schema = projectPath(stringValue(text, 'schema') ?? prismaSchemaInPackage(cwd) ?? PRISMA_SCHEMA);
  const migrationsPath = stringValue(/\bmigrations\s*:\s*\{[^}]*/.exec(text)?.[0] ?? '', 'path');
  const folder = projectPath(migrationsPath ?? join(dirname(schema), 'migrations'));
  const found = [folder, schema, config].find((f) => f !== undefined && existsSync(join(cwd, f)));
  if (found === undefined) return undefined;
  return {
    tool: 'prisma',
    folder,
    layout: 'prisma',
    found,
    newMigration: 'npx prisma migrate dev --create-only --name create_first_table   # Prisma writes the folder and its migration.sql',
  };
}

/** package.json's `prisma.schema`, or undefined. */
function prismaSchemaInPackage(cwd: string): string | undefined {
  try {
    const named = (JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as { prisma?: { schema?: unknown } }).prisma?.schema;
    return typeof named === 'string' ? named : undefined;
  } catch {
    return undefined;
  }
}

/** The string a config's text gives `key` (`key: './x'`, or `"key": "x"` in JSON), or undefined: read as text, a config is not run. */
function stringValue(text: string, key: string): string | undefined {
  return new RegExp(`["']?\\b${key}["']?\\s*:\\s*(["'\`])([^"'\`]+)\\1`).exec(text)?.[2];
}

/** `./drizzle/` as init writes paths: `drizzle`. */
function projectPath(path: string): string {
  return normalize(path).split('\\').join('/').replace(/\/+$/, '');
}
