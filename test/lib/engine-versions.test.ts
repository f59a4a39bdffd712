/**
 * Every PostgreSQL major the stacks deploy (13 to 18, docs/guide/versions.md):
 * each major's engine with the parameter group family of that major, and
 * both stacks synthesised on the oldest and the newest major; versions outside the range (or, for Aurora,
 * before the RDS Data API) refused with the prop, the value and the fix.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as rds from 'aws-cdk-lib/aws-rds';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuroraDatabaseStack } from '../../lib/aurora-database-stack';
import { databaseParameterGroup } from '../../lib/database-parameters';
import { DatabaseStack } from '../../lib/database-stack';
import {
  auroraVersionConstant,
  auroraVersions,
  DATA_API_FROM,
  engineVersionProblem,
  postgresVersionConstant,
  postgresVersions,
} from '../../lib/engine-versions';
import { supportedMajors } from '../../lambda/engine/server/server-majors';
import { tempDir } from '../support/files';

const MAJORS = supportedMajors();
/** The newest minor aws-cdk-lib has of each major. */
const newest = (versions: string[], major: number) => versions.filter((v) => v.startsWith(`${major}.`)).at(-1)!;
/** Whole stacks are synthesised for the oldest and the newest major (a synthesis takes seconds); every major's engine and parameter group below. */
const EDGES = [MAJORS[0]!, MAJORS.at(-1)!];

let postgres: Map<number, Template>;
let aurora: Map<number, Template>;

beforeAll(() => {
  const migrationsDir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' });
  const app = new App();
  // Every stack made before the first synthesis (the App synthesises once).
  const pgStacks = EDGES.map(
    (m) =>
      new DatabaseStack(app, `Pg${m}`, {
        stage: 'dev',
        migrationsDir,
        guard: false,
        engineVersion: postgresVersionConstant(newest(postgresVersions(), m))!,
      }),
  );
  const auroraStacks = EDGES.map(
    (m) =>
      new AuroraDatabaseStack(app, `Aurora${m}`, {
        stage: 'dev',
        migrationsDir,
        guard: false,
        engineVersion: auroraVersionConstant(newest(auroraVersions(), m))!,
      }),
  );
  postgres = new Map(EDGES.map((m, k) => [m, Template.fromStack(pgStacks[k]!)]));
  aurora = new Map(EDGES.map((m, k) => [m, Template.fromStack(auroraStacks[k]!)]));
});

/** The stacks' parameter group for `engine`, bound as the stack binds it. */
function groupTemplate(engine: rds.IEngine, boundTo: 'instance' | 'cluster'): Template {
  const stack = new Stack(new App(), 'Parameters');
  const group = databaseParameterGroup(stack, engine, 'schemaguard');
  if (boundTo === 'cluster') group.bindToCluster({});
  else group.bindToInstance({});
  return Template.fromStack(stack);
}

describe.each(EDGES)('the stacks on PostgreSQL %i', (major) => {
  it('DatabaseStack: RDS for PostgreSQL of that major, its parameter group of family postgres<major>', () => {
    const t = postgres.get(major)!;
    t.hasResourceProperties('AWS::RDS::DBInstance', { Engine: 'postgres', EngineVersion: newest(postgresVersions(), major) });
    t.hasResourceProperties('AWS::RDS::DBParameterGroup', { Family: `postgres${major}`, Parameters: { 'rds.force_ssl': '1' } });
  });

  it('AuroraDatabaseStack: Aurora PostgreSQL of that major with the Data API, its cluster parameter group of family aurora-postgresql<major>', () => {
    const t = aurora.get(major)!;
    t.hasResourceProperties('AWS::RDS::DBCluster', { Engine: 'aurora-postgresql', EngineVersion: newest(auroraVersions(), major), EnableHttpEndpoint: true });
    t.hasResourceProperties('AWS::RDS::DBClusterParameterGroup', { Family: `aurora-postgresql${major}`, Parameters: { 'rds.force_ssl': '1' } });
  });
});

