/** Builds the app's stack from the checked configuration; shared by bin/app.ts and the tests. */
import type { App } from 'aws-cdk-lib';
import type { AppConfig } from './app-config';
import { DatabaseStack } from './database-stack';

export const STACK_NAME = 'SchemaguardDatabase';

export interface BuildOptions {
  /** Override the migrations directory (tests). @default - `migrations/` */
  migrationsDir?: string;
  /** Override the contracts directory (tests). @default - `contracts/` when it exists */
  contractsDir?: string;
  /** @default STACK_NAME */
  stackName?: string;
}

export function buildApp(app: App, config: AppConfig, options: BuildOptions = {}): DatabaseStack {
  const stack = new DatabaseStack(app, options.stackName ?? STACK_NAME, {
    stage: config.stage,
    instanceType: config.instanceType,
    engineVersion: config.engineVersion,
    databaseName: config.databaseName,
    instanceIdentifier: config.instanceIdentifier,
    natGateways: config.natGateways,
    logRetention: config.logRetention,
    migrationsDir: options.migrationsDir,
    contractsDir: options.contractsDir,
    alarmEmail: config.alarmEmail,
    alarmHttpsUrl: config.alarmHttpsUrl,
    description: `schemaguard (${config.stage}): RDS PostgreSQL ${config.engineVersionText} with deploy-time schema migrations`,
  });
  return stack;
}
