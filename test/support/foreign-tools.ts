/**
 * The TypeScript tools' own migrators, run for real (devDependencies) against
 * a test database in a child Node.js process each: they write their history
 * tables as they do for their users. Each runs the given SQL through the
 * tool's raw-SQL call (knex.raw, queryRunner.query, sequelize.query,
 * sql.raw, this.addSql), the form a team that adopts schemaguard keeps.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli';
import { tempDir } from './files';

/** A migration as the tool names it, with the SQL it runs. */
export interface ToolMigration {
  name: string;
  sql: string;
}

/** Runs `script` (CommonJS, `URL` and `MIGRATIONS` in scope) in a child process; throws with its output when it fails. */
function runScript(label: string, url: string, migrations: ToolMigration[], body: string): void {
  const dir = tempDir({}, `${label}-driver`);
  const file = join(dir, 'run.cjs');
  writeFileSync(
    file,
    `const URL = ${JSON.stringify(url)};\nconst MIGRATIONS = ${JSON.stringify(migrations)};\n(async () => {\n${body}\n})().catch((e) => { console.error(e); process.exit(1); });\n`,
  );
  const r = spawnSync(process.execPath, [file], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules') },
    timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`${label} failed (${r.status}): ${r.stderr}${r.stdout}`);
}

/** knex migrate:latest over `<name>.js` files that each knex.raw their SQL. */
export function knexMigrate(url: string, migrations: ToolMigration[]): void {
  runScript(
    'knex',
    url,
    migrations,
    `
  const fs = require('node:fs');
  fs.mkdirSync('migrations');
  for (const m of MIGRATIONS) fs.writeFileSync('migrations/' + m.name, 'exports.up = (knex) => knex.raw(' + JSON.stringify(m.sql) + ');\\nexports.down = () => {};\\n');
  const knex = require('knex')({ client: 'pg', connection: URL });
  try { await knex.migrate.latest({ directory: 'migrations' }); } finally { await knex.destroy(); }`,
  );
}

/** TypeORM's runMigrations over classes named `<Name><timestamp>`. */
export function typeormMigrate(url: string, migrations: ToolMigration[]): void {
  runScript(
    'typeorm',
    url,
    migrations,
    `
  const { DataSource } = require('typeorm');
  const classes = MIGRATIONS.map((m) => ({ [m.name]: class { constructor() { this.name = m.name; } async up(q) { await q.query(m.sql); } async down() {} } })[m.name]);
  const ds = new DataSource({ type: 'postgres', url: URL, migrations: classes, logging: false });
  await ds.initialize();
  try { await ds.runMigrations(); } finally { await ds.destroy(); }`,
  );
}

/** Umzug with its SequelizeStorage (what sequelize-cli db:migrate runs) over `<name>.js` migrations. */
export function sequelizeMigrate(url: string, migrations: ToolMigration[]): void {
  runScript(
    'sequelize',
    url,
    migrations,
    `
  const { Sequelize } = require('sequelize');
  const { Umzug, SequelizeStorage } = require('umzug');
  const sequelize = new Sequelize(URL, { logging: false });
  const umzug = new Umzug({ migrations: MIGRATIONS.map((m) => ({ name: m.name, up: () => sequelize.query(m.sql) })), storage: new SequelizeStorage({ sequelize }), logger: undefined });
  try { await umzug.up(); } finally { await sequelize.close(); }`,
  );
}

/** Kysely's Migrator.migrateToLatest over named migrations. */
export function kyselyMigrate(url: string, migrations: ToolMigration[]): void {
  runScript(
    'kysely',
    url,
    migrations,
    `
  const { Kysely, Migrator, PostgresDialect, sql } = require('kysely');
  const { Pool } = require('pg');
  const db = new Kysely({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: URL }) }) });
  const provider = { getMigrations: async () => Object.fromEntries(MIGRATIONS.map((m) => [m.name, { up: (d) => sql.raw(m.sql).execute(d) }])) };
  try {
    const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
    if (error) throw error;
    if (results.some((r) => r.status !== 'Success')) throw new Error(JSON.stringify(results));
  } finally { await db.destroy(); }`,
  );
}

/** MikroORM's migrator (up) over Migration classes that addSql their SQL. */
export function mikroOrmMigrate(url: string, migrations: ToolMigration[]): void {
  runScript(
    'mikro-orm',
    url,
    migrations,
    `
  const { MikroORM } = require('@mikro-orm/postgresql');
  const { Migrator, Migration } = require('@mikro-orm/migrations');
  const migrationsList = MIGRATIONS.map((m) => ({ name: m.name, class: class extends Migration { async up() { this.addSql(m.sql); } } }));
  const orm = await MikroORM.init({ clientUrl: URL, entities: [], discovery: { warnWhenNoEntities: false }, extensions: [Migrator], migrations: { migrationsList }, debug: false });
  try { await orm.getMigrator().up(); } finally { await orm.close(true); }`,
  );
}

/** dbmate up (its binary, shipped in the @dbmate/<platform> registry package) over its own migration files. */
export function dbmateUp(url: string, dir: string): void {
  const r = spawnSync(
    join(ROOT, 'node_modules', '.bin', 'dbmate'),
    ['--url', `${url}${url.includes('?') ? '&' : '?'}sslmode=disable`, '--migrations-dir', dir, '--no-dump-schema', 'up'],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (r.status !== 0) throw new Error(`dbmate failed (${r.status}): ${r.stderr}${r.stdout}`);
}

/** drizzle-orm's migrator (node-postgres) over a drizzle-kit folder. */
export function drizzleMigrate(url: string, folder: string): void {
  runScript(
    'drizzle',
    url,
    [],
    `
  const { drizzle } = require('drizzle-orm/node-postgres');
  const { migrate } = require('drizzle-orm/node-postgres/migrator');
  const { Pool } = require('pg');
  const pool = new Pool({ connectionString: URL });
  try { await migrate(drizzle(pool), { migrationsFolder: ${JSON.stringify(folder)} }); } finally { await pool.end(); }`,
  );
}

/** drizzle-kit generate for `schema` (TypeScript source) into `out`, with `prefix`. */
export function drizzleKitGenerate(work: string, schema: string, out: string, prefix: string, name: string): void {
  writeFileSync(join(work, 'schema.ts'), schema);
  drizzleKit(work, out, prefix, ['--name', name]);
}

/**
 * `drizzle-kit generate --custom --name NAME`: the empty file drizzle-kit
 * lists in its journal for SQL of one's own, with `sql` written below its
 * first line. Returns the file's path.
 */
export function drizzleKitCustom(work: string, out: string, prefix: string, name: string, sql: string): string {
  drizzleKit(work, out, prefix, ['--custom', '--name', name]);
  const journal = JSON.parse(readFileSync(join(work, out, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string }[] };
  const file = join(work, out, `${journal.entries.at(-1)!.tag}.sql`);
  appendFileSync(file, `\n${sql}\n`);
  return file;
}

function drizzleKit(work: string, out: string, prefix: string, args: string[]): void {
  writeFileSync(
    join(work, 'drizzle.config.ts'),
    `export default { dialect: 'postgresql', schema: './schema.ts', out: ${JSON.stringify(out)}, migrations: { prefix: ${JSON.stringify(prefix)} } };\n`,
  );
  const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'drizzle-kit'), ['generate', '--config', 'drizzle.config.ts', ...args], {
    cwd: work,
    encoding: 'utf8',
    env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules') },
    timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`drizzle-kit generate failed (${r.status}): ${r.stderr}${r.stdout}`);
}
