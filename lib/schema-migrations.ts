import { CfnOutput, CustomResource, Stack, type CfnResource } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct, type IConstruct, type IDependable } from 'constructs';
import { ATTR, ENV, IS_COMPLETE_HANDLER_NAME, MIGRATIONS_RESOURCE_TYPE, ON_EVENT_HANDLER_NAME, OPERATOR_HANDLER_NAME, PROP } from '../lambda/handler/constants';
import { contractEnvironment, type ContractInput } from '../lambda/handler/contract';
import { summariseFiles, type FilesSummary } from '../lambda/handler/files-hash';
import { DEFAULT_MEMORY_MB, heapOptions } from '../lambda/handler/memory';
import { baselineProperties, operatorEnvironment } from './adoption-props';
import { databaseIdentity } from './database-identity';
import { handlerCode } from './handler-asset';
import type { DatabaseAuth } from './database-auth';
import { acknowledge } from './nag';
import { limitReaders, RoleProvisioner } from './migrator-role';
import { defaultVersionParameterName, exportedAttributeProblems, readVersion, refuseBadParameterName, versionParameter } from './schema-version';
import { claimStateTable, resolveStateSchema } from './state-schema';
import { refuseUnparsable } from './synth-parse';
import { projectConfigFor, type UserFiles } from './user-files';
import { ServedResources } from './served-resources';
import { DEFAULT_STATE_SCHEMA } from '../lambda/engine/state/state';
import type { Fleet } from '../lambda/engine/fleet/fleet-spec';
import { FleetRollout, fleetEnvironment } from './fleet/fleet-rollout';
import { fleetRegistryStatement, resolveFleet } from './schema-migrations/fleet';
import { BackfillWorkflow } from './backfill/backfill-workflow';
import { handlerEnvironment } from './schema-migrations/environment';
import { handlerRole, operatorRole, reachStatement, secretStatements } from './schema-migrations/access';
import { noteImplicitFiles, refuseTooLarge, refuseUnloadable, warnOfSubfolders } from './schema-migrations/files';
import { acknowledgeNagFindings } from './schema-migrations/nag-findings';
import { crossStackFix, handlerSecurityGroup, reachSsm, reachStepFunctions, warnOfUnreachableSecretsManager } from './schema-migrations/network';
import type { SchemaMigrationsProps } from './schema-migrations/props';
import { type Settings, checkedAuth, migratorSettings, resolveSettings } from './schema-migrations/settings';
import { type MigrationsTarget, refuseIamAcrossStacks, resolveTarget, targetDatabase } from './schema-migrations/target';
import { present } from '../lambda/engine/errors/present';

export type {
  BackfillProps,
  DataApiConnectionProps,
  DirectConnectionProps,
  SchemaMigrationsBaseProps,
  SchemaMigrationsProps,
  StandbyWaitProps,
} from './schema-migrations/props';
export { reachStatement, secretStatements } from './schema-migrations/access';
export { databaseEndpoint, type MigrationsTarget } from './schema-migrations/target';

/**
 * Applies the app's migrations to a PostgreSQL database during `cdk deploy`
 * (a custom resource), proves them with their checks and the contracts, and
 * fails the deploy — so CloudFormation rolls the stack back — when one fails.
 * Over a connection from the VPC (`database` + `vpc`), or through the RDS Data
 * API (`dataApiCluster`).
 *
 * @example
 * // ./migrations/0001_widgets.sql beside cdk.json
 * const migrations = new SchemaMigrations(this, 'Migrations', {
 *   database: instance,          // an rds.DatabaseInstance (or DatabaseCluster)
 *   secret: instance.secret!,
 *   vpc,
 * });
 */
