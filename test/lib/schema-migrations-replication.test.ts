/** SchemaMigrations' replication props: what reaches the handler's environment, and a wait it refuses at synth. */
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../lambda/handler/constants';
import { SchemaMigrations, type DirectConnectionProps, type SchemaMigrationsBaseProps } from '../../lib/schema-migrations';
import { inDirectory, tempDir } from '../support/files';

/** Props over a connection, as these tests build them. */
type DirectProps = SchemaMigrationsBaseProps & DirectConnectionProps;

const migrationsDir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n' });

function synth(props: Partial<DirectProps>): Template {
  return Template.fromStack(synthStack(props));
}

function synthStack(props: Partial<DirectProps>): Stack {
  const stack = new Stack(new App(), 'Replication');
  const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const db = new rds.DatabaseInstance(stack, 'Db', {
    engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    credentials: rds.Credentials.fromGeneratedSecret('postgres'),
  });
  new SchemaMigrations(stack, 'Migrations', {
    secret: db.secret!,
    database: db,
    vpc,
    migrationsDir,
    contractsDir: tempDir({}, 'contracts'),
    parseAtSynth: false,
    ...props,
  });
  return stack;
}

describe('Class: SchemaMigrations', () => {
  describe('Props: replicationPlanned and standbys', () => {
    it("sets the handler's replication and standby variables from the props", () => {
      const t = synth({ replicationPlanned: 'blue/green switchover done', standbys: { wait: Duration.seconds(90), strict: true } });
      t.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({ [ENV.replicationPlanned]: 'blue/green switchover done', [ENV.standbyWaitMs]: '90000', [ENV.standbyStrict]: 'true' }),
        },
      });
    });

    it('sets none of them by default (the handler waits 60 s and warns)', () => {
      const vars = Object.values(synth({}).findResources('AWS::Lambda::Function')).flatMap((f) => Object.keys(f.Properties.Environment?.Variables ?? {}));
      expect(vars).not.toContain(ENV.replicationPlanned);
      expect(vars).not.toContain(ENV.standbyWaitMs);
      expect(vars).not.toContain(ENV.standbyStrict);
    });

    it('throws when standbys.wait is longer than one invocation may take, naming the prop', () => {
      expect(() => synth({ standbys: { wait: Duration.minutes(20) } })).toThrow(
        /^SchemaMigrations: "standbys.wait" is 1200 s; use a Duration from 0 to 15 minutes/,
      );
    });

    // Issue 54: the project file's standbyWait and standbyStrict fill standbys; a prop given wins, each on its own.
    it('takes standbyWait and standbyStrict from schemaguard.config.json, says so, and a prop wins', () => {
      const project = tempDir({ 'schemaguard.config.json': JSON.stringify({ standbyWait: '2m', standbyStrict: true }), 'infra/.keep': '' }, 'project');
      const file = join(project, 'schemaguard.config.json');
      const fromFile = inDirectory(join(project, 'infra'), () => synthStack({}));
      Template.fromStack(fromFile).hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ [ENV.standbyWaitMs]: '120000', [ENV.standbyStrict]: 'true' }) },
      });
      expect(
        Annotations.fromStack(fromFile)
          .findInfo('/Replication/Migrations', Match.stringLikeRegexp('^read '))
          .map((i) => i.entry.data),
      ).toEqual([`read ${file} (standbyWait, standbyStrict); a prop given here wins over it`]);
      const given = inDirectory(join(project, 'infra'), () => synthStack({ standbys: { wait: Duration.seconds(0) } }));
      Template.fromStack(given).hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ [ENV.standbyWaitMs]: '0', [ENV.standbyStrict]: 'true' }) },
      });
      expect(
        Annotations.fromStack(given)
          .findInfo('/Replication/Migrations', Match.stringLikeRegexp('^read '))
          .map((i) => i.entry.data),
      ).toEqual([`read ${file} (standbyStrict); a prop given here wins over it`]);
      const notStrict = inDirectory(join(project, 'infra'), () => synth({ standbys: { strict: false } }));
      const vars = Object.values(notStrict.findResources('AWS::Lambda::Function')).flatMap((f) => Object.keys(f.Properties.Environment?.Variables ?? {}));
      expect(vars).not.toContain(ENV.standbyStrict);
    });

    it("throws when the file's standbyWait is longer than one invocation may take, naming the file and the key", () => {
      const project = tempDir({ 'schemaguard.config.json': JSON.stringify({ standbyWait: '20m' }) }, 'project');
      expect(() => inDirectory(project, () => synth({}))).toThrow(
        `SchemaMigrations: "standbyWait" in ${join(project, 'schemaguard.config.json')} is 1200000 ms, over the 900000 ms (15 minutes) the handler takes`,
      );
      expect(() => inDirectory(project, () => synth({ standbys: { wait: Duration.minutes(1) } }))).not.toThrow();
    });
  });
});
