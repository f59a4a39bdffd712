/**
 * What a database stack (RDS or Aurora) derives from its stage: `prod` keeps
 * the database (deletion protection, a final snapshot, 14 days of backups) and
 * its logs; `dev` is disposable and leaves nothing behind. And the checks
 * both stacks make of the literal identifier that names the database's log
 * group: it is an RDS identifier, and it names the database created in it.
 */
import { createHash } from 'node:crypto';
import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
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
  /** The alarm topics' KMS key: scheduled for deletion with a dev stack (DESTROY), kept with prod (RETAIN). */
  readonly keyRemovalPolicy: RemovalPolicy;
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
    keyRemovalPolicy: prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    deletionProtection: prod,
    backupRetention: prod ? Duration.days(14) : Duration.days(1),
  };
}

/** Refuses an identifier that is not literal and lowercase: the log group name is built from it at synth time. */
export function checkIdentifier(owner: string, prop: string, id: string): void {
  if (!isRdsIdentifier(id)) {
    throw new Error(
      `${owner}: "${prop}" ${JSON.stringify(id)} is not a literal RDS identifier; use 1 to 63 lowercase letters, digits or single hyphens, starting with a letter (RDS lowercases it, and the log group name must match)`,
    );
  }
}

/** The longest name part an identifier gets: `schemaguard-prod-` and this stay under RDS's 63 characters. */
const NAME_PART_MAX = 40;

/**
 * The database name as a part of an RDS identifier: lowercase letters,
 * digits and single hyphens (`Orders_EU` → `orders-eu`); a name that does
 * not fold to a short one keeps its first letters and ends with 6 hex digits
 * of its sha-256, so two names never share a part.
 */
export function databaseNamePart(databaseName: string): string {
  const folded = databaseName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (folded.length > 0 && folded.length <= NAME_PART_MAX && /^[a-z]/.test(folded)) return folded;
  const hash = createHash('sha256').update(databaseName).digest('hex').slice(0, 6);
  const head = `db-${folded}`.slice(0, NAME_PART_MAX - hash.length - 1).replace(/-+$/, '');
  return `${head}-${hash}`;
}

/**
 * The stack's identifier: `schemaguard-<stage>-<database name part>` by
 * default, or the one given, which must name the database (its name part
 * between hyphens, or the whole). A database name is a setting that replaces
 * the instance or cluster (RDS creates the database only with a new one), and
 * CloudFormation cannot replace a resource whose custom name stays the same:
 * with the name in the identifier, a new name is a new identifier (and log
 * group), and the replacement, a new, empty database migrated in that deploy,
 * can happen; an identifier of one's own that does not follow the name is
 * refused here rather than by CloudFormation in the middle of the deploy.
 */
export function databaseIdentifier(owner: string, prop: string, stage: Stage, databaseName: string, given?: string): string {
  if (Token.isUnresolved(databaseName)) {
    throw new Error(
      `${owner}: "databaseName" is a value known only at deploy time; the identifier (and the log group) are named after it at synth: pass the literal name`,
    );
  }
  const part = databaseNamePart(databaseName);
  if (given === undefined) return `schemaguard-${stage}-${part}`;
  checkIdentifier(owner, prop, given);
  if (`-${given}-`.includes(`-${part}-`)) return given;
  throw new Error(
    `${owner}: "${prop}" ${JSON.stringify(given)} does not name the database ${JSON.stringify(databaseName)} ("${part}" between hyphens, e.g. "${given.slice(0, 62 - part.length)}-${part}"): ` +
      `"databaseName" replaces the database when it changes (RDS creates it only with a new instance or cluster, which starts empty), and CloudFormation cannot replace one whose "${prop}" stays the same. ` +
      `Put the name in the identifier, and change both together when you mean to move to a new, empty database (the migrations run on it in that deploy); or leave "${prop}" unset (schemaguard-<stage>-<databaseName>)`,
  );
}