describe.each(MAJORS)('PostgreSQL %i', (major) => {
  it("RDS: the newest minor's engine gives a parameter group of family postgres<major> with the stacks' parameters", () => {
    const engine = rds.DatabaseInstanceEngine.postgres({ version: postgresVersionConstant(newest(postgresVersions(), major))! });
    groupTemplate(engine, 'instance').hasResourceProperties('AWS::RDS::DBParameterGroup', { Family: `postgres${major}`, Parameters: { 'rds.force_ssl': '1' } });
  });

  it('Aurora: the first minor with the Data API and the newest give a cluster parameter group of family aurora-postgresql<major>', () => {
    for (const v of [DATA_API_FROM[major]!, newest(auroraVersions(), major)]) {
      const engine = rds.DatabaseClusterEngine.auroraPostgres({ version: auroraVersionConstant(v)! });
      groupTemplate(engine, 'cluster').hasResourceProperties('AWS::RDS::DBClusterParameterGroup', {
        Family: `aurora-postgresql${major}`,
        Parameters: { 'rds.force_ssl': '1' },
      });
    }
  });

  it('every minor aws-cdk-lib has of it is offered, for Aurora from the first with the Data API', () => {
    const rdsMinors = Object.keys(rds.PostgresEngineVersion).filter((k) => new RegExp(`^VER_${major}(_\\d+)?$`).test(k));
    expect(postgresVersions().filter((v) => v === String(major) || v.startsWith(`${major}.`))).toHaveLength(rdsMinors.length);
    const from = Number(DATA_API_FROM[major]!.split('.')[1]);
    const auroraMinors = Object.keys(rds.AuroraPostgresEngineVersion).filter(
      (k) => new RegExp(`^VER_${major}_(\\d+)$`).test(k) && Number(k.split('_')[2]) >= from,
    );
    expect(auroraVersions().filter((v) => v.startsWith(`${major}.`))).toHaveLength(auroraMinors.length);
  });
});

describe('versions outside the range', () => {
  const migrationsDir = () => tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' });

  it('DatabaseStack refuses PostgreSQL 12, naming the prop, the value and the range', () => {
    expect(
      () => new DatabaseStack(new App(), 'Pg12', { stage: 'dev', migrationsDir: migrationsDir(), engineVersion: rds.PostgresEngineVersion.VER_12_22 }),
    ).toThrow(
      'DatabaseStack: "engineVersion" is 12.22; schemaguard supports PostgreSQL 13 to 18: use one of rds.PostgresEngineVersion.VER_13 to VER_18 (or their minors)',
    );
  });

  it('AuroraDatabaseStack refuses a minor without the Data API (13.10), and Aurora PostgreSQL 12', () => {
    expect(
      () => new AuroraDatabaseStack(new App(), 'A', { stage: 'dev', migrationsDir: migrationsDir(), engineVersion: rds.AuroraPostgresEngineVersion.VER_13_10 }),
    ).toThrow(
      /^AuroraDatabaseStack: "engineVersion" is 13\.10; the RDS Data API, which the Aurora stack migrates through, needs Aurora PostgreSQL 13\.11 or later in 13: use rds\.AuroraPostgresEngineVersion\.VER_\d+_\d+ or another of 13\.11, 14\.8, 15\.3, 16\.1, 17\.4, 18\.3 or later in its major$/,
    );
    expect(
      () => new AuroraDatabaseStack(new App(), 'B', { stage: 'dev', migrationsDir: migrationsDir(), engineVersion: rds.AuroraPostgresEngineVersion.VER_12_22 }),
    ).toThrow('AuroraDatabaseStack: "engineVersion" is 12.22; schemaguard supports PostgreSQL 13 to 18');
  });

  it('a version written by hand (rds.PostgresEngineVersion.of) is judged by its number', () => {
    expect(engineVersionProblem('postgres', '19.0')).toBe('schemaguard supports PostgreSQL 13 to 18');
    expect(engineVersionProblem('postgres', '16.99')).toBeUndefined();
    expect(engineVersionProblem('aurora', '16.0')).toBe(
      'the RDS Data API, which the Aurora stack migrates through, needs Aurora PostgreSQL 16.1 or later in 16',
    );
  });
});
