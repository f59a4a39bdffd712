/**
 * The handler over a generator's folder as synth ships it: a SchemaMigrations
 * is synthesised over Prisma's folder (detected) and drizzle-kit's (generated
 * for real), and the handler runs in process under the real Provider
 * framework, on the asset's migrations folder, with the asset's layout
 * variable and the template's properties, against real PostgreSQL. Secrets
 * Manager is stood in for: it answers with the server's own credentials.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTR, ENV, OUTCOME } from '../../../lambda/handler/constants';
import { createHandlers } from '../../../lambda/handler/handler';
import { dropDatabases, freshDatabase, rows, targets } from '../../support/db';
import { tempDir } from '../../support/files';
import { drizzleKitGenerate } from '../../support/foreign-tools';
import { layoutOfHandler, synthLayouts, type Synthesised } from '../../support/layout-stack';
import { PRISMA_LOCK_TEXT, prismaCreateTable } from '../../support/prisma-tool';
import { ProviderHarness, type CfnResponse } from '../../support/provider-framework';
import type { Target } from '../../support/targets';

afterAll(dropDatabases);

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:schemaguard-layout-AbCdEf';

/** Sends `requests` in turn through the framework to a handler running on what `synth()` gives at each request, on `url`. */
async function deploy(
  target: Target,
  url: string,
  requests: { type: 'Create' | 'Update'; synth: () => Synthesised }[],
): Promise<{ responses: CfnResponse[]; lines: string[] }> {
  const u = new URL(url);
  const secrets = {
    send: async (command: GetSecretValueCommand) => {
      expect(command.input.SecretId).toBe(SECRET_ARN);
      return {
        SecretString: JSON.stringify({
          engine: 'postgres',
          username: 'postgres',
          password: target.password,
          host: '127.0.0.1',
          port: target.port,
          dbname: u.pathname.slice(1),
        }),
      };
    },
  };
  const env: Record<string, string> = { [ENV.secretArn]: SECRET_ARN, [ENV.tls]: 'disable', [ENV.reserveMs]: '1000', [ENV.connectAttempts]: '2' };
  const lines: string[] = [];
  const handlers = createHandlers({ secrets, env, write: (line) => lines.push(line) });
  const harness = new ProviderHarness({ onEvent: handlers.onEvent as never, isComplete: handlers.isComplete as never });
  await harness.start();
  const responses: CfnResponse[] = [];
  try {
    let old: Record<string, unknown> | undefined;
    for (const r of requests) {
      const s = r.synth();
      // What the function runs with: its asset's folders, the variables synth gave it.
      Object.assign(env, {
        [ENV.migrationsDir]: join(s.assetDir, s.env[ENV.migrationsDir] as string),
        [ENV.contractsDir]: join(s.assetDir, s.env[ENV.contractsDir] as string),
        [ENV.migrationsLayout]: layoutOfHandler(s),
      });
      const { ServiceToken: _token, ...props } = s.props;
      responses.push(
        await harness.send({
          RequestType: r.type,
          ResourceProperties: props,
          ...(old ? { OldResourceProperties: old, PhysicalResourceId: responses[0]!.PhysicalResourceId } : {}),
        }),
      );
      old = props;
    }
  } finally {
    await harness.stop();
  }
  return { responses, lines };
}

const applied = (url: string) => rows(url, 'SELECT version::text, name FROM schemaguard.applied_migrations ORDER BY version');

let drizzleDir: string;

beforeAll(() => {
  const work = tempDir({}, 'drizzle-app');
  const head = "import { pgTable, serial, text } from 'drizzle-orm/pg-core';\n";
  const table = (name: string) => `export const ${name} = pgTable('${name}', { id: serial('id').primaryKey(), title: text('title') });\n`;
  drizzleKitGenerate(work, head + table('users'), './drizzle', 'timestamp', 'init');
  drizzleKitGenerate(work, head + table('users') + table('posts'), './drizzle', 'timestamp', 'posts');
  drizzleDir = join(work, 'drizzle');
}, 120_000);

describe.each(targets)("the handler over a generator's folder as synth ships it, on $name", (target) => {
  it('Prisma: Create applies the folders with their numbers as versions; an Update with a folder added later applies it alone', async () => {
    const dir = tempDir({ 'migration_lock.toml': PRISMA_LOCK_TEXT, '20240101120000_init/migration.sql': prismaCreateTable('User') });
    const url = await freshDatabase(target, 'layout_prisma');
    const {
      responses: [created, updated],
      lines,
    } = await deploy(target, url, [
      { type: 'Create', synth: () => synthLayouts([{ migrationsDir: dir }])[0]! },
      {
        type: 'Update',
        synth: () => {
          mkdirSync(join(dir, '20240215093000_posts'));
          writeFileSync(join(dir, '20240215093000_posts', 'migration.sql'), prismaCreateTable('Post'));
          return synthLayouts([{ migrationsDir: dir }])[0]!;
        },
      },
    ]);
    expect(created!.Status, created!.Reason).toBe('SUCCESS');
    expect(created!.Data).toMatchObject({ [ATTR.outcome]: OUTCOME.applied, [ATTR.appliedVersions]: '20240101120000', [ATTR.currentVersion]: '20240101120000' });
    expect(updated!.Status, updated!.Reason).toBe('SUCCESS');
    expect(updated!.Data).toMatchObject({
      [ATTR.outcome]: OUTCOME.applied,
      [ATTR.appliedVersions]: '20240215093000',
      [ATTR.appliedThisRun]: '1',
      [ATTR.currentVersion]: '20240215093000',
    });
    expect(await applied(url)).toEqual([
      { version: '20240101120000', name: 'init' },
      { version: '20240215093000', name: 'posts' },
    ]);
    expect(await rows(url, `SELECT to_regclass('public."Post"') IS NOT NULL AS made`)).toEqual([{ made: true }]);
    // The bundled files are the ones the template was made from.
    expect(lines.filter((l) => l.includes('the bundled files differ'))).toEqual([]);
  }, 120_000);

  it("drizzle: Create applies the journal's files in its order, versions its idx", async () => {
    const url = await freshDatabase(target, 'layout_drizzle');
    const {
      responses: [created],
      lines,
    } = await deploy(target, url, [{ type: 'Create', synth: () => synthLayouts([{ migrationsDir: drizzleDir }])[0]! }]);
    expect(created!.Status, created!.Reason).toBe('SUCCESS');
    expect(created!.Data).toMatchObject({ [ATTR.outcome]: OUTCOME.applied, [ATTR.appliedVersions]: '0,1', [ATTR.currentVersion]: '1' });
    expect(await applied(url)).toEqual([
      { version: '0', name: 'init' },
      { version: '1', name: 'posts' },
    ]);
    expect(await rows(url, "SELECT to_regclass('public.posts') IS NOT NULL AS made")).toEqual([{ made: true }]);
    expect(lines.filter((l) => l.includes('the bundled files differ'))).toEqual([]);
  }, 120_000);
});
