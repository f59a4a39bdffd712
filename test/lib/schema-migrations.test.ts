/**
 * SchemaMigrations on its own: with an Aurora cluster (generated secret, no
 * VPC endpoint) and with an imported instance whose secret has a customer
 * managed key, built from an app folder of its own (no migrationsDir: the
 * folder's ./migrations and ./contracts). One stack, synthesised once for the file.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { App, CfnParameter, Duration, SecretValue, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV, GUARD_HANDLER_NAME, IS_COMPLETE_HANDLER_NAME, ON_EVENT_HANDLER_NAME, PROP } from '../../lambda/handler/constants';
import { migrationTemplate } from '../../lambda/engine/files/template';
import { summariseFiles } from '../../lambda/handler/files-hash';
import { HANDLER_BUNDLE_DIR, PACKAGE_ROOT as REPO_ROOT } from '../../lib/paths';
import { SchemaMigrations, type DirectConnectionProps, type SchemaMigrationsBaseProps } from '../../lib/schema-migrations';
import { DatabaseAlarms } from '../../lib/alarms/database-alarms';
import { ERROR_CATALOG } from '../../lib/alarms/error-catalog';
import { postgresLogGroupName } from '../../lib/postgres-log-group';
import { HANDLER_TARGET } from '../../scripts/build-handler.mjs';
import { inDirectory, tempDir } from '../support/files';

/** Props over a connection, as these tests build them. */
type DirectProps = SchemaMigrationsBaseProps & DirectConnectionProps;

const migrationsDir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\n', '2_b.sql': 'CREATE TABLE b (id int);\n', 'README.md': 'notes\n' });
const contractsDir = tempDir({ 'orders.sql': 'SELECT 1;\n' }, 'contracts');
/** An app's folder with its own migrations/ and contracts/ (and no snapshot). */
const appDir = tempDir({ 'migrations/1_legacy.sql': 'CREATE TABLE legacy (id int);\n', 'contracts/legacy.sql': 'SELECT id FROM legacy;\n' }, 'app');

let stack: Stack;
let t: Template;
let json: string;
let assemblyDir: string;
let cluster: rds.DatabaseCluster;
let onCluster: SchemaMigrations;
let onImported: SchemaMigrations;

beforeAll(() => {
  // Asset metadata (as the CLI asks for it) to find the bundle in the assembly.
  const app = new App({ context: { 'aws:cdk:enable-asset-metadata': true } });
  stack = new Stack(app, 'Standalone');
  const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  cluster = new rds.DatabaseCluster(stack, 'Cluster', {
    engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_17_9 }),
    writer: rds.ClusterInstance.serverlessV2('writer'),
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    credentials: rds.Credentials.fromGeneratedSecret('postgres'),
  });
  onCluster = new SchemaMigrations(stack, 'ClusterMigrations', {
    secret: cluster.secret!,
    database: cluster,
    vpc,
    migrationsDir,
    contractsDir,
    databaseName: 'orders',
  });

  const key = new kms.Key(stack, 'SecretKey', { enableKeyRotation: true });
  const secret = new secretsmanager.Secret(stack, 'ImportedSecret', { encryptionKey: key });
  const sg = new ec2.SecurityGroup(stack, 'ImportedDbSg', { vpc });
  const imported = rds.DatabaseInstance.fromDatabaseInstanceAttributes(stack, 'Imported', {
    instanceIdentifier: 'legacy',
    instanceEndpointAddress: 'legacy.example.internal',
    port: 6432,
    securityGroups: [sg],
  });
  onImported = inDirectory(
    appDir,
    () =>
      new SchemaMigrations(stack, 'ImportedMigrations', {
        secret,
        database: imported,
        vpc,
        handlerTimeout: Duration.minutes(10),
        totalTimeout: Duration.minutes(30),
        queryInterval: Duration.seconds(30),
        serviceTimeout: Duration.minutes(40),
        outputs: false,
      }),
  );

  t = Template.fromStack(stack);
  json = JSON.stringify(t.toJSON());
  assemblyDir = app.synth().directory;
});

const cid = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);