export class SchemaMigrations extends Construct {
  /** The handler (onEvent). */
  readonly onEventHandler: lambda.Function;
  /** The handler (isComplete); same code, other export. */
  readonly isCompleteHandler: lambda.Function;
  /** The handlers' log group. */
  readonly logGroup: logs.LogGroup;
  /** Security group of the handler functions (none with `dataApiCluster`: they run outside the VPC). */
  readonly securityGroup?: ec2.SecurityGroup;
  /** The Provider framework (onEvent and isComplete behind its waiter) that answers CloudFormation for the custom resource. */
  readonly provider: Provider;
  /** The custom resource that runs the migrations on each deploy whose files changed; depend on it to run after them. */
  readonly resource: CustomResource;
  /** Hash, count and newest version of the files, as put in the resource properties. */
  readonly files: FilesSummary;
  /** Highest applied version after the deploy (`none` for an empty database), via GetAtt: in this stack only (another stack: `versionFor`; synth refuses it there). */
  readonly currentVersion: string;
  /** Number of applied migrations after the deploy, via GetAtt: in this stack only (synth refuses it in another). */
  readonly appliedCount: string;
  /** Versions this deploy applied (comma-separated, may be empty), via GetAtt: in this stack only (synth refuses it in another). */
  readonly appliedVersions: string;
  /** `applied`, `up-to-date`, `database-ahead` or `rollback-problem`, via GetAtt. */
  readonly outcome: string;
  /** How the handler reaches the database (SchemaGuard reaches it the same way). */
  readonly target: MigrationsTarget;
  /** The app's migrations, contracts and snapshot, as absolute paths. */
  readonly userFiles: UserFiles;
  /** The database secret the handler reads (or the Data API reads for it): the migrator's with `masterSecret`; undefined with IAM authentication. */
  readonly secret?: secretsmanager.ISecret;
  /** The role provisioner (`masterSecret`): the migrator, its secret, and the function that may read the master secret. */
  readonly roles?: RoleProvisioner;
  /** How the handler authenticates (SchemaGuard's functions reach the database the same way). */
  readonly auth: DatabaseAuth;
  /** `databaseName` as given. */
  readonly databaseName?: string;
  /** Schema of the state table (`stateSchema`, or its default `schemaguard`). */
  readonly stateSchema: string;
  /**
   * The database's identity in the resource properties (the instance's
   * DbiResourceId, the cluster's DBClusterResourceId, or an endpoint): a
   * replaced database has another, so the deploy that replaces it migrates it.
   * Undefined for a database of another stack (see `revision`).
   */
  readonly databaseIdentity?: string;
  /** `revision` as given. */
  readonly revision?: number;
  /** When a migration has a `-- schemaguard:backfill`: the Step Functions workflow that runs backfills after the deploy that started them. */
  readonly backfillWorkflow?: BackfillWorkflow;
  /** With a fleet: the state machine that rolls the migrations out to its tenants. */
  readonly fleetRollout?: FleetRollout;
  /** The fleet (`fleet`, or the project file's), with its defaults. */
  readonly fleet?: Fleet;
  /**
   * The function the CLI's `--function` invokes (operator commands only:
   * status, plan, diff, guard, doctor; baseline and repair with
   * `operatorCommands.writes`), with a role and inputs of its own: it reads
   * the database secret and reaches the database as the migrations do, and
   * serves no CloudFormation event. Grant lambda:InvokeFunction on it
   * (`operatorFunction.grantInvoke(role)`) to whoever operates the database.
   */
  readonly operatorFunction: lambda.Function;
  /** The role of both handlers (onEvent and isComplete). */
  private readonly handlerRole: iam.Role;
  /** What the migration function serves: its resource, and the guard's role without `masterSecret`. */
  private readonly served = new ServedResources();
  private readonly givenVersionParameterName?: string;
  private ownVersionParameter?: ssm.StringParameter;

