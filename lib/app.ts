/**
 * Builds this repository's app stack from the checked configuration; shared by
 * bin/app.ts and the tests. Not part of the package's API (lib/index.ts): an
 * app that installs schemaguard builds its own stacks from the constructs.
 */
import { join } from 'node:path';
import type { App, Duration } from 'aws-cdk-lib';
import type { AppConfig } from './app-config';
import { AuroraDatabaseStack } from './aurora-database-stack';
import { DatabaseStack } from './database-stack';
import { CONFIG_FILE_NAME, readProjectConfig } from './config/load';
import { PACKAGE_ROOT } from './paths';
import type { UserFileProps } from './user-files';

export const STACK_NAME = 'SchemaguardDatabase';

/** This repository's project file: its layout, as a user's schemaguard.config.json says theirs. */
const REPO_CONFIG = readProjectConfig(join(PACKAGE_ROOT, CONFIG_FILE_NAME), PACKAGE_ROOT).settings;

/**
 * This repository's own migrations, contracts and snapshot, which bin/app.ts
 * deploys: from its project file. Passed explicitly, so a synth from another
 * working directory (a test's) deploys these, never the files found there.
 */
export const REPO_FILES = {
  migrationsDir: repoSetting('migrations'),
  contractsDir: repoSetting('contracts'),
  snapshotFile: repoSetting('snapshot'),
} as const satisfies UserFileProps;

/** A path this repository's project file must set (the app deploys exactly those files). */
function repoSetting(key: 'migrations' | 'contracts' | 'snapshot'): string {
  const value = REPO_CONFIG[key];
  if (value === undefined) throw new Error(`${join(PACKAGE_ROOT, CONFIG_FILE_NAME)} sets no "${key}"; set it: bin/app.ts deploys this repository's own files`);
  return value;
}

/** The files to deploy (see UserFileProps: unset ones follow the constructs' defaults) and the stack name. */
export interface BuildOptions extends UserFileProps {
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
    snapshotFile: options.snapshotFile,
    alarmEmail: config.alarmEmail,
    alarmHttpsUrl: config.alarmHttpsUrl,
    alarmTicketEmail: config.alarmTicketEmail,
    alarmTicketHttpsUrl: config.alarmTicketHttpsUrl,
    ...guardOf(config),
    migrationsRevision: config.migrationsRevision,
    description: `schemaguard (${config.stage}): RDS PostgreSQL ${config.engineVersionText} with deploy-time schema migrations`,
  });
  return stack;
}

/** The `-c schemaguard:engine=aurora` variant: Aurora Serverless v2, migrated through the RDS Data API. */
export function buildAuroraApp(app: App, config: AppConfig, options: BuildOptions = {}): AuroraDatabaseStack {
  return new AuroraDatabaseStack(app, options.stackName ?? STACK_NAME, {
    stage: config.stage,
    databaseName: config.databaseName,
    clusterIdentifier: config.instanceIdentifier,
    ...(config.auroraEngineVersion ? { engineVersion: config.auroraEngineVersion } : {}),
    logRetention: config.logRetention,
    migrationsDir: options.migrationsDir,
    contractsDir: options.contractsDir,
    snapshotFile: options.snapshotFile,
    alarmEmail: config.alarmEmail,
    alarmHttpsUrl: config.alarmHttpsUrl,
    alarmTicketEmail: config.alarmTicketEmail,
    alarmTicketHttpsUrl: config.alarmTicketHttpsUrl,
    ...guardOf(config),
    migrationsRevision: config.migrationsRevision,
    description: `schemaguard (${config.stage}): Aurora PostgreSQL Serverless v2 with deploy-time schema migrations over the RDS Data API`,
  });
}

/** The guard's props from `schemaguard:guardSchedule` and `guardRoleRevision`: on with its schedule, or off. */
function guardOf(config: AppConfig): { guard: boolean; guardSchedule?: Duration; guardRoleRevision?: number } {
  return config.guardSchedule ? { guard: true, guardSchedule: config.guardSchedule, guardRoleRevision: config.guardRoleRevision } : { guard: false };
}
