/**
 * `prisma migrate dev`, run for real: Prisma 6.19's CLI with its schema
 * engine in WebAssembly (`engine: 'js'`, shipped in the prisma package) over
 * @prisma/adapter-pg. Its native schema engine is downloaded at run time from
 * outside the npm registry (binaries.prisma.sh), which this machine cannot
 * reach, and Prisma 7 has no other engine for migrate; the two engine
 * variables name a file that is never run, so that the CLI does not try the
 * download. @prisma/adapter-pg refuses a `"char"` column
 * (UnsupportedNativeDataType for type 18 in its dist/index.js), which the
 * engine's catalog queries return: the client below hands those columns over
 * as text.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli';

const CONFIG = `import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';

class CharAsTextClient extends pg.Client {
  query(...args: any[]): any {
    const asText = (res: any) => { for (const f of res?.fields ?? []) if (f.dataTypeID === 18 || f.dataTypeID === 19) f.dataTypeID = 25; return res; };
    const done = typeof args[args.length - 1] === 'function' ? args.pop() : undefined;
    if (done) args.push((err: any, res: any) => done(err, err ? res : asText(res)));
    const r = (super.query as any)(...args);
    return r && typeof r.then === 'function' ? r.then(asText) : r;
  }
}

const pool = (database?: string) => {
  const u = new URL(process.env.DATABASE_URL!);
  return new pg.Pool({
    host: u.hostname, port: Number(u.port || 5432), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password),
    database: database ?? u.pathname.slice(1), Client: CharAsTextClient as any,
    // The CLI never ends its pool: idle connections would keep it running for the pool's idle timeout (10 s).
    allowExitOnIdle: true,
  });
};

// The adapter's own shadow database keeps the URL's database (a connectionString
// wins over the database it sets) and is dropped before its pool ends: made here
// as it makes it, with the pool ended first.
class ShadowedPg extends PrismaPg {
  async connectToShadowDb(): Promise<any> {
    const main = await this.connect();
    const database = 'prisma_migrate_shadow_db_' + crypto.randomUUID();
    await main.executeScript('CREATE DATABASE "' + database + '"');
    const shadow: any = await new PrismaPg(pool(database)).connect();
    const shadowPool = shadow.underlyingDriver();
    shadow.dispose = async () => { await shadowPool.end(); await main.executeScript('DROP DATABASE "' + database + '"'); };
    return shadow;
  }
}

export default defineConfig({
  experimental: { adapter: true },
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  engine: 'js',
  adapter: async () => new ShadowedPg(pool()),
});
`;

const schemaText = (models: string) => `datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n\n${models}`;

/** `prisma migrate dev --name NAME` in `work` for `models` (the schema's models), against `url`. */
export function prismaMigrateDev(work: string, url: string, models: string, name: string): void {
  if (!existsSync(join(work, 'node_modules'))) symlinkSync(join(ROOT, 'node_modules'), join(work, 'node_modules'));
  writeFileSync(join(work, 'prisma.config.ts'), CONFIG);
  mkdirSync(join(work, 'prisma'), { recursive: true });
  writeFileSync(join(work, 'prisma', 'schema.prisma'), schemaText(models));
  prisma(work, url, ['migrate', 'dev', '--name', name, '--skip-generate']);
}

/**
 * The next migration written without a database, as a team that lets
 * schemaguard apply may write it: `prisma migrate diff` from the schema
 * before to the schema now (`models`), its script in a folder named as
 * migrate dev names one (UTC `YYYYMMDDHHMMSS_name`). Returns the folder's name.
 */
export function prismaMigrateDiff(work: string, url: string, models: string, name: string): string {
  const schema = join(work, 'prisma', 'schema.prisma');
  const before = join(work, 'schema.before.prisma');
  copyFileSync(schema, before);
  writeFileSync(schema, schemaText(models));
  const script = prisma(work, url, ['migrate', 'diff', '--from-schema-datamodel', before, '--to-schema-datamodel', schema, '--script']);
  const folder = `${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}_${name}`;
  mkdirSync(join(work, 'prisma', 'migrations', folder));
  writeFileSync(join(work, 'prisma', 'migrations', folder, 'migration.sql'), script);
  return folder;
}

/**
 * Loaded before the CLI: the WebAssembly engine sets timers (10 and 60 s)
 * for timeouts on work that has finished and never clears them, so the CLI
 * stayed up to a minute after its work (a first migrate dev took 74 s, 14 s
 * of it working). Those timers no longer hold the process; what the CLI
 * still awaits holds it (its sockets).
 */
const UNREF_ENGINE_TIMERS = `const set = global.setTimeout;
global.setTimeout = function (fn, ms, ...rest) {
  const t = set.call(this, fn, ms, ...rest);
  if (ms >= 10000 && new Error().stack.includes('wasm://')) t.unref();
  return t;
};
`;

/** Prisma's CLI with `args` in `work` against `url`; its stdout. */
function prisma(work: string, url: string, args: string[]): string {
  const never = join(work, 'no-native-engine');
  writeFileSync(never, '');
  const preload = join(work, 'unref-engine-timers.cjs');
  writeFileSync(preload, UNREF_ENGINE_TIMERS);
  const r = spawnSync(process.execPath, ['--require', preload, join(ROOT, 'node_modules', 'prisma', 'build', 'index.js'), ...args], {
    cwd: work,
    encoding: 'utf8',
    timeout: 120_000,
    env: {
      ...process.env,
      DATABASE_URL: url,
      PRISMA_QUERY_ENGINE_LIBRARY: never,
      PRISMA_SCHEMA_ENGINE_BINARY: never,
      CHECKPOINT_DISABLE: '1',
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
      DO_NOT_TRACK: '1',
    },
  });
  if (r.status !== 0) throw new Error(`prisma ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** `migration_lock.toml` as `prisma migrate dev` writes it (the Prisma test compares them). */
export const PRISMA_LOCK_TEXT =
  '# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "postgresql"\n';

/** A `migration.sql` as `prisma migrate dev` writes one for `model <Name> { id Int @id @default(autoincrement()) }`. */
export function prismaCreateTable(name: string): string {
  return `-- CreateTable\nCREATE TABLE "${name}" (\n    "id" SERIAL NOT NULL,\n\n    CONSTRAINT "${name}_pkey" PRIMARY KEY ("id")\n);\n`;
}