  constructor(scope: Construct, id: string, props: SchemaMigrationsProps) {
    super(scope, id);
    const given = checkedAuth(props);
    const project = projectConfigFor('SchemaMigrations', process.cwd());
    const settings = resolveSettings(props, project);
    this.target = resolveTarget(props);
    const database = targetDatabase(this.target);
    const stateSchema = props.stateSchema ?? project.settings.stateSchema;
    this.stateSchema = resolveStateSchema(stateSchema);
    claimStateTable(this, { database, secret: given.kind === 'secret' ? given.secret : undefined, databaseName: props.databaseName }, this.stateSchema);
    this.files = summariseFiles(settings.migrationsDir, settings.contractsDir, settings.migrationsLayout);
    refuseTooLarge(this.files, props.memorySize ?? DEFAULT_MEMORY_MB);
    const migrations = refuseUnloadable(settings, props.memorySize ?? DEFAULT_MEMORY_MB);
    const baselineProps = baselineProperties(props.baseline, migrations);
    if (props.parseAtSynth ?? true) refuseUnparsable('SchemaMigrations', settings, { filesHash: this.files.hash });
    if (settings.migrationsLayout === 'flat') warnOfSubfolders(this, settings.migrationsDir);
    noteImplicitFiles(this, props, settings, project);
    if (this.target.kind === 'connection' && given.kind === 'secret' && !this.target.secretsManagerEndpoint) warnOfUnreachableSecretsManager(this, this.target);
    if (this.target.kind === 'connection' && given.kind === 'iam') refuseIamAcrossStacks(this, this.target.database);
    this.userFiles = {
      migrationsDir: settings.migrationsDir,
      migrationsLayout: settings.migrationsLayout,
      contractsDir: settings.contractsDir,
      snapshotFile: settings.snapshotFile,
    };
    this.databaseName = props.databaseName;
    this.revision = props.revision;
    this.databaseIdentity = databaseIdentity(this, database, 'revision')?.value;
    if (props.versionParameterName !== undefined) refuseBadParameterName(props.versionParameterName);
    this.givenVersionParameterName = props.versionParameterName;

    this.logGroup = new logs.LogGroup(this, 'HandlerLogs', { retention: settings.retention, removalPolicy: settings.removalPolicy });
    // Before the functions: each of them (the role provisioner's too, which grants the guard on a schema fleet's tenants) is told it.
    this.fleet = resolveFleet(props, project, this.target, settings.queryInterval);
    // The network before the role provisioner: its function connects to the database too (as the master user).
    this.securityGroup = this.target.kind === 'connection' ? handlerSecurityGroup(this, this.target, given) : undefined;
    this.roles = props.masterSecret ? this.roleProvisioner(props, props.masterSecret, settings) : undefined;
    this.secret = this.roles?.secret ?? props.secret;
    this.auth = this.secret ? { kind: 'secret', secret: this.secret } : given;
    this.handlerRole = handlerRole(this, this.target, this.auth);
    this.migrationsReadTheFleet();
    const functionProps = this.handlerFunctionProps(props, settings, this.handlerRole, stateSchema, this.auth, {
      serves: this.served.value(this),
      ...this.fleetInput(),
    });
    this.onEventHandler = new lambda.Function(this, 'OnEvent', { ...functionProps, handler: `index.${ON_EVENT_HANDLER_NAME}` });
    this.isCompleteHandler = new lambda.Function(this, 'IsComplete', { ...functionProps, handler: `index.${IS_COMPLETE_HANDLER_NAME}` });
    this.operatorFunction = this.operatorFunctionOf(props, settings, stateSchema);
    this.fleetRollout = this.fleet ? this.rolloutFor(this.fleet, settings) : undefined;
    this.backfillWorkflow = migrations.some((m) => m.backfill) ? this.workflowFor(settings) : undefined;
    this.provider = this.waiterProvider(settings);
    this.resource = this.migrationsResource(settings, baselineProps);
    // The deploy starts the rollout's or a backfill's execution: the state machine, and the handler's permission to start it, exist first.
    if (this.fleetRollout) this.resource.node.addDependency(this.fleetRollout);
    if (this.backfillWorkflow) this.resource.node.addDependency(this.backfillWorkflow);
    for (const resource of [this.resource, this.roles?.resource]) if (resource) this.afterTheNetwork(resource, database);
    if (this.roles) {
      // The migrations run as the migrator: it exists first; its secret is read by the migration handler and the provisioner alone.
      this.resource.node.addDependency(this.roles.resource);
      limitReaders(this.roles.secret, [this.handlerRole, this.roles.role, present(this.operatorFunction.role)]);
    }
    acknowledgeNagFindings(this);
    const resource = this.resource.node.defaultChild as CfnResource;
    this.node.addValidation({ validate: () => exportedAttributeProblems(this, resource, (attribute) => crossStackFix(attribute)) });

    this.currentVersion = this.resource.getAttString(ATTR.currentVersion);
    this.appliedCount = this.resource.getAttString(ATTR.appliedCount);
    this.appliedVersions = this.resource.getAttString(ATTR.appliedVersions);
    this.outcome = this.resource.getAttString(ATTR.outcome);
    if (props.outputs ?? true) {
      new CfnOutput(this, 'CurrentVersion', { value: this.currentVersion, description: 'Highest applied schema migration version' });
      new CfnOutput(this, 'AppliedCount', { value: this.appliedCount, description: 'Number of applied schema migrations' });
      new CfnOutput(this, 'OperatorFunctionName', {
        value: this.operatorFunction.functionName,
        description: 'The function schemaguard COMMAND --function NAME invokes (grant lambda:InvokeFunction on it to operators)',
      });
    }
    if (props.versionParameterName !== undefined) void this.versionParameter;
  }

