/**
 * The custom-resource handler against a real PostgreSQL for the backfill
 * tests: its secret is the URL's, its migrations a folder, its backfill
 * settings and Step Functions client given; `deploy` sends one request
 * through the real Provider framework (provider-framework.ts).
 */
import type { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { ENV, PROP } from '../../lambda/handler/constants';
import { summariseFiles } from '../../lambda/handler/files-hash';
import { createHandlers, type HandlerDependencies, type Handlers } from '../../lambda/handler/handler';
import { ProviderHarness, type CfnResponse } from './provider-framework';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:schemaguard-backfill-AbCdEf';

export interface BackfillHandlerOptions {
  /** The `backfill` settings (SCHEMAGUARD_BACKFILL). */
  backfill: Record<string, unknown>;
  /** More of the function's environment. */
  env?: Record<string, string>;
  /** Every line the handler writes (its log and metric lines). */
  lines?: string[];
  backfillStarter?: HandlerDependencies['backfillStarter'];
}

/** The handlers of a function whose database is `url` and whose migrations are `dir`. */
export function backfillHandlers(url: string, dir: string, o: BackfillHandlerOptions): Handlers {
  const u = new URL(url);
  const secrets = {
    send: async (_c: GetSecretValueCommand) => ({
      SecretString: JSON.stringify({
        username: u.username,
        password: decodeURIComponent(u.password),
        host: u.hostname,
        port: Number(u.port),
        dbname: u.pathname.slice(1),
      }),
    }),
  };
  return createHandlers({
    secrets,
    write: (line) => o.lines?.push(line),
    ...(o.backfillStarter ? { backfillStarter: o.backfillStarter } : {}),
    env: {
      AWS_LAMBDA_FUNCTION_NAME: 'schemaguard-test-onEvent',
      [ENV.secretArn]: SECRET_ARN,
      [ENV.migrationsDir]: dir,
      [ENV.contractsDir]: `${dir}/none`,
      [ENV.tls]: 'disable',
      [ENV.reserveMs]: '1000',
      [ENV.connectAttempts]: '2',
      [ENV.backfill]: JSON.stringify(o.backfill),
      ...o.env,
    },
  });
}

/** One deploy of `dir` by `handlers` behind the framework; `properties` added to the resource's. */
export async function deploy(
  handlers: Handlers,
  dir: string,
  type: 'Create' | 'Update',
  properties: Record<string, string> = {},
  maxIsCompleteAttempts?: number,
): Promise<CfnResponse> {
  const harness = new ProviderHarness({
    onEvent: handlers.onEvent as never,
    isComplete: handlers.isComplete as never,
    ...(maxIsCompleteAttempts ? { maxIsCompleteAttempts } : {}),
  });
  await harness.start();
  try {
    const s = summariseFiles(dir);
    const props = {
      [PROP.filesHash]: s.hash,
      [PROP.latestVersion]: String(s.latestVersion),
      [PROP.migrationCount]: String(s.migrationCount),
      ...properties,
    };
    return await harness.send({ RequestType: type, ResourceProperties: props, ...(type === 'Update' ? { OldResourceProperties: props } : {}) });
  } finally {
    await harness.stop();
  }
}
