/**
 * `prisma migrate dev`, run for real: Prisma 6.19's CLI with its schema
 * engine in WebAssembly (`engine: 'js'`, shipped in the prisma package) over
 * @prisma/adapter-pg. Its native schema engine is downloaded at run time from
 * outside the npm registry (binaries.prisma.sh), which this machine cannot
 * reach, and Prisma 7 has no other engine for migrate; the two engine
 * variables name a file that is never run, so that the CLI does not try the
 * download. @prisma/adapter-pg reads no `"char"` column, which the engine's
 * catalog queries return (prisma/prisma#27403): the client below hands
 * those columns over as text.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, symlinkSync, writeFileSync } from 'node:fs';
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

export default defineConfig({
  experimental: { adapter: true },
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  engine: 'js',
  adapter: async () => new PrismaPg(new pg.Pool({ connectionString: process.env.DATABASE_URL!, Client: CharAsTextClient as any })),
});
`;

/** `prisma migrate dev --name NAME` in `work` for `models` (the schema's models), against `url`. */
export function prismaMigrateDev(work: string, url: string, models: string, name: string): void {
  if (!existsSync(join(work, 'node_modules'))) symlinkSync(join(ROOT, 'node_modules'), join(work, 'node_modules'));
  writeFileSync(join(work, 'prisma.config.ts'), CONFIG);
  spawnSync('mkdir', ['-p', join(work, 'prisma')]);
  writeFileSync(join(work, 'prisma', 'schema.prisma'), `datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n\n${models}`);
  const never = join(work, 'no-native-engine');
  writeFileSync(never, '');
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'prisma', 'build', 'index.js'), 'migrate', 'dev', '--name', name, '--skip-generate'], {
    cwd: work, encoding: 'utf8', timeout: 120_000,
    env: {
      ...process.env, DATABASE_URL: url, PRISMA_QUERY_ENGINE_LIBRARY: never, PRISMA_SCHEMA_ENGINE_BINARY: never,
      CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1', DO_NOT_TRACK: '1',
    },
  });
  if (r.status !== 0) throw new Error(`prisma migrate dev failed (${r.status}): ${r.stderr}${r.stdout}`);
}