describe('Class: SchemaMigrations', () => {
  describe('the handler functions', () => {
    it('are Node.js 22 on arm64, in the VPC, with the shared handler names, a log group with retention', () => {
      for (const [fn, handler] of [
        [onCluster.onEventHandler, ON_EVENT_HANDLER_NAME],
        [onCluster.isCompleteHandler, IS_COMPLETE_HANDLER_NAME],
      ] as const) {
        t.hasResourceProperties('AWS::Lambda::Function', {
          Handler: `index.${handler}`,
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          Timeout: 300,
          MemorySize: 256,
          VpcConfig: { SecurityGroupIds: [{ 'Fn::GetAtt': [cid(onCluster.securityGroup!), 'GroupId'] }], SubnetIds: Match.anyValue() },
          LoggingConfig: { LogGroup: { Ref: cid(onCluster.logGroup) } },
        });
        // The runtime the pre-built bundle targets (scripts/build-handler.mjs).
        expect(fn.runtime.name).toBe(`nodejs${HANDLER_TARGET.replace(/^node/, '')}.x`);
      }
      t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
      expect(Object.keys(t.findResources('AWS::Logs::LogGroup', { Properties: { RetentionInDays: Match.absent() } }))).toEqual([]);
    });

    it('get the secret ARN and settings in the environment, never the secret itself', () => {
      t.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.onEvent',
        Environment: {
          Variables: {
            [ENV.secretArn]: { Ref: Match.stringLikeRegexp('^ClusterSecretAttachment') },
            [ENV.migrationsDir]: 'migrations',
            [ENV.contractsDir]: 'contracts',
            [ENV.reserveMs]: '15000',
            // The Provider's totalTimeout (45 min): how long a busy runner lock is tried for.
            [ENV.totalTimeoutMs]: '2700000',
            [ENV.databaseName]: 'orders',
            // The cluster's endpoint: used when the secret has no host (an RDS-managed master secret).
            [ENV.endpointHost]: { 'Fn::GetAtt': [cid(cluster), 'Endpoint.Address'] },
            [ENV.endpointPort]: { 'Fn::GetAtt': [cid(cluster), 'Endpoint.Port'] },
            // V8's heap sized by the function's 256 MB (lambda/handler/memory.ts).
            NODE_OPTIONS: '--max-old-space-size=153 --max-semi-space-size=4',
          },
        },
      });
      t.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.onEvent',
        Environment: { Variables: Match.objectLike({ [ENV.endpointHost]: 'legacy.example.internal', [ENV.endpointPort]: '6432' }) },
      });
      expect(json).not.toMatch(/"SecretString"|resolve:secretsmanager:[^"]*:SecretString:password[^"]*"[^}]*Environment/);
    });

    it('bundle the handler with the engine and ship migrations/ and contracts/ (no aws-cdk-lib inside)', () => {
      const fn = Object.values(
        t.findResources('AWS::Lambda::Function', {
          Properties: { Handler: 'index.onEvent', Environment: { Variables: Match.objectLike({ [ENV.databaseName]: 'orders' }) } },
        }),
      )[0]!;
      const dir = join(assemblyDir, fn.Metadata['aws:asset:path']);
      // The pre-built bundle, byte for byte: nothing is compiled at synth time.
      expect(readFileSync(join(dir, 'index.js')).equals(readFileSync(join(HANDLER_BUNDLE_DIR, 'index.js')))).toBe(true);
      expect(readFileSync(join(dir, 'migrations', '1_a.sql'), 'utf8')).toBe('CREATE TABLE a (id int);\n');
      expect(existsSync(join(dir, 'migrations', '2_b.sql'))).toBe(true);
      expect(readFileSync(join(dir, 'contracts', 'orders.sql'), 'utf8')).toBe('SELECT 1;\n');
      // The contracts' SQL parser reads its WebAssembly module from beside the bundle.
      expect(existsSync(join(dir, 'libpg-query.wasm'))).toBe(true);
      const bundle = readFileSync(join(dir, 'index.js'), 'utf8');
      expect(bundle).not.toContain('aws-cdk-lib');
      // Outside the bundle: Node built-ins, the AWS SDK v3 the Lambda runtime ships, and pg's optional native binding.
      const requires = [...new Set([...bundle.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]!))];
      const outside = requires.filter((r) => !builtinModules.includes(r.replace(/^node:/, '')));
      expect(outside.every((r) => r.startsWith('@aws-sdk/') || r === 'pg-native')).toBe(true);
      // The bundle loads under Node (the SDK resolved as the runtime provides it) and exports the names the construct configures.
      const exported = execFileSync(
        process.execPath,
        ['-e', `const m = require(${JSON.stringify(join(dir, 'index.js'))}); console.log(Object.keys(m).sort().join(','))`],
        {
          encoding: 'utf8',
          env: { ...process.env, NODE_PATH: join(REPO_ROOT, 'node_modules') },
        },
      ).trim();
      expect(exported.split(',')).toEqual(expect.arrayContaining([ON_EVENT_HANDLER_NAME, IS_COMPLETE_HANDLER_NAME, GUARD_HANDLER_NAME]));
      // The hash the handler computes over its bundled files equals the one in the template.
      expect(summariseFiles(join(dir, 'migrations'), join(dir, 'contracts')).hash).toBe(onCluster.files.hash);
    });
  });

  describe('least privilege', () => {
    it('the role may write its own logs, manage its VPC interfaces and read exactly the one secret — no KMS without a CMK', () => {
      const policies = t.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: cid(onCluster.node.findChild('HandlerRole') as never) }] } });
      const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
      expect(statements).toEqual([
        {
          Sid: 'OwnLogs',
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [cid(onCluster.logGroup), 'Arn'] },
        },
        {
          Sid: 'VpcNetworkInterfaces',
          Effect: 'Allow',
          Action: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          Resource: '*',
        },
        {
          Sid: 'ReadTheDatabaseSecret',
          Effect: 'Allow',
          Action: 'secretsmanager:GetSecretValue',
          Resource: { Ref: expect.stringMatching(/^ClusterSecretAttachment/) },
        },
        // Whether a failing Update is a rollback's: this stack's status only.
        { Sid: 'OwnStackStatus', Effect: 'Allow', Action: 'cloudformation:DescribeStacks', Resource: { Ref: 'AWS::StackId' } },
      ]);
      t.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })] }),
        ManagedPolicyArns: Match.absent(),
      });
    });

    it('with a customer managed key: kms:Decrypt on that key, only through Secrets Manager', () => {
      const role = cid(onImported.node.findChild('HandlerRole') as never);
      t.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: role }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Sid: 'DecryptTheDatabaseSecret',
              Effect: 'Allow',
              Action: 'kms:Decrypt',
              Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SecretKey'), 'Arn'] },
              Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } },
            },
          ]),
        },
      });
      // The migration handlers' role and the operator function's, which reads the same secret.
      t.resourcePropertiesCountIs('AWS::IAM::Policy', { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'kms:Decrypt' })]) } }, 2);
    });

    it('opens the database port to the handler only, and nothing else', () => {
      const handlerSg = cid(onCluster.securityGroup!);
      t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterSecurityGroup'), 'GroupId'] },
        SourceSecurityGroupId: { 'Fn::GetAtt': [handlerSg, 'GroupId'] },
        IpProtocol: 'tcp',
        FromPort: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Cluster'), 'Endpoint.Port'] },
        ToPort: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Cluster'), 'Endpoint.Port'] },
      });
      t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ImportedDbSg'), 'GroupId'] },
        SourceSecurityGroupId: { 'Fn::GetAtt': [cid(onImported.securityGroup!), 'GroupId'] },
        IpProtocol: 'tcp',
        FromPort: 6432,
        ToPort: 6432,
      });
      // The handler's own group: no ingress, egress to the database port and HTTPS only.
      const own = t.findResources('AWS::EC2::SecurityGroup', { Properties: { GroupDescription: Match.stringLikeRegexp('^schemaguard migrations handler') } });
      for (const sg of Object.values(own)) {
        expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
        expect(sg.Properties.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' })]);
      }
      t.resourcePropertiesCountIs('AWS::EC2::SecurityGroupIngress', { SourceSecurityGroupId: { 'Fn::GetAtt': [handlerSg, 'GroupId'] } }, 1);
      t.resourcePropertiesCountIs('AWS::EC2::SecurityGroupEgress', { GroupId: { 'Fn::GetAtt': [handlerSg, 'GroupId'] } }, 1);
    });
  });

  describe('the custom resource', () => {
    it('carries the files hash (migrations + contracts), count and newest version, a service timeout, and waits for the database', () => {
      const summary = summariseFiles(migrationsDir, contractsDir);
      expect(summary).toMatchObject({ migrationCount: 2, latestVersion: 2 });
      t.hasResource('Custom::SchemaMigrations', {
        Properties: {
          ServiceToken: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterMigrationsProviderframeworkonEvent'), 'Arn'] },
          ServiceTimeout: '3000',
          [PROP.filesHash]: summary.hash,
          [PROP.latestVersion]: '2',
          [PROP.migrationCount]: '2',
          // The database's identity: a replaced cluster has another, so the deploy that replaces it migrates it.
          [PROP.databaseIdentity]: { 'Fn::GetAtt': [cid(cluster), 'DBClusterResourceId'] },
          [PROP.databaseName]: 'orders',
        },
        DependsOn: Match.arrayWith([cid(cluster)]),
      });
      // Regression (helper): the resource waited for the database but not for the handler's own egress rules (to the database, to Secrets Manager).
      const migrations = Object.values(t.findResources('Custom::SchemaMigrations'));
      const egress = Object.keys(t.findResources('AWS::EC2::SecurityGroupEgress'));
      for (const [k, owner] of [onCluster, onImported].entries()) {
        const mine = egress.filter((id) => id.startsWith(cid(owner.securityGroup!).replace(/[0-9A-F]{8}$/, '')));
        expect(mine.length, owner.node.id).toBeGreaterThan(0);
        expect(migrations[k]!.DependsOn).toEqual(expect.arrayContaining([cid(owner.securityGroup!), ...mine]));
      }
      // Without contracts the hash differs: contracts are part of the trigger.
      expect(summariseFiles(migrationsDir).hash).not.toBe(summary.hash);
      // Without migrationsDir and contractsDir: the app folder's ./migrations and ./contracts.
      const ownFiles = summariseFiles(join(appDir, 'migrations'), join(appDir, 'contracts'));
      expect(onImported.files).toEqual(ownFiles);
      // An imported instance without its resource id: its endpoint is its identity; no databaseName given, none in the properties.
      t.hasResourceProperties('Custom::SchemaMigrations', {
        ServiceTimeout: '2400',
        [PROP.filesHash]: ownFiles.hash,
        [PROP.latestVersion]: '1',
        [PROP.databaseIdentity]: 'legacy.example.internal',
        [PROP.databaseName]: Match.absent(),
        [PROP.revision]: Match.absent(),
      });
    });

    it('"revision" is a property as written, so raising it runs the migrations again; a database of another stack is left out of the properties, with a warning', () => {
      const app = new App();
      const dbStack = new Stack(app, 'Db');
      const vpc = new ec2.Vpc(dbStack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
      const instance = new rds.DatabaseInstance(dbStack, 'Instance', {
        engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
        vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
        credentials: rds.Credentials.fromGeneratedSecret('postgres'),
      });
      const same = new SchemaMigrations(dbStack, 'Migrations', {
        database: instance,
        secret: instance.secret!,
        vpc,
        migrationsDir,
        revision: 3,
        outputs: false,
      });
      const service = new Stack(app, 'Service');
      const other = new SchemaMigrations(service, 'Migrations', {
        database: instance,
        secret: instance.secret!,
        vpc,
        migrationsDir,
        outputs: false,
        stateSchema: 'service_schemaguard',
      });
      expect(dbStack.resolve(same.databaseIdentity)).toEqual({ 'Fn::GetAtt': [dbStack.getLogicalId(instance.node.defaultChild as never), 'DbiResourceId'] });
      Template.fromStack(dbStack).hasResourceProperties('Custom::SchemaMigrations', { [PROP.revision]: '3', [PROP.databaseIdentity]: Match.anyValue() });
      expect(other.databaseIdentity).toBeUndefined();
      Template.fromStack(service).hasResourceProperties('Custom::SchemaMigrations', {
        [PROP.databaseIdentity]: Match.absent(),
        [PROP.revision]: Match.absent(),
      });
      expect(
        Annotations.fromStack(service).findWarning(
          '*',
          Match.stringLikeRegexp(
            "is in another stack \\(Db\\), so its identity is not in the custom resource's properties.*raise it in the deploy after the replacement",
          ),
        ),
      ).toHaveLength(1);
      expect(
        () =>
          new SchemaMigrations(dbStack, 'Bad', {
            database: instance,
            secret: instance.secret!,
            vpc,
            migrationsDir,
            revision: 1.5,
            stateSchema: 'bad_schemaguard',
          }),
      ).toThrow('SchemaMigrations: "revision" is 1.5; use a whole number from 0, and raise it to run the migrations again');
    });

    it('uses the Provider framework with isComplete, polling every queryInterval until totalTimeout, its executions logged', () => {
      t.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: {
            USER_ON_EVENT_FUNCTION_ARN: { 'Fn::GetAtt': [cid(onCluster.onEventHandler), 'Arn'] },
            USER_IS_COMPLETE_FUNCTION_ARN: { 'Fn::GetAtt': [cid(onCluster.isCompleteHandler), 'Arn'] },
            WAITER_STATE_MACHINE_ARN: Match.anyValue(),
          },
        },
      });
      const machines = Object.values(t.findResources('AWS::StepFunctions::StateMachine'));
      expect(machines).toHaveLength(2);
      const definitions = machines.map((m) => JSON.stringify(m.Properties.DefinitionString));
      // 45 min / 10 s and 30 min / 30 s.
      expect(definitions.some((d) => d.includes('\\"IntervalSeconds\\":10') && d.includes('\\"MaxAttempts\\":270'))).toBe(true);
      expect(definitions.some((d) => d.includes('\\"IntervalSeconds\\":30') && d.includes('\\"MaxAttempts\\":60'))).toBe(true);
      t.allResourcesProperties('AWS::StepFunctions::StateMachine', { LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }) });
    });

    it("logs the waiter's executions under /aws/vendedlogs/states/ (no entry in the account's size-limited Logs resource policy), named after the isComplete function", () => {
      const waiterLogs = onCluster.node.findChild('WaiterLogs') as logs.LogGroup;
      t.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: { 'Fn::Join': ['', ['/aws/vendedlogs/states/schemaguard-waiter-', { Ref: cid(onCluster.isCompleteHandler) }]] },
        RetentionInDays: 90,
      });
      t.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        LoggingConfiguration: {
          Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [cid(waiterLogs), 'Arn'] } } }],
          Level: 'ALL',
          IncludeExecutionData: false,
        },
      });
      // Every state machine here logs under the prefix.
      for (const machine of Object.values(t.findResources('AWS::StepFunctions::StateMachine'))) {
        const group = machine.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0] as string;
        expect(JSON.stringify(t.toJSON().Resources[group].Properties.LogGroupName)).toContain('/aws/vendedlogs/states/');
      }
    });

    it('exposes the applied version and count through GetAtt, as outputs and attributes', () => {
      const cr = Object.keys(t.findResources('Custom::SchemaMigrations', { Properties: { [PROP.filesHash]: onCluster.files.hash } }))[0]!;
      t.hasOutput('*', { Value: { 'Fn::GetAtt': [cr, 'CurrentVersion'] } });
      t.hasOutput('*', { Value: { 'Fn::GetAtt': [cr, 'AppliedCount'] } });
      expect(stack.resolve(onCluster.currentVersion)).toEqual({ 'Fn::GetAtt': [cr, 'CurrentVersion'] });
      expect(stack.resolve(onCluster.appliedCount)).toEqual({ 'Fn::GetAtt': [cr, 'AppliedCount'] });
      expect(stack.resolve(onCluster.outcome)).toEqual({ 'Fn::GetAtt': [cr, 'Outcome'] });
      // The applied version and count, and the operator function's name.
      expect(Object.keys(t.toJSON().Outputs)).toHaveLength(3);
    });
  });

  describe('props validation', () => {
    const base = (): { s: Stack; props: DirectProps } => {
      const s = new Stack(new App(), 'V');
      const vpc = new ec2.Vpc(s, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
      const secret = new secretsmanager.Secret(s, 'S');
      const sg = new ec2.SecurityGroup(s, 'Sg', { vpc });
      const database = rds.DatabaseInstance.fromDatabaseInstanceAttributes(s, 'Db', {
        instanceIdentifier: 'x',
        instanceEndpointAddress: 'x',
        port: 5432,
        securityGroups: [sg],
      });
      return { s, props: { secret, database, vpc, migrationsDir } };
    };
    it.each([
      [{ migrationsDir: '/nonexistent/migrations' }, /"migrationsDir" \/nonexistent\/migrations is not a directory; create it/],
      [{ contractsDir: '/nonexistent/contracts' }, /"contractsDir" \/nonexistent\/contracts does not exist; create it or leave contractsDir unset/],
      [{ snapshotFile: '/nonexistent/snapshot.json' }, /"snapshotFile" \/nonexistent\/snapshot.json does not exist/],
      [{ handlerTimeout: Duration.minutes(20) }, /"handlerTimeout" is 1200 s; use 60 s to 900 s/],
      [{ reserve: Duration.minutes(5) }, /"reserve" is 300 s with "handlerTimeout" 300 s; use at least 5 s and leave at least 30 s/],
      [
        { totalTimeout: Duration.hours(2) },
        /"totalTimeout" is 7200 s; use at least "handlerTimeout" \(300 s\) and at most 3540 s \("serviceTimeout" must exceed it by 60 s and CloudFormation allows at most 3600 s\)/,
      ],
      [{ totalTimeout: Duration.hours(1) }, /"totalTimeout" is 3600 s; use at least "handlerTimeout" \(300 s\) and at most 3540 s/],
      [
        { totalTimeout: Duration.minutes(55), serviceTimeout: Duration.minutes(50) },
        /"serviceTimeout" is 3000 s with "totalTimeout" 3300 s; it must exceed totalTimeout by at least 60 s/,
      ],
      [{ serviceTimeout: Duration.minutes(45) }, /"serviceTimeout" is 2700 s with "totalTimeout" 2700 s; it must exceed totalTimeout by at least 60 s/],
      [{ queryInterval: Duration.millis(200) }, /"queryInterval" is 0.2 s; use 1 s up to "totalTimeout"/],
      [{ memorySize: 64 }, /"memorySize" is 64; use an integer from 128 to 10240/],
      [
        { databaseName: '' },
        /^SchemaMigrations: "databaseName" "" is empty: PostgreSQL database names are 1 to 63 bytes without NUL \(a longer name is cut to 63 bytes by the server, and another database would be migrated\); pass the name of the database as it exists, or leave databaseName unset/,
      ],
      [{ databaseName: 'x'.repeat(64) }, /"databaseName" "x{64}" is 64 bytes: PostgreSQL database names are 1 to 63 bytes without NUL/],
      [{ databaseName: 'a\u0000b' }, /"databaseName" "a\\u0000b" is a name with a NUL/],
      // Regression (a JavaScript app, a value from context): the wrong kind failed deep inside ("d.toSeconds is not a function", Buffer's
      // ERR_INVALID_ARG_TYPE) or looked right ("memorySize" is 512; use an integer).
      [
        { memorySize: '512' as never },
        /^SchemaMigrations: "memorySize" is "512" \(a string\); pass a number \(a value from context is a string: Number\(…\) it\)$/,
      ],
      [
        { handlerTimeout: 300 as never },
        /^SchemaMigrations: "handlerTimeout" is 300 \(a number\); pass a Duration from aws-cdk-lib, e.g. Duration.minutes\(5\)$/,
      ],
      [{ totalTimeout: '45m' as never }, /^SchemaMigrations: "totalTimeout" is "45m" \(a string\); pass a Duration/],
      [{ databaseName: 5 as never }, /^SchemaMigrations: "databaseName" is 5 \(a number\); pass a string$/],
      [{ migrationsDir: ['migrations'] as never }, /^SchemaMigrations: "migrationsDir" is an array; pass a string$/],
      [{ failOnDrift: 'yes' as never }, /^SchemaMigrations: "failOnDrift" is "yes" \(a string\); pass true or false/],
      // Regression (a JavaScript app, a value from context): port: 99999 failed with "connection.toRuleJson is not a function", ec2.Port.tcp(99999)
      // reached the template as a security-group rule, and vpcSubnets: 'isolated' was ignored (the function went to the VPC's default subnets).
      [
        { port: 99999 as never },
        /^SchemaMigrations: "port" is 99999 \(a number\); pass an ec2.Port of the database's TCP port \(1 to 65535\), e.g. ec2.Port.tcp\(5432\); 99999 is not a port/,
      ],
      [
        { port: ec2.Port.tcp(99999) },
        /^SchemaMigrations: "port" is ec2.Port 99999 \(tcp 99999\), and 99999 is not a port \(a whole number from 1 to 65535\); pass the database's port, e.g. ec2.Port.tcp\(5432\)$/,
      ],
      [
        { vpcSubnets: 'isolated' as never },
        /^SchemaMigrations: "vpcSubnets" is "isolated" \(a string\); pass an ec2.SubnetSelection \(an object\), e.g. \{ subnetType: ec2.SubnetType.PRIVATE_ISOLATED \}$/,
      ],
      [
        { vpcSubnets: { subnetType: 'isolated' as never } },
        /^SchemaMigrations: "vpcSubnets" has subnetType "isolated" \(a string\), which is no ec2.SubnetType/,
      ],
    ])('refuses %j with a message naming the prop, the value and the fix', (override, message) => {
      const { s, props } = base();
      expect(() => new SchemaMigrations(s, 'M', { ...props, ...override })).toThrow(message);
    });

    // Regression (tester): "my-db" (a name PostgreSQL takes, quoted, and pg connects to as it is) and a CfnParameter were refused as "not a database name the construct takes".
    it('takes any name PostgreSQL takes, and a token, and passes it to the handler as it is', () => {
      const { s, props } = base();
      const parameter = new CfnParameter(s, 'DbName', { type: 'String' });
      new SchemaMigrations(s, 'Hyphen', { ...props, databaseName: 'my-db' });
      new SchemaMigrations(s, 'Token', { ...props, databaseName: parameter.valueAsString });
      new SchemaMigrations(s, 'Odd', { ...props, databaseName: `Ödül "quoted" ${'x'.repeat(40)}` });
      const names = Object.values(Template.fromStack(s).findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.onEvent' } })).map(
        (f) => f.Properties.Environment.Variables[ENV.databaseName],
      );
      expect(names).toEqual(['my-db', { Ref: 'DbName' }, `Ödül "quoted" ${'x'.repeat(40)}`]);
    });

    it('without migrationsDir, stops in a folder that has no ./migrations, naming the resolved path', () => {
      const { s, props } = base();
      const empty = tempDir({}, 'app');
      expect(() => inDirectory(empty, () => new SchemaMigrations(s, 'M', { ...props, migrationsDir: undefined }))).toThrow(
        `SchemaMigrations: no "migrationsDir" was given and the default ./migrations is not a directory: ${join(empty, 'migrations')}`,
      );
    });

    it('refuses at synth a migration larger than its memorySize applies, naming the file, the sizes and the memory that would', () => {
      const { s, props } = base();
      const big = tempDir({ '1_small.sql': 'SELECT 1;\n', '2_big.sql': `-- ${'x'.repeat(2 * 2 ** 20)}\nSELECT 1;\n` });
      expect(() => new SchemaMigrations(s, 'M', { ...props, migrationsDir: big, memorySize: 128 })).toThrow(
        /^SchemaMigrations: migration 2_big\.sql is 2097166 bytes, over the 1048576 bytes a handler with "memorySize" 128 MB applies; raise SchemaMigrations' memorySize from 128 to at least 152 MB \(the default 256 MB applies files up to 16 MiB\), or split the file$/,
      );
      expect(() => new SchemaMigrations(s, 'M2', { ...props, migrationsDir: big, stateSchema: 'm2_schemaguard' })).not.toThrow();
    });

    // Regression (helper): each of these synthesised, and the deploy failed after the database was made (the handler refuses them).
    it.each([
      [{ 'widgets.sql': 'SELECT 1;' }, 'widgets.sql: file name does not match <version>_<name>.sql'],
      [{ '0001_a.sql': 'SELECT 1;', '1_dup.sql': 'SELECT 2;' }, 'duplicate version 1: 0001_a.sql and 1_dup.sql'],
      [{ '1_a.sql': 'BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;' }, '1_a.sql:1:'],
      [{ '1_a.sql': '-- schemaguard:lock-timout=5s\nSELECT 1;' }, '1_a.sql:1:'],
      // Regression (newcomer): an unedited `schemaguard new` file was recorded as a no-op, and the SQL written into it later never ran.
      [{ '0001_add_nickname.sql': migrationTemplate('0001_add_nickname.sql') }, '0001_add_nickname.sql is still the template schemaguard new wrote'],
      // Regression (exploratory tester): a dbmate file's down section ran right after its up section.
      [
        { '1_orders.sql': '-- migrate:up\nCREATE TABLE orders (id int);\n-- migrate:down\nDROP TABLE orders;' },
        '1_orders.sql:3: "-- migrate:down" starts dbmate\'s down section',
      ],
      [{ '000001_init.up.sql': 'SELECT 1;', '000001_init.down.sql': 'SELECT 2;' }, "000001_init.down.sql: golang-migrate's down migration"],
    ])('refuses at synth the migrations %j that the handler would refuse, with its message and fix', (files, message) => {
      const { s, props } = base();
      const dir = tempDir(files);
      let error: Error | undefined;
      try {
        new SchemaMigrations(s, 'M', { ...props, migrationsDir: dir });
      } catch (e) {
        error = e as Error;
      }
      expect(error?.message).toMatch(new RegExp(`^SchemaMigrations: the handler would refuse the migrations in ${dir}: `));
      expect(error?.message).toContain(message);
      expect(error?.message).toContain(`; fix: `);
      expect(error?.message).toContain(`(npx schemaguard lint --dir ${dir} says the same)`);
    });

    // Regression (review): .sql files in subfolders of migrationsDir were bundled and never applied, without a word.
    it('warns once at synth of .sql files in subfolders of migrationsDir, naming them and the fix; none without', () => {
      const { s, props } = base();
      const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);', 'archive/2_b.sql': 'SELECT 1;', 'archive/3_c.sql': 'SELECT 1;' });
      new SchemaMigrations(s, 'M', { ...props, migrationsDir: dir });
      new SchemaMigrations(s, 'Flat', { ...props, migrationsDir, stateSchema: 'flat_schemaguard' });

      const warnings = Annotations.fromStack(s).findWarning(`/${s.stackName}/M`, Match.stringLikeRegexp('in subfolders of'));
      expect(warnings).toHaveLength(1);
      expect(String(warnings[0]!.entry.data)).toBe(
        `2 .sql files in subfolders of "migrationsDir" ${dir} are never applied (nor shipped with the handler): archive/ (2 .sql files); the handler reads only the files directly in ${dir} (subfolders are not searched): move them up as <version>_<name>.sql, or pass the folder that holds them as "migrationsDir" [ack: schemaguard:migrationsInSubfolders]`,
      );
      expect(Annotations.fromStack(s).findWarning(`/${s.stackName}/Flat`, Match.stringLikeRegexp('in subfolders of'))).toEqual([]);
    });

    // Regression (helper): an imported database without its security groups got a handler with no egress to its port, and no word of it.
    it('an imported database without security groups: egress to its port in the VPC, and a warning naming what the user must allow', () => {
      const { s, props } = base();
      const bare = rds.DatabaseInstance.fromDatabaseInstanceAttributes(s, 'Bare', {
        instanceIdentifier: 'b',
        instanceEndpointAddress: 'b.internal',
        port: 5432,
        securityGroups: [],
      });
      const m = new SchemaMigrations(s, 'M', { ...props, database: bare });
      Template.fromStack(s).hasResourceProperties('AWS::EC2::SecurityGroup', {
        GroupDescription: Match.stringLikeRegexp('^schemaguard migrations handler'),
        SecurityGroupEgress: Match.arrayWith([
          Match.objectLike({ FromPort: 5432, ToPort: 5432, CidrIp: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Vpc'), 'CidrBlock'] } }),
        ]),
      });
      const warnings = Annotations.fromStack(s).findWarning(`/${s.stackName}/M`, Match.stringLikeRegexp('the database had no security group'));
      expect(warnings).toHaveLength(1);
      expect(String(warnings[0]!.entry.data)).toContain(
        'had no security group when SchemaMigrations was made (imported without "securityGroups"), so its ingress from the handler is not written: allow the handler\'s group (SchemaMigrations.securityGroup) on 5432 in the database\'s group',
      );
      expect(m.securityGroup).toBeDefined();
      // Review: a VPC imported without its CIDR made synth throw; a Secrets Manager endpoint given as a bare peer made addDependency throw.
      const vpc = ec2.Vpc.fromVpcAttributes(s, 'ImportedVpc', { vpcId: 'vpc-1', availabilityZones: ['eu-west-1a'], isolatedSubnetIds: ['subnet-1'] });
      const other = rds.DatabaseInstance.fromDatabaseInstanceAttributes(s, 'Bare2', {
        instanceIdentifier: 'c',
        instanceEndpointAddress: 'c.internal',
        port: 5432,
        securityGroups: [],
      });
      const endpoint = new ec2.Connections({ peer: ec2.Peer.ipv4('10.0.0.0/16') });
      expect(
        () => new SchemaMigrations(s, 'M2', { ...props, database: other, vpc, secretsManagerEndpoint: endpoint, stateSchema: 'm2_schemaguard' }),
      ).not.toThrow();
      expect(String(Annotations.fromStack(s).findWarning(`/${s.stackName}/M2`, Match.anyValue())[0]!.entry.data)).toContain(
        "the VPC's CIDR is not known either",
      );
    });

    // Regression (tester): ./contracts (another tool's Pact JSON there) and the snapshot were taken by default without a word.
    it('says once, in an info annotation, which default contracts folder and snapshot it picked up; nothing when they are given', () => {
      const { s, props } = base();
      const app = tempDir(
        { 'migrations/1_a.sql': 'SELECT 1;', 'contracts/orders.sql': 'SELECT 1;', 'contracts/pact.json': '{}', 'migrations/schema.snapshot.json': '{}' },
        'app',
      );
      inDirectory(app, () => new SchemaMigrations(s, 'Implicit', { ...props, migrationsDir: undefined }));
      new SchemaMigrations(s, 'Explicit', {
        ...props,
        contractsDir,
        snapshotFile: join(REPO_ROOT, 'lambda/schema/snapshot.json'),
        stateSchema: 'explicit_schemaguard',
      });
      const infos = Annotations.fromStack(s)
        .findInfo('/V/Implicit', Match.anyValue())
        .map((i) => i.entry.data);
      expect(infos).toEqual([
        `not given, so taken from the working directory by default: "contractsDir" ${join(app, 'contracts')} (its 1 .sql file shipped and checked after each deploy; other files there are ignored); ` +
          `"snapshotFile" ${join(app, 'migrations/schema.snapshot.json')} (drift is checked against it after each deploy); pass the prop to choose another`,
      ]);
      expect(Annotations.fromStack(s).findInfo('/V/Explicit', Match.anyValue())).toEqual([]);
    });

    // Issue 54: the construct reads the project file the CLI reads, says so, and a prop wins over it.
    it('takes stateSchema, lockTimeout and the folders from schemaguard.config.json, says which in an info annotation, and a prop wins', () => {
      const project = tempDir(
        {
          'db/migrations/1_a.sql': 'SELECT 1;',
          'schemaguard.config.json': JSON.stringify({
            migrations: 'db/migrations',
            contracts: 'db/contracts',
            stateSchema: 'team_schemaguard',
            lockTimeout: '3s',
          }),
          'infra/.keep': '',
        },
        'project',
      );
      const onEvent = (stack: Stack) =>
        Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function', { Properties: { Handler: `index.${ON_EVENT_HANDLER_NAME}` } }))[0]!
          .Properties.Environment.Variables as Record<string, string>;

      const fromFile = base();
      const m = inDirectory(join(project, 'infra'), () => new SchemaMigrations(fromFile.s, 'FromFile', { ...fromFile.props, migrationsDir: undefined }));
      expect(m.stateSchema).toBe('team_schemaguard');
      expect(onEvent(fromFile.s)).toMatchObject({ [ENV.stateSchema]: 'team_schemaguard', [ENV.lockTimeoutMs]: '3000' });
      expect(m.userFiles.migrationsDir).toBe(join(project, 'db', 'migrations'));
      const file = join(project, 'schemaguard.config.json');
      expect(
        Annotations.fromStack(fromFile.s)
          .findInfo('/V/FromFile', Match.anyValue())
          .map((i) => i.entry.data),
      ).toEqual([
        `read ${file} (migrations, contracts, stateSchema, lockTimeout); a prop given here wins over it`,
        `"contracts" in ${file} is ${join(project, 'db', 'contracts')}, which is not there (yet): no contracts are shipped or checked`,
      ]);

      const given = base();
      const p = inDirectory(
        join(project, 'infra'),
        () => new SchemaMigrations(given.s, 'Given', { ...given.props, stateSchema: 'prop_schemaguard', lockTimeout: Duration.seconds(7) }),
      );
      expect(p.stateSchema).toBe('prop_schemaguard');
      expect(p.userFiles.migrationsDir).toBe(migrationsDir);
      expect(onEvent(given.s)).toMatchObject({ [ENV.stateSchema]: 'prop_schemaguard', [ENV.lockTimeoutMs]: '7000' });
      expect(
        Annotations.fromStack(given.s)
          .findInfo('/V/Given', Match.stringLikeRegexp('^read '))
          .map((i) => i.entry.data),
      ).toEqual([`read ${file} (contracts); a prop given here wins over it`]);
    });

    // Regression (tester): a handler in isolated subnets with no Secrets Manager endpoint synthesised silently, and the deploy hung until the Lambda timeout.
    it("warns when the handler's subnets are isolated and no secretsManagerEndpoint is given; not with an endpoint in the VPC, one passed, or NAT subnets", () => {
      const { s, props } = base();
      new SchemaMigrations(s, 'Isolated', props);
      const warning =
        `the handler runs in isolated subnets of the VPC V/Vpc (no NAT: no route to Secrets Manager) and no "secretsManagerEndpoint" is given, so it cannot read the database secret and the deploy fails after its connect timeout; ` +
        "add an interface endpoint and pass it: secretsManagerEndpoint: vpc.addInterfaceEndpoint('SecretsManager', { service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER }), " +
        'or run the handler in subnets with a NAT route (vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }) [ack: schemaguard:secretsManagerUnreachable]';
      expect(
        Annotations.fromStack(s)
          .findWarning('/V/Isolated', Match.stringLikeRegexp('secretsManagerUnreachable'))
          .map((w) => w.entry.data),
      ).toEqual([warning]);

      const withEndpoint = base();
      new SchemaMigrations(withEndpoint.s, 'Later', withEndpoint.props);
      // Added to the VPC after the construct, not passed: the handler's 443 to anywhere reaches it through its private DNS.
      (withEndpoint.props.vpc as ec2.Vpc).addInterfaceEndpoint('Sm', { service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER });
      const passed = base();
      const endpoint = (passed.props.vpc as ec2.Vpc).addInterfaceEndpoint('Sm', { service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER });
      new SchemaMigrations(passed.s, 'Passed', { ...passed.props, secretsManagerEndpoint: endpoint });
      const nat = new Stack(new App(), 'Nat');
      const natVpc = new ec2.Vpc(nat, 'Vpc', { natGateways: 1 });
      const natDb = rds.DatabaseInstance.fromDatabaseInstanceAttributes(nat, 'Db', {
        instanceIdentifier: 'x',
        instanceEndpointAddress: 'x',
        port: 5432,
        securityGroups: [new ec2.SecurityGroup(nat, 'Sg', { vpc: natVpc })],
      });
      new SchemaMigrations(nat, 'Egress', {
        secret: new secretsmanager.Secret(nat, 'S'),
        database: natDb,
        vpc: natVpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        migrationsDir,
      });
      for (const stack of [withEndpoint.s, passed.s, nat]) {
        expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('secretsManagerUnreachable'))).toEqual([]);
      }
    });

    it('with "secretsManagerEndpoint" alone warns that CloudFormation is out of reach (a failing rollback Update is then not recognised); with "cloudFormationEndpoint" too, 443 to each endpoint and no warning', () => {
      const alone = base();
      const sm = (alone.props.vpc as ec2.Vpc).addInterfaceEndpoint('Sm', { service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER });
      new SchemaMigrations(alone.s, 'Alone', { ...alone.props, secretsManagerEndpoint: sm });
      expect(
        Annotations.fromStack(alone.s).findWarning(
          '/V/Alone',
          Match.stringLikeRegexp('cannot ask CloudFormation whether the stack is rolling back.*cloudFormationEndpoint: vpc.addInterfaceEndpoint'),
        ),
      ).toHaveLength(1);

      const both = base();
      const vpc = both.props.vpc as ec2.Vpc;
      const endpoints = [ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER, ec2.InterfaceVpcEndpointAwsService.CLOUDFORMATION].map((service, k) =>
        vpc.addInterfaceEndpoint(`E${k}`, { service, open: false }),
      );
      const m = new SchemaMigrations(both.s, 'Both', { ...both.props, secretsManagerEndpoint: endpoints[0], cloudFormationEndpoint: endpoints[1] });
      expect(Annotations.fromStack(both.s).findWarning('*', Match.stringLikeRegexp('cloudFormationUnreachable'))).toEqual([]);
      const t2 = Template.fromStack(both.s);
      for (const endpoint of endpoints) {
        t2.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
          GroupId: { 'Fn::GetAtt': [both.s.getLogicalId(m.securityGroup!.node.defaultChild as never), 'GroupId'] },
          FromPort: 443,
          DestinationSecurityGroupId: { 'Fn::GetAtt': [both.s.getLogicalId(endpoint.connections.securityGroups[0]!.node.defaultChild as never), 'GroupId'] },
        });
      }
      t2.hasResource('Custom::SchemaMigrations', { DependsOn: Match.arrayWith(endpoints.map((e) => both.s.getLogicalId(e.node.defaultChild as never))) });
    });

    // Review: the endpoint of a database in another stack became an export, which blocks replacing the database.
    it("passes the database's endpoint only when the database is in its own stack", () => {
      const app = new App();
      const dbStack = new Stack(app, 'Db');
      const vpc = new ec2.Vpc(dbStack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
      const instance = new rds.DatabaseInstance(dbStack, 'Instance', {
        engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
        vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
        credentials: rds.Credentials.fromGeneratedSecret('postgres'),
      });
      const appStack = new Stack(app, 'App');
      new SchemaMigrations(appStack, 'M', { database: instance, secret: instance.secret!, vpc, migrationsDir });
      new SchemaMigrations(dbStack, 'Here', { database: instance, secret: instance.secret!, vpc, migrationsDir, stateSchema: 'here_schemaguard' });
      const envOf = (stack: Stack) =>
        Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.onEvent' } }))[0]!.Properties.Environment
          .Variables;
      expect(envOf(appStack)[ENV.endpointHost]).toBeUndefined();
      expect(envOf(dbStack)[ENV.endpointHost]).toEqual({
        'Fn::GetAtt': [dbStack.getLogicalId(instance.node.defaultChild as rds.CfnDBInstance), 'Endpoint.Address'],
      });
    });

    it('refuses an undefined secret (database.secret of Credentials.fromPassword) naming "secret" and the fix', () => {
      const { s, props } = base();
      const instance = new rds.DatabaseInstance(s, 'Pw', {
        engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_18_3 }),
        vpc: props.vpc!,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
        credentials: rds.Credentials.fromPassword('postgres', SecretValue.unsafePlainText('not-a-secret-in-real-life')),
      });
      expect(instance.secret).toBeUndefined();
      expect(() => new SchemaMigrations(s, 'M', { ...props, database: instance, secret: instance.secret! })).toThrow(
        /^SchemaMigrations: "secret" and "masterSecret" are undefined; pass the master user's secret as "masterSecret" \(or a migrator's as "secret"\) with the database credentials \(username, password, host, port\), or iamAuthentication: \{ username \} to connect with IAM database authentication\. .*with Credentials\.fromPassword\(…\) database\.secret is undefined: switch to fromGeneratedSecret\('postgres'\), or store the credentials in a secretsmanager\.Secret, attach it/,
      );
    });

    it('lets every accepted totalTimeout work without serviceTimeout: 5 minutes more, at most 1 hour (50 minutes stays the floor)', () => {
      const serviceTimeout = (totalTimeout?: Duration): string => {
        const { s, props } = base();
        new SchemaMigrations(s, 'M', { ...props, totalTimeout });
        return Object.values(Template.fromStack(s).findResources('Custom::SchemaMigrations'))[0]!.Properties.ServiceTimeout;
      };
      expect(serviceTimeout()).toBe('3000');
      expect(serviceTimeout(Duration.minutes(30))).toBe('3000');
      expect(serviceTimeout(Duration.minutes(50))).toBe('3300');
      expect(serviceTimeout(Duration.seconds(3540))).toBe('3600');
    });

    it('refuses the default subnets in a VPC without isolated ones (new ec2.Vpc), naming "vpcSubnets" and the fix; takes PRIVATE_WITH_EGRESS there', () => {
      const { s, props } = base();
      const standard = new ec2.Vpc(s, 'Standard');
      const sg = new ec2.SecurityGroup(s, 'StdSg', { vpc: standard });
      const database = rds.DatabaseInstance.fromDatabaseInstanceAttributes(s, 'StdDb', {
        instanceIdentifier: 'y',
        instanceEndpointAddress: 'y',
        port: 5432,
        securityGroups: [sg],
      });
      const error = (() => {
        try {
          new SchemaMigrations(s, 'M', { ...props, database, vpc: standard });
        } catch (e) {
          return e as Error;
        }
        return undefined;
      })();
      expect(error?.message).toBe(
        'SchemaMigrations: "vpcSubnets" is not set, and its default, { subnetType: PRIVATE_ISOLATED }, selects nothing: the VPC V/Standard has no isolated subnets (it has PRIVATE_WITH_EGRESS and PUBLIC); ' +
          'pass the subnets the function runs in, e.g. vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } (the private subnets of new ec2.Vpc(…), which reach Secrets Manager through their NAT gateway)',
      );
      const migrations = new SchemaMigrations(s, 'M2', { ...props, database, vpc: standard, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } });
      // CDK's own error stays reachable as the cause.
      expect((error?.cause as Error | undefined)?.message).toMatch(/^There are no 'Isolated' subnet groups in this VPC/);
      expect(migrations.target).toMatchObject({ kind: 'connection', vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } });
      const privateSubnets = standard.privateSubnets.map((subnet) => ({ Ref: s.getLogicalId(subnet.node.defaultChild as never) }));
      const t2 = Template.fromStack(s);
      for (const fn of [migrations.onEventHandler, migrations.isCompleteHandler]) {
        expect(t2.toJSON().Resources[s.getLogicalId(fn.node.defaultChild as never)].Properties.VpcConfig.SubnetIds).toEqual(privateSubnets);
      }
    });

    it("a port given: the handler's egress and the database's ingress are for that port only", () => {
      const { s: st, props } = base();
      const migrations = new SchemaMigrations(st, 'M', { ...props, port: ec2.Port.tcp(6432), vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } });
      const t2 = Template.fromStack(st);
      const group = { 'Fn::GetAtt': [st.getLogicalId(migrations.securityGroup!.node.defaultChild as never), 'GroupId'] };
      t2.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { SourceSecurityGroupId: group, IpProtocol: 'tcp', FromPort: 6432, ToPort: 6432 });
      t2.hasResourceProperties('AWS::EC2::SecurityGroupEgress', { GroupId: group, IpProtocol: 'tcp', FromPort: 6432, ToPort: 6432 });
      const ports = ['AWS::EC2::SecurityGroupIngress', 'AWS::EC2::SecurityGroupEgress'].flatMap((type) =>
        Object.values(t2.findResources(type)).map((r) => r.Properties.FromPort),
      );
      expect(ports.sort()).toEqual([6432, 6432]);
    });

    it('refuses a memorySize known only at deploy time, naming it, before it is used to size the files it applies', () => {
      const { s: st, props } = base();
      const memorySize = new CfnParameter(st, 'Memory', { type: 'Number' }).valueAsNumber;
      expect(() => new SchemaMigrations(st, 'M', { ...props, memorySize })).toThrow(
        /^SchemaMigrations: "memorySize" is a number known only at deploy time \(a token, such as a CfnParameter's valueAsNumber\); pass a number known at synth/,
      );
    });

    it('refuses a database without a default port when no port is given', () => {
      const { s, props } = base();
      const bare = new ec2.SecurityGroup(s, 'Bare', { vpc: props.vpc! });
      expect(() => new SchemaMigrations(s, 'M', { ...props, database: bare })).toThrow(
        /"port" is not set and the database has no connections.defaultPort; pass port: ec2.Port.tcp\(5432\)/,
      );
    });
  });

  describe('dataApiCluster', () => {
    const auroraCluster = (enableDataApi?: boolean): { s: Stack; cluster: rds.DatabaseCluster } => {
      const s = new Stack(new App(), 'D');
      const vpc = new ec2.Vpc(s, 'Vpc');
      const cluster = new rds.DatabaseCluster(s, 'C', {
        engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_17_6 }),
        vpc,
        writer: rds.ClusterInstance.serverlessV2('W'),
        enableDataApi,
      });
      return { s, cluster };
    };
    const dataApiStatements = (s: Stack, m: SchemaMigrations) =>
      Object.values(
        Template.fromStack(s).findResources('AWS::IAM::Policy', {
          Properties: { Roles: [{ Ref: s.getLogicalId(m.node.findChild('HandlerRole').node.defaultChild as never) }] },
        }),
      )
        .flatMap((p) => p.Properties.PolicyDocument.Statement)
        .filter((st: { Action: string | string[] }) => [st.Action].flat().some((a) => a.startsWith('rds-data:')));

    it('refuses a cluster with enableDataApi: false, as its grantDataApiAccess does, naming the cluster, the setting and the fix', () => {
      const { s, cluster } = auroraCluster(false);
      expect(() => cluster.grantDataApiAccess(new iam.User(s, 'U'))).toThrow('Cannot grant Data API access when the Data API is disabled');
      expect(() => new SchemaMigrations(s, 'M', { dataApiCluster: cluster, secret: cluster.secret!, migrationsDir })).toThrow(
        'SchemaMigrations: "dataApiCluster" D/C has the Data API disabled (enableDataApi: false), and the handler migrates through it; ' +
          'set enableDataApi: true on the cluster (SchemaMigrations does not change your cluster), ' +
          'or migrate over a connection: "database" and "vpc" instead of "dataApiCluster"',
      );
    });

    it("refuses a cluster that leaves enableDataApi unset (the Data API off), where grantDataApiAccess would turn it on: the fix is the cluster's own setting", () => {
      const { s, cluster } = auroraCluster(undefined);
      expect(() => new SchemaMigrations(s, 'M', { dataApiCluster: cluster, secret: cluster.secret!, migrationsDir })).toThrow(
        'SchemaMigrations: "dataApiCluster" D/C leaves enableDataApi unset, so the Data API is off, and the handler migrates through it; ' +
          'set enableDataApi: true on the cluster (SchemaMigrations does not change your cluster), ' +
          'or migrate over a connection: "database" and "vpc" instead of "dataApiCluster"',
      );
    });

    it('with enableDataApi: true, grants only the four calls the driver makes, on that cluster', () => {
      const { s, cluster } = auroraCluster(true);
      const m = new SchemaMigrations(s, 'M', { dataApiCluster: cluster, secret: cluster.secret!, migrationsDir });
      const t2 = Template.fromStack(s);
      t2.hasResourceProperties('AWS::RDS::DBCluster', { EnableHttpEndpoint: true });
      expect(dataApiStatements(s, m)).toEqual([
        {
          Sid: 'DataApiOnTheCluster',
          Effect: 'Allow',
          Action: ['rds-data:ExecuteStatement', 'rds-data:BeginTransaction', 'rds-data:CommitTransaction', 'rds-data:RollbackTransaction'],
          Resource: expect.anything(),
        },
      ]);
      expect(JSON.stringify(dataApiStatements(s, m)[0].Resource)).toContain(`{"Ref":"${s.getLogicalId(cluster.node.defaultChild as never)}"}`);
    });

    it('refuses an imported cluster without dataApiEnabled: true, naming the import option; takes it with', () => {
      const { s, cluster } = auroraCluster(true);
      const attrs = { clusterIdentifier: 'legacy-aurora', secret: cluster.secret! };
      const off = rds.DatabaseCluster.fromDatabaseClusterAttributes(s, 'Off', attrs);
      expect(() => new SchemaMigrations(s, 'M', { dataApiCluster: off, secret: cluster.secret!, migrationsDir })).toThrow(
        /^SchemaMigrations: "dataApiCluster" D\/Off has the Data API disabled \(enableDataApi: false\), and the handler migrates through it; enable the Data API on the cluster and import it with dataApiEnabled: true/,
      );
      const on = rds.DatabaseCluster.fromDatabaseClusterAttributes(s, 'On', { ...attrs, dataApiEnabled: true });
      expect(() => new SchemaMigrations(s, 'M2', { dataApiCluster: on, secret: cluster.secret!, migrationsDir })).not.toThrow();
    });
  });
});

