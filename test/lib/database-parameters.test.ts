/** The parameters both database stacks set, and the parameter group that carries them for an instance or a cluster engine. */
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as rds from 'aws-cdk-lib/aws-rds';
import { describe, expect, it } from 'vitest';
import { RDS_LOG_LINE_PREFIX } from '../../lib/alarms/error-catalog';
import { auroraVersions, postgresVersions } from '../../lib/engine-versions';
import { DATABASE_PARAMETERS, databaseParameterGroup, PG_STAT_STATEMENTS_PRELOADED_FROM } from '../../lib/database-parameters';

function groupTemplate(engine: rds.IEngine, boundTo: 'instance' | 'cluster'): Template {
  const stack = new Stack(new App(), 'Parameters');
  const group = databaseParameterGroup(stack, engine, 'schemaguard test: TLS forced');
  // A parameter group is synthesised once the database binds it.
  if (boundTo === 'cluster') group.bindToCluster({});
  else group.bindToInstance({});
  return Template.fromStack(stack);
}

describe('Constant: DATABASE_PARAMETERS', () => {
  it('forces TLS and logs failing statements and lock waits; the log line prefix is left to RDS', () => {
    expect(DATABASE_PARAMETERS).toEqual({ 'rds.force_ssl': '1', log_min_error_statement: 'error', log_lock_waits: '1' });
    expect(DATABASE_PARAMETERS).not.toHaveProperty('log_line_prefix');
    expect(RDS_LOG_LINE_PREFIX).toBe('%t:%r:%u@%d:[%p]:');
  });
});

describe('pg_stat_statements (what `schemaguard capture` reads)', () => {
  it("is left to the engines' defaults, which preload it: no shared_preload_libraries that would replace their list", () => {
    expect(DATABASE_PARAMETERS).not.toHaveProperty('shared_preload_libraries');
    for (const [engine, boundTo] of [
      [rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_18_3 }), 'instance'],
      [rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_17_6 }), 'cluster'],
    ] as const) {
      const t = groupTemplate(engine, boundTo);
      const groups = { ...t.findResources('AWS::RDS::DBParameterGroup'), ...t.findResources('AWS::RDS::DBClusterParameterGroup') };
      for (const g of Object.values(groups)) expect(g.Properties.Parameters).not.toHaveProperty('shared_preload_libraries');
    }
  });

  it('every engine version the stacks can deploy is one whose default loads it (RDS 11+, Aurora PostgreSQL 10+)', () => {
    const majors = postgresVersions().map((v) => Number(v.split('.')[0]));
    expect(Math.min(...majors)).toBeGreaterThanOrEqual(PG_STAT_STATEMENTS_PRELOADED_FROM.postgres);
    const auroraMajors = auroraVersions().map((v) => Number(v.split('.')[0]));
    expect(Math.min(...auroraMajors)).toBeGreaterThanOrEqual(PG_STAT_STATEMENTS_PRELOADED_FROM['aurora-postgresql']);
  });
});

describe('Function: databaseParameterGroup', () => {
  it('an instance engine gets a DB parameter group `Parameters` with the parameters and the description', () => {
    const t = groupTemplate(rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_18_3 }), 'instance');
    t.resourceCountIs('AWS::RDS::DBParameterGroup', 1);
    t.resourceCountIs('AWS::RDS::DBClusterParameterGroup', 0);
    t.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Family: 'postgres18',
      Description: 'schemaguard test: TLS forced',
      Parameters: { ...DATABASE_PARAMETERS, log_line_prefix: Match.absent() },
    });
    expect(Object.keys(t.findResources('AWS::RDS::DBParameterGroup'))).toEqual(['Parameters6795E5B4']);
  });

  it('a cluster engine gets a cluster parameter group with the same parameters', () => {
    const t = groupTemplate(rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_17_6 }), 'cluster');
    t.resourceCountIs('AWS::RDS::DBClusterParameterGroup', 1);
    t.hasResourceProperties('AWS::RDS::DBClusterParameterGroup', { Family: 'aurora-postgresql17', Parameters: DATABASE_PARAMETERS });
  });

  it('copies the parameters: the shared constant is never changed through a group', () => {
    const stack = new Stack(new App(), 'Copy');
    const group = databaseParameterGroup(stack, rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_18_3 }), 'x');
    group.addParameter('work_mem', '64MB');
    expect(DATABASE_PARAMETERS).not.toHaveProperty('work_mem');
  });
});

describe('Function: databaseParameterGroup, session_replication_role', () => {
  const instance = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_18_3 });
  const cluster = rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_17_6 });

  /** The group as the stacks expose it (`parameterGroup`), bound to its database, then given `value` by the application. */
  function warnings(engine: rds.IEngine, boundTo: 'instance' | 'cluster', value: string | undefined) {
    const stack = new Stack(new App(), 'Replica');
    const group = databaseParameterGroup(stack, engine, 'schemaguard test');
    if (boundTo === 'cluster') group.bindToCluster({});
    else group.bindToInstance({});
    if (value !== undefined) group.addParameter('session_replication_role', value);
    return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('session_replication_role'));
  }

  it('warns at synth when the application sets it to replica in the group, added after the database bound it (instance and cluster group)', () => {
    for (const [engine, boundTo] of [
      [instance, 'instance'],
      [cluster, 'cluster'],
    ] as const) {
      const found = warnings(engine, boundTo, 'replica');
      expect(found).toHaveLength(1);
      expect(found[0]!.id).toBe('/Replica/Parameters');
      expect(found[0]!.entry.data).toMatch(
        /^the parameter group Replica\/Parameters sets session_replication_role = replica: every session of the database then skips foreign-key checks and triggers .*SET session_replication_role = replica, then RESET session_replication_role\) \[ack: schemaguard:sessionReplicationRoleReplica\]$/,
      );
    }
    expect(warnings(instance, 'instance', ' REPLICA ')).toHaveLength(1);
  });

  it('says nothing for origin, local, or without the parameter', () => {
    for (const value of ['origin', 'local', undefined]) expect(warnings(instance, 'instance', value)).toEqual([]);
  });
});
