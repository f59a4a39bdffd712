/**
 * What a database stack (RDS or Aurora) derives from its stage: `prod` keeps
 * the database (deletion protection, a final snapshot, 14 days of backups) and
 * its logs; `dev` is disposable. And the check both stacks make of the literal
 * identifier that names the database's log group.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { STAGES, isRdsIdentifier, type Stage } from './app-config';

export interface StageSettings {
  readonly stage: Stage;
  readonly prod: boolean;
  /** Retention of the PostgreSQL, flow-log and handler log groups. */
  readonly logRetention: logs.RetentionDays;
  /** The log groups outlive a prod stack (RETAIN), not a dev one (DESTROY). */
  readonly logRemovalPolicy: RemovalPolicy;
  /** A prod database leaves a final snapshot (SNAPSHOT); a dev one goes (DESTROY). */
  readonly databaseRemovalPolicy: RemovalPolicy;
  readonly deletionProtection: boolean;
  readonly backupRetention: Duration;
}

/**
 * The settings of `stage`. `owner` (the stack's class) prefixes the error.
 * @param logRetention @default - logs.RetentionDays.ONE_MONTH for dev, ONE_YEAR for prod
 */
export function stageSettings(owner: string, stage: Stage, logRetention?: logs.RetentionDays): StageSettings {
  if (!STAGES.includes(stage)) {
    throw new Error(`${owner}: "stage" is ${JSON.stringify(stage)}; use 'dev' or 'prod'`);
  }
  const prod = stage === 'prod';
  return {
    stage,
    prod,
    logRetention: logRetention ?? (prod ? logs.RetentionDays.ONE_YEAR : logs.RetentionDays.ONE_MONTH),
    logRemovalPolicy: prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    databaseRemovalPolicy: prod ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
    deletionProtection: prod,
    backupRetention: prod ? Duration.days(14) : Duration.days(1),
  };
}

/** Refuses an identifier that is not literal and lowercase: the log group name is built from it at synth time. */
export function checkIdentifier(owner: string, prop: string, id: string): void {
  if (!isRdsIdentifier(id)) {
    throw new Error(`${owner}: "${prop}" ${JSON.stringify(id)} is not a literal RDS identifier; use 1 to 63 lowercase letters, digits or single hyphens, starting with a letter (RDS lowercases it, and the log group name must match)`);
  }
}