  /** A resource whose function connects (the migrations', the role provisioner's) runs once the database and the way to it exist. */
  private afterTheNetwork(resource: CustomResource, database: IDependable): void {
    // The database (and its security group rules, children of it) must exist before the first run.
    resource.node.addDependency(database);
    // And the handler's own rules (egress to the database and to Secrets Manager), and the endpoint it reads the secret through.
    if (this.securityGroup) resource.node.addDependency(this.securityGroup);
    // Only a construct can be waited for (an endpoint, not a Peer or a bare Connections).
    for (const endpoint of this.target.kind === 'connection'
      ? [this.target.secretsManagerEndpoint, this.target.cloudFormationEndpoint, this.target.stepFunctionsEndpoint]
      : []) {
      if (endpoint && Construct.isConstruct(endpoint)) resource.node.addDependency(endpoint);
    }
  }

  /** The name of the SSM parameter that holds the schema version for other stacks (`versionParameterName` or its default). */
  get versionParameterName(): string {
    return this.givenVersionParameterName ?? defaultVersionParameterName(this);
  }

  /**
   * The SSM parameter (`versionParameterName`) this stack writes the schema
   * version to after every deploy that runs the migrations; made on first use.
   */
  get versionParameter(): ssm.StringParameter {
    this.ownVersionParameter ??= versionParameter(this, this.versionParameterName, this.currentVersion);
    return this.ownVersionParameter;
  }

  /**
   * The schema version as `scope` may use it: in this stack, the custom
   * resource's CurrentVersion (a GetAtt, after the migrations); in another
   * stack, the SSM parameter `versionParameter` read as that stack's
   * deploy-time parameter, with that stack made to deploy after this one — not
   * an export, which CloudFormation would refuse to change once imported.
   * Put it in a function's environment, and the function is updated in the
   * deploy that changes the schema.
   */
  versionFor(scope: IConstruct): string {
    if (Stack.of(scope) === Stack.of(this)) return this.currentVersion;
    void this.versionParameter;
    return readVersion(scope, this, this.versionParameterName);
  }

