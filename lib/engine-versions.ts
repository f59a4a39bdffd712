/**
 * The engine versions the ready-made stacks deploy: every version aws-cdk-lib
 * knows whose major is one schemaguard supports (SUPPORTED_MAJORS, 13 to 18),
 * for RDS for PostgreSQL and for Aurora PostgreSQL. The Aurora stack enables
 * the RDS Data API (its migrations go through it), which each major has only
 * from a minor on: "Supported Regions and Aurora DB engines for RDS Data API",
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.Aurora_Fea_Regions_DB-eng.Feature.Data_API.html
 * (Aurora PostgreSQL Serverless v2 and provisioned). The parameter group's
 * family (`postgres13` … `postgres18`, `aurora-postgresql13` …) is the
 * engine's own (rds.ParameterGroup reads it from the engine version).
 */
import * as rds from 'aws-cdk-lib/aws-rds';
import { SUPPORTED_MAJORS } from '../lambda/engine/server/server-majors';

/**
 * The first Aurora PostgreSQL minor of each major with the RDS Data API
 * (the page cited above; the same in every Region that has it).
 */
export const DATA_API_FROM: Readonly<Record<number, string>> = { 13: '13.11', 14: '14.8', 15: '15.3', 16: '16.1', 17: '17.4', 18: '18.3' };

/** `13.11` -> [13, 11]; `17` -> [17, -1] (a major alone: the newest minor RDS has, chosen at deploy time). */
function parts(version: string): [number, number] {
  const [major, minor] = version.split('.');
  return [Number(major), minor === undefined ? -1 : Number(minor)];
}

function byVersion(a: string, b: string): number {
  const [am, an] = parts(a);
  const [bm, bn] = parts(b);
  return am - bm || an - bn;
}

/** Why `version` (`major` or `major.minor`) of `engine` is not deployed by the stacks, or undefined when it is. */
export function engineVersionProblem(engine: 'postgres' | 'aurora', version: string): string | undefined {
  const [major, minor] = parts(version);
  if (!/^\d+(\.\d+)?$/.test(version) || major < SUPPORTED_MAJORS.oldest || major > SUPPORTED_MAJORS.newest) {
    return `schemaguard supports PostgreSQL ${SUPPORTED_MAJORS.oldest} to ${SUPPORTED_MAJORS.newest}`;
  }
  if (engine === 'aurora') {
    const from = DATA_API_FROM[major];
    if (!from) return `Aurora PostgreSQL ${major} has no RDS Data API, which the Aurora stack migrates through`;
    if (minor >= 0 && minor < parts(from)[1])
      return `the RDS Data API, which the Aurora stack migrates through, needs Aurora PostgreSQL ${from} or later in ${major}`;
  }
  return undefined;
}

/** The RDS for PostgreSQL versions aws-cdk-lib knows that the stacks deploy (`13`, `13.1`, … `18.3`), oldest first. */
export function postgresVersions(): string[] {
  return Object.keys(rds.PostgresEngineVersion)
    .map((k) => /^VER_(\d+)(?:_(\d+))?$/.exec(k))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => (m[2] ? `${m[1]}.${m[2]}` : m[1]))
    .filter((v) => engineVersionProblem('postgres', v) === undefined)
    .sort(byVersion);
}

/** The Aurora PostgreSQL versions aws-cdk-lib knows that the Aurora stack deploys (the Data API's), oldest first; Limitless Database's are not among them. */
export function auroraVersions(): string[] {
  return Object.keys(rds.AuroraPostgresEngineVersion)
    .map((k) => /^VER_(\d+)_(\d+)$/.exec(k))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]}.${m[2]}`)
    .filter((v) => engineVersionProblem('aurora', v) === undefined)
    .sort(byVersion);
}

/** The aws-cdk-lib constant of an RDS for PostgreSQL version the stacks deploy, or undefined. */
export function postgresVersionConstant(version: string): rds.PostgresEngineVersion | undefined {
  if (!postgresVersions().includes(version)) return undefined;
  return (rds.PostgresEngineVersion as unknown as Record<string, rds.PostgresEngineVersion>)[`VER_${version.replace('.', '_')}`];
}

/** The aws-cdk-lib constant of an Aurora PostgreSQL version the Aurora stack deploys, or undefined. */
export function auroraVersionConstant(version: string): rds.AuroraPostgresEngineVersion | undefined {
  if (!auroraVersions().includes(version)) return undefined;
  return (rds.AuroraPostgresEngineVersion as unknown as Record<string, rds.AuroraPostgresEngineVersion>)[`VER_${version.replace('.', '_')}`];
}
