/**
 * `schemaguard init` in a project of its own: beside drizzle-kit (its config
 * and the folder drizzle-kit generate wrote, for real) or Prisma (its
 * migrations folder, or only its schema yet), the project file names their
 * folder and layout, and the commands then read it with no flag; in a new
 * project, `migrations/`. The snapshot goes beside the migrations folder, and
 * the next steps check (lint, plan) before they change (migrate).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main, type Io } from '../../../../bin/cli/main';
import { drizzleKitGenerate } from '../../../support/foreign-tools';
import { tempDir } from '../../../support/files';

function capture(): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    env: {},
    out: (t: string) => {
      io.stdout += `${t}\n`;
    },
    err: (t: string) => {
      io.stderr += `${t}\n`;
    },
  };
  return io;
}

interface InitJson {
  generator?: { tool: string; found: string; migrations: string; layout: string };
  steps: { path: string; done: string; why?: string }[];
  next: string[];
}

/** `init --json` in `dir` (init writes where it runs), and the project file it wrote. */
async function init(dir: string): Promise<{ json: InitJson; config: Record<string, unknown> }> {
  process.chdir(dir);
  const io = capture();
  expect(await main(['init', '--json'], io), io.stderr).toBe(0);
  return { json: JSON.parse(io.stdout) as InitJson, config: JSON.parse(readFileSync(join(dir, 'schemaguard.config.json'), 'utf8')) };
}

/** The files `plan --offline` would run in `dir`, read through the project file alone. */
async function planned(dir: string): Promise<string[]> {
  process.chdir(dir);
  const io = capture();
  expect(await main(['plan', '--offline', '--json', '--quiet'], io), io.stderr).toBe(0);
  return (JSON.parse(io.stdout) as { pending: { file: string }[] }).pending.map((m) => m.file);
}

/** The order of the checking and changing commands in the next steps. */
const order = (next: string[]) => ['lint', 'plan', 'migrate'].map((c) => next.findIndex((n) => n.startsWith(`npx schemaguard ${c} `)));

const home = process.cwd();
beforeEach(() => process.chdir(home));
afterEach(() => process.chdir(home));

const PG_SCHEMA =
  "import { pgTable, serial, text } from 'drizzle-orm/pg-core';\nexport const users = pgTable('users', { id: serial('id').primaryKey(), name: text('name') });\n";

describe('Command: init', () => {
  it("beside drizzle-kit (drizzle.config.ts, out: './db/drizzle'), writes drizzle-kit's folder and layout, makes no migrations/ of its own, and plan reads it", async () => {
    const dir = tempDir({}, 'drizzle-app');
    drizzleKitGenerate(dir, PG_SCHEMA, './db/drizzle', 'index', 'init');

    const { json, config } = await init(dir);

    expect(json.generator).toEqual({ tool: 'drizzle-kit', found: 'drizzle.config.ts', migrations: 'db/drizzle', layout: 'drizzle' });
    expect(config).toMatchObject({ migrations: 'db/drizzle', migrationsLayout: 'drizzle', snapshot: 'db/schema.snapshot.json' });
    expect(json.steps).toContainEqual({ path: 'db/drizzle/', done: 'kept', why: "drizzle-kit's" });
    expect(existsSync(join(dir, 'migrations'))).toBe(false);
    expect(json.next.filter((n) => !n.startsWith('npm install'))[0]).toMatch(/^npx drizzle-kit generate --name /);
    expect(await planned(dir)).toEqual(['0000_init.sql']);
  });

  it('beside a drizzle-kit folder without its config (drizzle/meta/_journal.json), writes that folder', async () => {
    const dir = tempDir({}, 'drizzle-app');
    drizzleKitGenerate(dir, PG_SCHEMA, './drizzle', 'index', 'init');
    rmSync(join(dir, 'drizzle.config.ts'));

    const { json, config } = await init(dir);

    expect(json.generator).toMatchObject({ found: 'drizzle/meta/_journal.json', migrations: 'drizzle' });
    expect(config).toMatchObject({ migrations: 'drizzle', migrationsLayout: 'drizzle', snapshot: 'schema.snapshot.json' });
  });

  it('beside Prisma (prisma/migrations as prisma migrate dev writes it), writes its folder and layout, and plan reads it', async () => {
    const dir = tempDir(
      {
        'prisma/schema.prisma': 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n',
        'prisma/migrations/migration_lock.toml': 'provider = "postgresql"\n',
        'prisma/migrations/20240101120000_init/migration.sql': 'CREATE TABLE "User" (id int PRIMARY KEY);\n',
      },
      'prisma-app',
    );

    const { json, config } = await init(dir);

    expect(json.generator).toEqual({ tool: 'prisma', found: 'prisma/migrations', migrations: 'prisma/migrations', layout: 'prisma' });
    expect(config).toMatchObject({ migrations: 'prisma/migrations', migrationsLayout: 'prisma', snapshot: 'prisma/schema.snapshot.json' });
    expect(existsSync(join(dir, 'migrations'))).toBe(false);
    expect(json.next.filter((n) => !n.startsWith('npm install'))[0]).toMatch(/^npx prisma migrate dev --create-only --name /);
    expect(await planned(dir)).toEqual(['20240101120000_init/migration.sql']);
  });

  it("beside a Prisma schema with no migration yet (package.json's prisma.schema), leaves the folder to Prisma", async () => {
    const dir = tempDir({ 'package.json': '{"name":"app","prisma":{"schema":"db/schema.prisma"}}', 'db/schema.prisma': 'datasource db {}\n' }, 'prisma-app');

    const { json, config } = await init(dir);

    expect(config).toMatchObject({ migrations: 'db/migrations', migrationsLayout: 'prisma' });
    expect(json.steps).toContainEqual({ path: 'db/migrations/', done: 'left', why: 'prisma makes it with its first migration' });
    expect(existsSync(join(dir, 'db', 'migrations'))).toBe(false);
  });

  it('in a new project, makes migrations/, puts the snapshot beside it, and lists lint and plan before migrate', async () => {
    const dir = tempDir({}, 'new-app');

    const { json, config } = await init(dir);

    expect(json.generator).toBeUndefined();
    expect(config).toMatchObject({ migrations: 'migrations', snapshot: 'schema.snapshot.json' });
    expect(config).not.toHaveProperty('migrationsLayout');
    expect(json.steps).toContainEqual({ path: 'migrations/', done: 'made' });
    const [lint, plan, migrate] = order(json.next);
    expect(lint).toBeGreaterThanOrEqual(0);
    expect(lint).toBeLessThan(plan!);
    expect(plan).toBeLessThan(migrate!);
  });
});