  /**
   * The role provisioner for `masterSecret`: the migration handler's code, network and log group, the master secret
   * as its database secret, a role of its own (the only one that may read the master secret).
   */
  private roleProvisioner(props: SchemaMigrationsProps, masterSecret: secretsmanager.ISecret, settings: Settings): RoleProvisioner {
    const migrator = migratorSettings(props, this.stateSchema, settings);
    return new RoleProvisioner(this, 'Roles', {
      masterSecret,
      database: targetDatabase(this.target),
      ...migrator,
      inVpc: this.target.kind === 'connection',
      makeFunction: (scope, role, databaseSecret, serves) =>
        new lambda.Function(scope, 'Function', {
          ...this.handlerFunctionProps(
            props,
            settings,
            role,
            this.stateSchema === DEFAULT_STATE_SCHEMA ? undefined : this.stateSchema,
            { kind: 'secret', secret: databaseSecret },
            { serves, ...this.fleetInput() },
          ),
          handler: `index.${ON_EVENT_HANDLER_NAME}`,
          description: "schemaguard: makes the migrator and the guard's roles, as the master user, during cdk deploy",
        }),
      baseStatements: (role) => {
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({ sid: 'OwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [this.logGroup.logGroupArn] }),
        );
        role.addToPrincipalPolicy(reachStatement(this.target));
      },
      secretStatements: (secret, name) => secretStatements(secret, Stack.of(this).region, name),
    });
  }

  /**
   * The function and provider that make roles (the guard's): the role provisioner with `masterSecret`, else the migrations' own;
   * `serve` fixes a resource it serves in its configuration.
   */
  roleSetter(): {
    serviceToken: string;
    functionRole: iam.IRole;
    migratorRoleName?: string;
    serve: (resource: CustomResource, properties: Record<string, unknown>) => void;
  } {
    const roles = this.roles;
    if (roles)
      return {
        serviceToken: roles.provider.serviceToken,
        functionRole: roles.role,
        migratorRoleName: roles.roleName,
        serve: (resource, properties) => roles.serve(resource, properties),
      };
    return { serviceToken: this.provider.serviceToken, functionRole: this.handlerRole, serve: (resource, properties) => this.served.add(resource, properties) };
  }

  /** The operator function: the handlers' code, network and database, a role and a log group of its own, operator commands only. */
  private operatorFunctionOf(props: SchemaMigrationsProps, settings: Settings, stateSchema: string | undefined): lambda.Function {
    const logGroup = new logs.LogGroup(this, 'OperatorLogs', { retention: settings.retention, removalPolicy: settings.removalPolicy });
    const role = operatorRole(this, this.target, this.auth, logGroup);
    const fn = new lambda.Function(this, 'Operator', {
      ...this.handlerFunctionProps(props, settings, role, stateSchema, this.auth, { serves: '[]', ...operatorEnvironment(props.operatorCommands) }),
      handler: `index.${OPERATOR_HANDLER_NAME}`,
      logGroup,
      description: "schemaguard: runs the CLI's operator commands (--function) against the migrated database",
    });
    acknowledge(
      fn,
      'AwsSolutions-L1',
      'Pinned to Node.js 22 on purpose: the operator function is the handler bundle, which targets node22 and is tested on it.',
    );
    return fn;
  }

  /** What onEvent and isComplete share: one code asset, the role, the network, the log group, the environment. */
  private handlerFunctionProps(
    props: SchemaMigrationsProps,
    settings: Settings,
    role: iam.IRole,
    stateSchema: string | undefined,
    auth: DatabaseAuth,
    own: ContractInput,
  ): Omit<lambda.FunctionProps, 'handler'> {
    return {
      code: handlerCode(settings),
      // The bundle targets node22 (scripts/build-handler.mjs).
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? DEFAULT_MEMORY_MB,
      timeout: settings.handlerTimeout,
      role,
      ...(this.target.kind === 'connection' && this.securityGroup
        ? {
            vpc: this.target.vpc,
            vpcSubnets: this.target.vpcSubnets,
            securityGroups: [this.securityGroup],
          }
        : {}),
      logGroup: this.logGroup,
      environment: {
        ...contractEnvironment({
          ...handlerEnvironment(this, props, settings, auth, this.target),
          ...(stateSchema === undefined ? {} : { stateSchema: this.stateSchema }),
          ...own,
        }),
        // V8's heap sized by the function's memory, not by what V8 takes the machine to have.
        NODE_OPTIONS: heapOptions(props.memorySize ?? DEFAULT_MEMORY_MB),
      },
      description: 'schemaguard: applies the migrations during cdk deploy',
    };
  }

  /**
   * The fleet's state machine, and what the handlers may do with it: start
   * it, describe and stop its executions (a policy of their own: in the
   * role's default policy it would make the functions, which the state
   * machine invokes, depend on it).
   */
  private rolloutFor(fleet: Fleet, settings: Settings): FleetRollout {
    const rollout = new FleetRollout(this, 'FleetRollout', {
      fleet,
      migrationFunction: this.onEventHandler,
      logRetention: settings.retention,
      logRemovalPolicy: settings.removalPolicy,
    });
    const start = new iam.Policy(rollout, 'StartPolicy', { statements: rollout.startStatements() });
    this.handlerRole.attachInlinePolicy(start);
    if (this.target.kind === 'connection' && this.securityGroup)
      reachStepFunctions(this.securityGroup, this.target, this.auth, "a fleet's rollout", 'the project names a fleet');
    return rollout;
  }

  /**
   * The backfills' workflow, invoking onEvent for each slice, and what the
   * handlers may do with it: start it (a policy of its own: in the role's
   * default policy it would make the functions, which the state machine
   * invokes, depend on it), over HTTPS to Step Functions.
   */
  private workflowFor(settings: Settings): BackfillWorkflow {
    const workflow = new BackfillWorkflow(this, 'BackfillWorkflow', {
      migrationFunction: this.onEventHandler,
      functionTimeout: settings.handlerTimeout,
      logRetention: settings.retention,
      logRemovalPolicy: settings.removalPolicy,
    });
    this.handlerRole.attachInlinePolicy(new iam.Policy(workflow, 'StartPolicy', { statements: [workflow.startStatement()] }));
    if (this.target.kind === 'connection' && this.securityGroup)
      reachStepFunctions(this.securityGroup, this.target, this.auth, "a backfill's workflow", 'a migration has a -- schemaguard:backfill');
    return workflow;
  }

  /** The migrations' functions read a fleet's SSM path: the role provisioner's too (a schema fleet's tenants, for the guard role's grants), in the handler's group. */
  private migrationsReadTheFleet(): void {
    this.allowFleetRegistry(this.handlerRole, this.securityGroup, 'migrations handler');
    if (this.roles) this.allowFleetRegistry(this.roles.role, undefined, 'role provisioner');
  }

  /**
   * With a fleet named under an SSM path: `role` may read that path, and
   * `securityGroup` (a function's in the VPC, reaching the database as
   * `auth`) reaches SSM on 443. The migrations' functions and the guard's
   * read the same path.
   */
  allowFleetRegistry(role: iam.IRole, securityGroup: ec2.SecurityGroup | undefined, who: string, auth: DatabaseAuth = this.auth): void {
    const statement = fleetRegistryStatement(this, this.fleet);
    if (!statement) return;
    role.addToPrincipalPolicy(statement);
    if (this.target.kind === 'connection' && securityGroup) reachSsm(securityGroup, this.target, auth, who);
  }

  /** The fleet for the migration functions (they run the rollout's tenants) and the role provisioner (it grants the guard the tenants); the operator function runs one database. */
  private fleetInput(): { fleet?: string } {
    return this.fleet ? { fleet: fleetEnvironment(this.fleet)[ENV.fleet] } : {};
  }

  /** The Provider framework: isComplete every `queryInterval` until `totalTimeout`, its functions and waiter logged. */
  private waiterProvider(settings: Settings): Provider {
    const frameworkLogs = new logs.LogGroup(this, 'ProviderLogs', { retention: settings.retention, removalPolicy: settings.removalPolicy });
    return new Provider(this, 'Provider', {
      onEventHandler: this.onEventHandler,
      isCompleteHandler: this.isCompleteHandler,
      queryInterval: settings.queryInterval,
      totalTimeout: settings.totalTimeout,
      logGroup: frameworkLogs,
      disableWaiterStateMachineLogging: false,
      waiterStateMachineLogOptions: { destination: this.waiterLogGroup(settings), level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
  }

  /**
   * The waiter state machine's log group, under `/aws/vendedlogs/states/`:
   * Step Functions delivers its logs as vended logs, and a group outside that
   * prefix is added to the account's CloudWatch Logs resource policy, whose
   * size is limited (in an account with many deliveries, creating the state
   * machine fails). Named after the isComplete function, whose generated name
   * is new each time the stack is created, so a retained group never collides
   * with the next one.
   */
  private waiterLogGroup(settings: Settings): logs.LogGroup {
    return new logs.LogGroup(this, 'WaiterLogs', {
      logGroupName: `/aws/vendedlogs/states/schemaguard-waiter-${this.isCompleteHandler.functionName}`,
      retention: settings.retention,
      removalPolicy: settings.removalPolicy,
    });
  }

  /**
   * The custom resource. Only its properties make CloudFormation send an
   * Update: the files (hash, count, newest version), the database's identity
   * and name (a replaced database is migrated in the deploy that replaces it),
   * `revision`, and `baseline` when set. Unchanged, nothing runs.
   */
  private migrationsResource(settings: Settings, baseline: Record<string, string>): CustomResource {
    const properties = {
      [PROP.filesHash]: this.files.hash,
      [PROP.latestVersion]: String(this.files.latestVersion),
      [PROP.migrationCount]: String(this.files.migrationCount),
      ...baseline,
      ...(this.databaseIdentity === undefined ? {} : { [PROP.databaseIdentity]: this.databaseIdentity }),
      ...(this.databaseName === undefined ? {} : { [PROP.databaseName]: this.databaseName }),
      ...(this.revision === undefined ? {} : { [PROP.revision]: String(this.revision) }),
      ...(this.fleetRollout ? { [PROP.fleet]: fleetEnvironment(this.fleet)[ENV.fleet], [PROP.fleetStateMachine]: this.fleetRollout.knownArn } : {}),
      ...(this.backfillWorkflow ? { [PROP.backfillStateMachine]: this.backfillWorkflow.stateMachine.stateMachineArn } : {}),
    };
    const resource = new CustomResource(this, 'Resource', {
      serviceToken: this.provider.serviceToken,
      resourceType: MIGRATIONS_RESOURCE_TYPE,
      serviceTimeout: settings.serviceTimeout,
      properties,
    });
    // The baseline decides what a run records: the function takes it from its own configuration, not from an event.
    this.served.add(resource, properties);
    return resource;
  }
}