// The CDK guide's "Make the app wait for the migrations", "Where to put DatabaseAlarms" and "Footprint", proven by synth.
describe('Class: SchemaMigrations, wired into an app (the CDK guide)', () => {
  const migrationsOnly = tempDir({ '1_a.sql': 'SELECT 1;' });
  function databaseStack(app: App): { s: Stack; vpc: ec2.Vpc; db: rds.DatabaseInstance; log: logs.LogGroup } {
    const s = new Stack(app, 'Database');
    const vpc = new ec2.Vpc(s, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const db = new rds.DatabaseInstance(s, 'Db', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
      instanceIdentifier: 'widgets-db',
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      credentials: rds.Credentials.fromGeneratedSecret('postgres'),
    });
    const log = new logs.LogGroup(s, 'PostgresLog', { logGroupName: postgresLogGroupName('instance', 'widgets-db') });
    return { s, vpc, db, log };
  }
  const api = (scope: Stack, migrations: SchemaMigrations) =>
    new lambda.Function(scope, 'Api', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {}'),
      environment: { SCHEMA_VERSION: migrations.currentVersion, APPLIED: migrations.appliedVersions },
    });
  const resourceCounts = (t: Template) => {
    const counts: Record<string, number> = {};
    for (const r of Object.values(t.toJSON().Resources as Record<string, { Type: string }>)) counts[r.Type] = (counts[r.Type] ?? 0) + 1;
    return counts;
  };

  it('addDependency(migrations) makes a resource of the stack wait for the custom resource; currentVersion in its environment is a GetAtt', () => {
    const app = new App();
    const { s, vpc, db } = databaseStack(app);
    const migrations = new SchemaMigrations(s, 'Migrations', { database: db, secret: db.secret!, vpc, migrationsDir: migrationsOnly });
    const fn = api(s, migrations);
    fn.node.addDependency(migrations);
    const t = Template.fromStack(s);
    const cr = s.getLogicalId(migrations.resource.node.defaultChild as never);
    t.hasResource('AWS::Lambda::Function', {
      DependsOn: Match.arrayWith([cr]),
      Properties: {
        Environment: { Variables: { SCHEMA_VERSION: { 'Fn::GetAtt': [cr, 'CurrentVersion'] }, APPLIED: { 'Fn::GetAtt': [cr, 'AppliedVersions'] } } },
      },
    });
  });

  it("a service in another stack: versionFor gives the version through SSM (a deploy-time parameter, no import) and the stack deploys after the migrations' stack; currentVersion there is refused at synth", () => {
    const app = new App();
    const { s, vpc, db } = databaseStack(app);
    const migrations = new SchemaMigrations(s, 'Migrations', { database: db, secret: db.secret!, vpc, migrationsDir: migrationsOnly });
    const serviceStack = new Stack(app, 'Service');
    // As docs/guide/cdk-app.md shows it.
    new lambda.Function(serviceStack, 'Api', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {}'),
      environment: { SCHEMA_VERSION: migrations.versionFor(serviceStack) },
    });
    const t = Template.fromStack(serviceStack);
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { SCHEMA_VERSION: { Ref: Match.stringLikeRegexp('^SsmParameterValue') } } } });
    expect(JSON.stringify(t.toJSON())).not.toContain('Fn::ImportValue');
    expect(serviceStack.dependencies.map((d) => d.node.id)).toEqual(['Database']);

    const refused = new App();
    const two = databaseStack(refused);
    const m2 = new SchemaMigrations(two.s, 'Migrations', { database: two.db, secret: two.db.secret!, vpc: two.vpc, migrationsDir: migrationsOnly });
    api(new Stack(refused, 'Service'), m2);
    expect(() => refused.synth()).toThrow(
      /CurrentVersion of Database\/Migrations reaches another stack .* Read it there through SSM: migrations\.versionFor\(this\)/,
    );
  });

  it('DatabaseAlarms with migrationFunctions in the database stack and the migrations in an app stack is a cycle; both in the app stack synthesise', () => {
    const cyclic = new App();
    const one = databaseStack(cyclic);
    const appStack = new Stack(cyclic, 'App');
    const m = new SchemaMigrations(appStack, 'Migrations', { database: one.db, secret: one.db.secret!, vpc: one.vpc, migrationsDir: migrationsOnly });
    new DatabaseAlarms(one.s, 'Alarms', { logGroup: one.log, migrationFunctions: [m.onEventHandler, m.isCompleteHandler] });
    expect(() => cyclic.synth()).toThrow(/'App' depends on 'Database'.*cyclic reference/s);

    const working = new App();
    const two = databaseStack(working);
    const appStack2 = new Stack(working, 'App');
    const m2 = new SchemaMigrations(appStack2, 'Migrations', { database: two.db, secret: two.db.secret!, vpc: two.vpc, migrationsDir: migrationsOnly });
    new DatabaseAlarms(appStack2, 'Alarms', {
      logGroup: logs.LogGroup.fromLogGroupName(appStack2, 'PostgresLog', postgresLogGroupName('instance', 'widgets-db')),
      migrationFunctions: [m2.onEventHandler, m2.isCompleteHandler],
    });
    expect(() => working.synth()).not.toThrow();
  });

  it('adds the resources the CDK guide lists: SchemaMigrations and DatabaseAlarms', () => {
    const app = new App();
    const { s, vpc, db, log } = databaseStack(app);
    const before = resourceCounts(Template.fromStack(databaseStack(new App()).s));
    const m = new SchemaMigrations(s, 'Migrations', { database: db, secret: db.secret!, vpc, migrationsDir: migrationsOnly });
    const alarms = new Stack(app, 'Alarms');
    new DatabaseAlarms(alarms, 'Alarms', {
      logGroup: logs.LogGroup.fromLogGroupName(alarms, 'Log', log.logGroupName),
      databaseIdentifier: 'widgets-db',
      migrationFunctions: [m.onEventHandler, m.isCompleteHandler],
    });
    const after = resourceCounts(Template.fromStack(s));
    const added = Object.fromEntries(
      Object.keys(after)
        .filter((k) => after[k] !== before[k])
        .map((k) => [k, after[k]! - (before[k] ?? 0)]),
    );
    expect(added).toEqual({
      'AWS::Lambda::Function': 6,
      'AWS::IAM::Role': 6,
      'AWS::IAM::Policy': 6,
      'AWS::StepFunctions::StateMachine': 1,
      'AWS::Logs::LogGroup': 4,
      'AWS::EC2::SecurityGroup': 1,
      'AWS::EC2::SecurityGroupIngress': 1,
      'AWS::EC2::SecurityGroupEgress': 1,
      'Custom::SchemaMigrations': 1,
    });
    expect(resourceCounts(Template.fromStack(alarms))).toEqual({
      'AWS::Logs::MetricFilter': ERROR_CATALOG.length,
      'AWS::CloudWatch::Alarm': ERROR_CATALOG.length + 1,
      'AWS::CloudWatch::CompositeAlarm': 2,
      'AWS::Logs::QueryDefinition': 12,
      'AWS::CloudWatch::Dashboard': 1,
      'AWS::SNS::Topic': 2,
      'AWS::SNS::TopicPolicy': 2,
      'AWS::KMS::Key': 1,
    });
    expect(ERROR_CATALOG.length).toBe(10);
  });
});
