/** SchemaMigrations' replication props: what reaches the handler's environment, and a wait it refuses at synth. */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../lambda/handler/constants';
import { SchemaMigrations, type DirectConnectionProps, type SchemaMigrationsBaseProps } from '../../lib/schema-migrations';
import { tempDir } from '../support/files';

/** Props over a connection, as these tests build them. */
type DirectProps = SchemaMigrationsBaseProps & DirectConnectionProps;

const migrationsDir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' });

function synth(props: Partial<DirectProps>): Template {
  const stack = new Stack(new App(), 'Replication');
  const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const db = new rds.DatabaseInstance(stack, 'Db', {
    engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }), vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }, credentials: rds.Credentials.fromGeneratedSecret('postgres'),
  });
  new SchemaMigrations(stack, 'Migrations', { secret: db.secret!, database: db, vpc, migrationsDir, contractsDir: tempDir({}, 'contracts'), parseAtSynth: false, ...props });
  return Template.fromStack(stack);
}

describe('Class: SchemaMigrations', () => {
  describe('Props: replicationPlanned and standbys', () => {
    it('sets the handler\'s replication and standby variables from the props', () => {
      const t = synth({ replicationPlanned: 'blue/green switchover done', standbys: { wait: Duration.seconds(90), strict: true } });
      t.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ [ENV.replicationPlanned]: 'blue/green switchover done', [ENV.standbyWaitMs]: '90000', [ENV.standbyStrict]: 'true' }) },
      });
    });

    it('sets none of them by default (the handler waits 60 s and warns)', () => {
      const vars = Object.values(synth({}).findResources('AWS::Lambda::Function')).map((f) => Object.keys(f.Properties.Environment?.Variables ?? {})).flat();
      expect(vars).not.toContain(ENV.replicationPlanned);
      expect(vars).not.toContain(ENV.standbyWaitMs);
      expect(vars).not.toContain(ENV.standbyStrict);
    });

    it('throws when standbys.wait is longer than one invocation may take, naming the prop', () => {
      expect(() => synth({ standbys: { wait: Duration.minutes(20) } })).toThrow(/^SchemaMigrations: "standbys.wait" is 1200 s; use a Duration from 0 to 15 minutes/);
    });
  });
});
