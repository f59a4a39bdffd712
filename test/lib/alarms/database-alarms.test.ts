import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Annotations as CoreAnnotations, App, CfnParameter, SecretValue, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { DatabaseAlarms, pascal as pascalOf, type DatabaseAlarmsProps } from '../../../lib/alarms/database-alarms';
import {
  ERROR_CATALOG,
  MAX_ALARM_DESCRIPTION_LENGTH,
  NOT_NULL_WITH_STATEMENTS_QUERY,
  RECENT_ERRORS_QUERY,
  QUIET_MINUTES,
  TOP_FAILING_RELATIONS_QUERY,
  alarmDescriptionFor,
  filterPatternFor,
  insightsQueryFor,
  savedQueryNameFor,
} from '../../../lib/alarms/error-catalog';
import { dashboardWidgets, layout } from '../../support/dashboard';
import { longestAlarmDescriptions } from '../../support/longest-description';
import { alarmsStack, defaultAlarmsStack, filterPatternsByMetric, LOG_GROUP_NAME, removeAssemblies } from './alarms-stack';

afterAll(removeAssemblies);

const topicRef = () => ({ Ref: Match.stringLikeRegexp('^DatabaseAlarmsTopic[0-9A-F]{8}$') });
const ticketTopicRef = () => ({ Ref: Match.stringLikeRegexp('^DatabaseAlarmsTicketTopic[0-9A-F]{8}$') });
const TICKET_CLASSES = ERROR_CATALOG.filter((c) => c.severity === 'ticket').map((c) => c.id);
/** The warnings `schemaguard:ticketsWithoutDestination` of a stack. */
const ticketWarnings = (stack: Stack) => Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('ticket alarm'));
const logGroupRef = { Ref: Match.stringLikeRegexp('^PostgresLog') };
/** The saved queries' folder of the test stack's database (its log group names schemaguard-db). */
const FOLDER = 'schemaguard/schemaguard-db';
/** What the 25P02 alarm (no actions) names without alarmNamePrefix: the composite that pages, by what its description starts with. */
const HELD_PAGED_BY = 'the composite alarm of this stack whose description starts "[PAGE] PostgreSQL Current transaction aborted"';

describe('Construct: DatabaseAlarms', () => {
  describe('metric filters', () => {
    it('creates one filter per catalog class on the PostgreSQL log group, with the catalog pattern', () => {
      const { template } = defaultAlarmsStack();
      template.resourceCountIs('AWS::Logs::MetricFilter', ERROR_CATALOG.length);
      for (const cls of ERROR_CATALOG) {
        template.hasResourceProperties('AWS::Logs::MetricFilter', {
          LogGroupName: logGroupRef,
          FilterPattern: filterPatternFor(cls, ERROR_CATALOG, ['schemaguard_guard*']),
          MetricTransformations: [{ MetricNamespace: 'Schemaguard/Database/schemaguard-db', MetricName: cls.metricName, MetricValue: '1', Unit: 'Count' }],
        });
      }
    });

    it('uses plain text patterns only (no regex, which CloudWatch limits to 5 per log group) within 1024 characters', () => {
      const patterns = [...filterPatternsByMetric(defaultAlarmsStack().template).values()];
      expect(patterns).toHaveLength(ERROR_CATALOG.length);
      for (const p of patterns) {
        expect(p.length).toBeLessThanOrEqual(1024);
        expect(p).not.toMatch(/%/);
        expect(p).toContain('"]:ERROR:"');
        expect(p).toContain('-"]:STATEMENT:"');
      }
    });

    it("does not count the guard roles' lines (their failing contracts page through the guard's own alarm), nor those of the users named instead", () => {
      const patterns = [...filterPatternsByMetric(defaultAlarmsStack().template).values()];
      // Every user whose name starts with schemaguard_guard: the default roles are schemaguard_guard_<database>.
      for (const p of patterns) expect(p.endsWith(' -":schemaguard_guard"')).toBe(true);
      const prefixed = [...filterPatternsByMetric(alarmsStack({ ignoredUsers: ['shop_guard*', 'metrics'] }).template).values()];
      for (const p of prefixed) expect(p.endsWith(' -":shop_guard" -":metrics@"')).toBe(true);
      const named = [...filterPatternsByMetric(alarmsStack({ ignoredUsers: ['shop_guard', 'metrics'] }).template).values()];
      for (const p of named) expect(p.endsWith(' -":shop_guard@" -":metrics@"')).toBe(true);
      const none = filterPatternsByMetric(alarmsStack({ ignoredUsers: [] }).template);
      for (const cls of ERROR_CATALOG) expect(none.get(cls.metricName)).toBe(filterPatternFor(cls));
    });

    it('refuses an ignored user the log could not print as one name', () => {
      expect(() => alarmsStack({ ignoredUsers: ['app user'] })).toThrow(
        'DatabaseAlarms: "ignoredUsers" names database users as the log prints them (1-63 characters, no space, quote, : or @; a final * for every name that starts so), got "app user"',
      );
      expect(() => alarmsStack({ ignoredUsers: ['*guard'] })).toThrow(/"ignoredUsers" names database users .* got "\*guard"/);
    });

    it("publishes to the database's own namespace, Schemaguard/Database/<identifier>, the identifier read from the log group name", () => {
      const { alarms, template } = defaultAlarmsStack();
      expect(alarms.metricNamespace).toBe('Schemaguard/Database/schemaguard-db');
      expect(alarms.metric('deadlock').namespace).toBe('Schemaguard/Database/schemaguard-db');
      template.allResourcesProperties('AWS::Logs::MetricFilter', {
        MetricTransformations: [Match.objectLike({ MetricNamespace: 'Schemaguard/Database/schemaguard-db', Dimensions: Match.absent() })],
      });
      template.allResourcesProperties('AWS::CloudWatch::Alarm', { Namespace: 'Schemaguard/Database/schemaguard-db' });
      const dashboard = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
      expect(dashboard).toContain('Schemaguard/Database/schemaguard-db');
      expect(dashboard).not.toMatch(/Schemaguard\/Database\\",/);
    });

    it("reads the identifier from an imported log group (an Aurora cluster's), or takes databaseIdentifier", () => {
      const app = new App();
      const stack = new Stack(app, 'Imported', { env: { account: '111111111111', region: 'eu-west-1' } });
      const cluster = new DatabaseAlarms(stack, 'Cluster', {
        logGroup: logs.LogGroup.fromLogGroupName(stack, 'ClusterLog', '/aws/rds/cluster/orders-aurora/postgresql'),
      });
      expect(cluster.metricNamespace).toBe('Schemaguard/Database/orders-aurora');
      const given = new DatabaseAlarms(stack, 'Given', { logGroup: new logs.LogGroup(stack, 'Generated'), databaseIdentifier: 'widgets-db' });
      expect(given.metricNamespace).toBe('Schemaguard/Database/widgets-db');
    });

    it('refuses a log group that names no database, unless databaseIdentifier or metricNamespace says which', () => {
      const stack = new Stack(new App(), 'Unnamed');
      expect(() => new DatabaseAlarms(stack, 'A', { logGroup: new logs.LogGroup(stack, 'Generated') })).toThrow(
        'DatabaseAlarms: the log group whose name is known only at deploy time is not named /aws/rds/<instance|cluster>/<identifier>/postgresql, so the database whose errors it counts is unknown, and each database needs metrics of its own (two databases\' alarms in one namespace count each other\'s errors); pass "databaseIdentifier" (the instance or cluster identifier) or "metricNamespace"',
      );
      expect(() => new DatabaseAlarms(stack, 'B', { logGroup: logs.LogGroup.fromLogGroupName(stack, 'AppLog', '/app/postgres') })).toThrow(
        /^DatabaseAlarms: the log group "\/app\/postgres" is not named/,
      );
      expect(
        new DatabaseAlarms(stack, 'C', { logGroup: logs.LogGroup.fromLogGroupName(stack, 'AppLog2', '/app/postgres'), metricNamespace: 'Shop/Postgres' })
          .metricNamespace,
      ).toBe('Shop/Postgres');
    });

    it('regression: two databases in one account and region never share a metric (an error in dev paged prod)', () => {
      const app = new App();
      const env = { account: '111111111111', region: 'eu-west-1' };
      const stacks = ['dev', 'prod'].map((stage) => {
        const stack = new Stack(app, `Shop-${stage}`, { env });
        const logGroup = new logs.LogGroup(stack, 'PostgresLog', { logGroupName: `/aws/rds/instance/shop-${stage}/postgresql` });
        new DatabaseAlarms(stack, 'Alarms', { logGroup });
        return stack;
      });
      const namespaces = stacks.map((stack) => {
        const filters = Template.fromStack(stack).findResources('AWS::Logs::MetricFilter');
        return new Set(Object.values(filters).map((f) => f.Properties.MetricTransformations[0].MetricNamespace as string));
      });
      expect([...namespaces[0]!]).toEqual(['Schemaguard/Database/shop-dev']);
      expect([...namespaces[1]!]).toEqual(['Schemaguard/Database/shop-prod']);
    });

    it('refuses a second DatabaseAlarms of the app with the same namespace in the same account and region, naming both', () => {
      const app = new App();
      const env = { account: '111111111111', region: 'eu-west-1' };
      const alarmsIn = (id: string, props: Partial<DatabaseAlarmsProps> = {}, stackEnv = env) => {
        const stack = new Stack(app, id, { env: stackEnv });
        return () =>
          new DatabaseAlarms(stack, 'Alarms', { logGroup: logs.LogGroup.fromLogGroupName(stack, 'Log', '/aws/rds/instance/shop/postgresql'), ...props });
      };
      alarmsIn('First')();
      // Regression (tester): two stages with one instance identifier were told to set "metricNamespace"; the cause is the one identifier (and log group), which RDS and CloudWatch Logs refuse anyway.
      expect(alarmsIn('Second')).toThrow(
        'DatabaseAlarms: Second/Alarms and First/Alarms both watch the log group /aws/rds/instance/shop/postgresql in the same account and region, so both are for the database identifier "shop". ' +
          'Two databases of one identifier cannot exist there (RDS refuses the second instance or cluster, and CloudWatch Logs a second log group of that name), and one database needs one DatabaseAlarms. ' +
          'Give each stage its own identifier (stacks: "instanceIdentifier" or "clusterIdentifier", context schemaguard:instanceIdentifier, default schemaguard-<stage>-<databaseName>), and its log group and namespace follow; ' +
          'another "metricNamespace" alone would not help: the second deploy would still fail on the identifier',
      );
      // Different log groups, one namespace given by hand: the namespace is the cause.
      expect(
        alarmsIn('SharedNamespace', {
          metricNamespace: 'Shared/Postgres',
          logGroup: logs.LogGroup.fromLogGroupName(new Stack(app, 'L1', { env }), 'Log', '/aws/rds/instance/a/postgresql'),
        }),
      ).not.toThrow();
      expect(
        alarmsIn('SharedNamespace2', {
          metricNamespace: 'Shared/Postgres',
          logGroup: logs.LogGroup.fromLogGroupName(new Stack(app, 'L2', { env }), 'Log', '/aws/rds/instance/b/postgresql'),
        }),
      ).toThrow(
        'DatabaseAlarms: SharedNamespace2/Alarms would publish its error metrics to namespace "Shared/Postgres", which SharedNamespace/Alarms already does in the same account and region: each would page for the other\'s errors. Give each database its own: pass "metricNamespace" (stacks: "metricNamespace"), or "databaseIdentifier", or put one DatabaseAlarms on each log group',
      );
      expect(alarmsIn('OtherRegion', {}, { ...env, region: 'us-east-1' })).not.toThrow();
      expect(alarmsIn('OwnNamespace', { metricNamespace: 'Shop/Postgres' })).not.toThrow();
      expect(alarmsIn('SameOwnNamespace', { metricNamespace: 'Shop/Postgres' })).toThrow(
        /SameOwnNamespace\/Alarms and OwnNamespace\/Alarms both watch the log group \/aws\/rds\/instance\/shop\/postgresql/,
      );
      // Stacks without an account and region may be deployed anywhere: compared within each stack only.
      const agnostic = new Stack(app, 'Agnostic');
      const log = (id: string) => logs.LogGroup.fromLogGroupName(agnostic, id, '/aws/rds/instance/shop/postgresql');
      expect(() => new DatabaseAlarms(new Stack(app, 'AgnosticOther'), 'Alarms', { logGroup: log('Log0') })).not.toThrow();
      expect(() => new DatabaseAlarms(agnostic, 'Alarms1', { logGroup: log('Log1') })).not.toThrow();
      expect(() => new DatabaseAlarms(agnostic, 'Alarms2', { logGroup: log('Log2') })).toThrow(
        /Agnostic\/Alarms2 and Agnostic\/Alarms1 both watch the log group \/aws\/rds\/instance\/shop\/postgresql/,
      );
    });

    it('uses the namespace given', () => {
      const { template } = alarmsStack({ metricNamespace: 'Shop/Postgres' });
      template.hasResourceProperties('AWS::Logs::MetricFilter', { MetricTransformations: [Match.objectLike({ MetricNamespace: 'Shop/Postgres' })] });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'Shop/Postgres' });
    });

    it('alarms only on the classes given', () => {
      const { template } = alarmsStack({ errorClasses: ['not-null-violation', 'deadlock'] });
      template.resourceCountIs('AWS::Logs::MetricFilter', 2);
      template.resourceCountIs('AWS::CloudWatch::Alarm', 2);
      expect([...filterPatternsByMetric(template).keys()].sort()).toEqual(['Deadlocks', 'NotNullViolations']);
    });
  });

  describe('alarms', () => {
    it('alarms per class on Sum over 1 minute >= 1, one datapoint out of QUIET_MINUTES, missing data not breaching, alarm and OK actions to the paging topic, or to the ticket topic for a ticket class', () => {
      const { template } = defaultAlarmsStack();
      template.resourceCountIs('AWS::CloudWatch::Alarm', ERROR_CATALOG.length);
      for (const cls of ERROR_CATALOG) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'Schemaguard/Database/schemaguard-db',
          MetricName: cls.metricName,
          Statistic: 'Sum',
          Period: 60,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          EvaluationPeriods: QUIET_MINUTES,
          DatapointsToAlarm: 1,
          TreatMissingData: 'notBreaching',
          // A 25P02's alarm pages through its composite (below), held back while the error before it pages.
          AlarmActions: cls.followsAnotherError ? Match.absent() : [cls.severity === 'ticket' ? ticketTopicRef() : topicRef()],
          OKActions: cls.followsAnotherError ? Match.absent() : [cls.severity === 'ticket' ? ticketTopicRef() : topicRef()],
          AlarmDescription: alarmDescriptionFor(cls, FOLDER, cls.followsAnotherError ? HELD_PAGED_BY : undefined),
        });
      }
    });

    it('carries the runbook (severity, SQLSTATE, meaning, the saved query name, fix) in a description CloudWatch accepts', () => {
      for (const cls of ERROR_CATALOG) {
        const d = alarmDescriptionFor(cls, FOLDER);
        expect(d.length).toBeLessThanOrEqual(MAX_ALARM_DESCRIPTION_LENGTH);
        expect(d).toContain(`[${cls.severity.toUpperCase()}]`);
        expect(d).toContain(`SQLSTATE ${cls.sqlstate}`);
        expect(d).toContain(cls.runbook.meaning);
        expect(d).toContain(cls.runbook.fix);
        expect(d).toMatch(new RegExp(`\\nOver: OK after ${QUIET_MINUTES} minutes without one\\. More: docs guide/on-call\\.$`));
        expect(d).toContain(`\nFind: the saved Logs Insights query "${savedQueryNameFor(cls, FOLDER)}".\n`);
      }
    });

    it('names alarms <prefix>-<severity>-<class> when a prefix is given', () => {
      const { template } = alarmsStack({ alarmNamePrefix: 'shop-prod', withFunction: true });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'shop-prod-page-not-null-violation' });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'shop-prod-ticket-deadlock' });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'shop-prod-page-migration-errors' });
    });

    it('alarms on the migration Lambda errors when a function is given', () => {
      const { template } = alarmsStack({ withFunction: true });
      template.resourceCountIs('AWS::CloudWatch::Alarm', ERROR_CATALOG.length + 1);
      // The function's Errors, and the RollbackProblems it reports (a rollback's Update that met a failure and went on), added up.
      const perMinute = (namespace: string, name: string, id: string) =>
        Match.objectLike({
          Id: id,
          MetricStat: {
            Metric: { Namespace: namespace, MetricName: name, Dimensions: [{ Name: 'FunctionName', Value: Match.anyValue() }] },
            Period: 60,
            Stat: 'Sum',
          },
          ReturnData: false,
        });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Metrics: [
          Match.objectLike({ Expression: 'FILL(e0, 0) + FILL(r0, 0)', ReturnData: true }),
          perMinute('AWS/Lambda', 'Errors', 'e0'),
          perMinute('Schemaguard/Migrations', 'RollbackProblems', 'r0'),
        ],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: QUIET_MINUTES,
        DatapointsToAlarm: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: [topicRef()],
        OKActions: [topicRef()],
        AlarmDescription: {
          'Fn::Join': [
            '',
            [
              Match.stringLikeRegexp('^\\[PAGE\\] The schema-migration Lambda failed'),
              Match.anyValue(),
              Match.stringLikeRegexp(`^ and the stack events[\\s\\S]*\\nOver: the alarm clears after ${QUIET_MINUTES} minutes`),
            ],
          ],
        },
      });
    });

    // Regression (helper): the runbook named /aws/lambda/<function>, which SchemaMigrations' handlers never write to (they log to their own HandlerLogs).
    it("names the log group of the function's logging configuration in the runbook, and Lambda's default for a function without one", () => {
      const stack = new Stack(new App(), 'OwnLogs');
      const own = new logs.LogGroup(stack, 'HandlerLogs', { logGroupName: 'orders-migrations-logs' });
      const code = lambda.Code.fromInline('exports.handler = async () => {}');
      const fn = new lambda.Function(stack, 'Fn', { code, handler: 'index.handler', runtime: lambda.Runtime.NODEJS_22_X, logGroup: own });
      const plain = new lambda.Function(stack, 'Plain', { code, handler: 'index.handler', runtime: lambda.Runtime.NODEJS_22_X });
      const pg = (id: string) => new logs.LogGroup(stack, id, { logGroupName: `/aws/rds/instance/${id.toLowerCase()}/postgresql` });
      new DatabaseAlarms(stack, 'A', { logGroup: pg('OrdersA'), migrationFunctions: [fn], alarmEmail: 'oncall@example.com' });
      new DatabaseAlarms(stack, 'B', { logGroup: pg('OrdersB'), migrationFunctions: [plain], alarmEmail: 'oncall@example.com' });
      const descriptions = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm'))
        .map((a) => JSON.stringify(a.Properties.AlarmDescription))
        .filter((d) => d.includes('schema-migration Lambda'));
      expect(descriptions).toHaveLength(2);
      expect(descriptions[0]).toContain(
        `Find: the log group ",{"Ref":"${stack.getLogicalId(own.node.defaultChild as logs.CfnLogGroup)}"}," and the stack events`,
      );
      expect(descriptions[1]).toContain(
        `Find: the log group /aws/lambda/",{"Ref":"${stack.getLogicalId(plain.node.defaultChild as lambda.CfnFunction)}"}," and the stack events`,
      );
    });

    it('every description, alarms and composite alarms, fits 1,024 characters once deployed with a 63-character identifier, the longest query folder and migration log groups named at deploy time (a log group name counted at 512 characters, a function name at 64)', () => {
      // Prepare: a 63-character identifier in the RDS log group's name, the longest queryFolder (100), both ways the migration log group is named at deploy time.
      const stack = new Stack(new App(), 'S'.repeat(128));
      const identifier = `i${'-0'.repeat(31)}`;
      const code = lambda.Code.fromInline('exports.handler = async () => {}');
      const own = new lambda.Function(stack, 'Fn', {
        code,
        handler: 'index.handler',
        runtime: lambda.Runtime.NODEJS_22_X,
        logGroup: new logs.LogGroup(stack, 'HandlerLogs'),
      });
      const plain = new lambda.Function(stack, 'Plain', { code, handler: 'index.handler', runtime: lambda.Runtime.NODEJS_22_X });
      const logGroup = new logs.LogGroup(stack, 'PostgresLog', { logGroupName: `/aws/rds/instance/${identifier}/postgresql` });
      const queryFolder = `q/${'f'.repeat(98)}`;
      // Act
      new DatabaseAlarms(stack, 'A', { logGroup, migrationFunctions: [own], queryFolder, alarmNamePrefix: 'p'.repeat(100) });
      new DatabaseAlarms(stack, 'B', { logGroup, migrationFunctions: [plain], metricNamespace: 'Other/Namespace', queryFolder });
      const longest = longestAlarmDescriptions(Template.fromStack(stack));
      // Assess: every alarm and composite alarm, resolved at its longest (a log group name at 512, a function name at 64), counted as CloudWatch counts
      expect(longest.size).toBe(2 * (ERROR_CATALOG.length + 1 + ERROR_CATALOG.filter((c) => c.followsAnotherError).length + 1));
      const migration = [...longest.values()].filter((d) => d.startsWith('[PAGE] The schema-migration Lambda failed'));
      expect(migration.map((d) => /the log group (\S+) and/.exec(d)?.[1]?.length)).toEqual([512, '/aws/lambda/'.length + 64]);
      for (const [logicalId, text] of longest) expect(text.length, logicalId).toBeLessThanOrEqual(MAX_ALARM_DESCRIPTION_LENGTH);
    });

    // Regression: a number known only at deploy time in the log group's name was counted as its placeholder (22 to 24 characters), so a
    // description synth passed at 1,024 could deploy longer; a list token reached CDK's own "encoded list token string" error.
    it('counts a number token in migrationLogGroupName at the longest a number prints as, refusing a description that may pass 1,024 characters; refuses a list token', () => {
      // Prepare: the description's length without the name, and a name that makes it exactly 1,024 with the number token as its placeholder
      const migrationFunctions = (stack: Stack) => [lambda.Function.fromFunctionName(stack, 'Migrations', 'schemaguard-migrations')];
      const describedWith = (name: string) => {
        const stack = new Stack(new App(), 'Described');
        const logGroup = logs.LogGroup.fromLogGroupName(stack, 'Pg', LOG_GROUP_NAME);
        new DatabaseAlarms(stack, 'A', { logGroup, migrationFunctions: migrationFunctions(stack), migrationLogGroupName: name, metricNamespace: 'Test/Ns' });
        return stack;
      };
      const literal = Object.values(Template.fromStack(describedWith('x')).findResources('AWS::CloudWatch::Alarm'))
        .map((a) => a.Properties.AlarmDescription)
        .find((d) => typeof d === 'string' && d.includes('schema-migration Lambda')) as string;
      const stack = new Stack(new App(), 'Numbered');
      const port = new CfnParameter(stack, 'Port', { type: 'Number' }).valueAsNumber;
      const room = MAX_ALARM_DESCRIPTION_LENGTH - (literal.length - 1) - String(port).length;
      const logGroup = logs.LogGroup.fromLogGroupName(stack, 'Pg', LOG_GROUP_NAME);
      // Act / Assess: at its placeholder it fits exactly; as deployed it may take 25 characters
      expect(
        () =>
          new DatabaseAlarms(stack, 'Over', { logGroup, migrationFunctions: migrationFunctions(stack), migrationLogGroupName: `${'g'.repeat(room)}${port}` }),
      ).toThrow(
        `DatabaseAlarms: the migration alarm's runbook makes an alarm description of up to ${MAX_ALARM_DESCRIPTION_LENGTH - String(port).length + 25} characters once deployed; CloudWatch allows ${MAX_ALARM_DESCRIPTION_LENGTH}. Pass a shorter "migrationLogGroupName"`,
      );
      const shorter = `${'g'.repeat(room - (25 - String(port).length))}${port}`;
      expect(() => describedWith(shorter)).not.toThrow();
      const zones = new CfnParameter(stack, 'Zones', { type: 'CommaDelimitedList' }).valueAsList;
      expect(() => describedWith(`/aws/lambda/${zones}`)).toThrow(
        `DatabaseAlarms: "migrationLogGroupName" holds a list known only at deploy time (${String(zones)}), which CloudFormation cannot put into a description`,
      );
    });

    it('has no Lambda alarm without a function', () => {
      const { template } = defaultAlarmsStack();
      expect(JSON.stringify(template.findResources('AWS::CloudWatch::Alarm'))).not.toContain('AWS/Lambda');
    });
  });

  describe('one incident, one page: a 25P02 after the error that aborted its transaction', () => {
    /** A composite alarm's rule with each alarm's logical id in place of its ARN. */
    type Part = string | { 'Fn::GetAtt': [string, string] };
    type Composite = { Properties: { AlarmRule: { 'Fn::Join': [string, Part[]] } } };
    const ruleOf = (r: object) => (r as Composite).Properties.AlarmRule['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : p['Fn::GetAtt'][0])).join('');
    const composites = (template: Template) => template.findResources('AWS::CloudWatch::CompositeAlarm');

    it("pages for it through a composite alarm, its actions suppressed while another paging class's alarm is in ALARM", () => {
      const { template } = defaultAlarmsStack();
      const all = composites(template);
      expect(Object.keys(all).sort()).toEqual([
        expect.stringMatching(/^DatabaseAlarmsOtherPagesAlarm/),
        expect.stringMatching(/^DatabaseAlarmsTransactionAbortedPage/),
      ]);
      const [suppressorId, suppressor] = Object.entries(all).find(([id]) => id.startsWith('DatabaseAlarmsOtherPagesAlarm'))!;
      const [, page] = Object.entries(all).find(([id]) => id.startsWith('DatabaseAlarmsTransactionAbortedPage'))!;
      // The suppressor: every other paging class (never a ticket class, never the 25P02 itself), no actions of its own.
      const causes = ERROR_CATALOG.filter((c) => c.severity === 'page' && !c.followsAnotherError);
      expect(causes.map((c) => c.id)).toEqual(['not-null-violation', 'on-conflict-without-constraint', 'undefined-function']);
      const rule = ruleOf(suppressor);
      for (const c of ERROR_CATALOG) expect([c.id, rule.includes(`ALARM("DatabaseAlarms${pascalOf(c.id)}Alarm`)]).toEqual([c.id, causes.includes(c)]);
      expect(rule.split(' OR ')).toHaveLength(causes.length);
      expect(suppressor.Properties.AlarmActions).toBeUndefined();
      expect(suppressor.Properties.AlarmDescription).toMatch(
        /^\[STATE\] In ALARM while any of these paging alarms is: Not-null violation, ON CONFLICT without a matching constraint, Undefined function\. No actions/,
      );
      // The page: the 25P02 alarm's state, the runbook, the topic; it waits 2 minutes for the other alarm to fire, and pages alone 5 minutes after it cleared.
      expect(ruleOf(page)).toMatch(/^ALARM\("DatabaseAlarmsTransactionAbortedAlarm[0-9A-F]{8}"\)$/);
      expect(page.Properties).toMatchObject({
        ActionsSuppressor: { 'Fn::GetAtt': [suppressorId, 'Arn'] },
        ActionsSuppressorWaitPeriod: 120,
        ActionsSuppressorExtensionPeriod: 300,
        AlarmActions: [{ Ref: expect.stringMatching(/^DatabaseAlarmsTopic[0-9A-F]{8}$/) }],
        OKActions: [{ Ref: expect.stringMatching(/^DatabaseAlarmsTopic[0-9A-F]{8}$/) }],
        AlarmDescription: alarmDescriptionFor(ERROR_CATALOG.find((c) => c.followsAnotherError)!, FOLDER),
      });
      expect(alarmDescriptionFor(ERROR_CATALOG.find((c) => c.id === 'transaction-aborted')!)).toContain(
        'It pages only while no other paging alarm of this database is in ALARM.',
      );
      // Regression: the 25P02's own alarm (no actions) also read [PAGE]; it names the alarm that pages.
      const own = Object.values(template.findResources('AWS::CloudWatch::Alarm')).find((a) => a.Properties.MetricName === 'TransactionAborted')!;
      expect(own.Properties.AlarmActions).toBeUndefined();
      // Regression: without alarmNamePrefix it named the construct id (TransactionAbortedPage), not the name CloudFormation gives the composite.
      expect(own.Properties.AlarmDescription).toMatch(
        /^\[STATE\] PostgreSQL Current transaction aborted \(SQLSTATE 25P02\) logged\. No actions: the composite alarm of this stack whose description starts "\[PAGE\] PostgreSQL Current transaction aborted" pages\.\nMeaning: /,
      );
      expect(page.Properties.AlarmDescription).toMatch(/^\[PAGE\] PostgreSQL Current transaction aborted /);
    });

    it('names them <prefix>-page-transaction-aborted-alone and <prefix>-state-other-pages with a prefix; the ticket topic does not take the page', () => {
      const tickets = sns.Topic.fromTopicArn(new Stack(new App(), 'Ticketing'), 'Queue', 'arn:aws:sns:eu-west-1:111111111111:tickets');
      const { template } = alarmsStack({ alarmNamePrefix: 'shop-prod', ticketTopic: tickets });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'shop-prod-ticket-deadlock',
        AlarmActions: ['arn:aws:sns:eu-west-1:111111111111:tickets'],
      });
      template.hasResourceProperties('AWS::CloudWatch::CompositeAlarm', { AlarmName: 'shop-prod-page-transaction-aborted-alone', AlarmActions: [topicRef()] });
      template.hasResourceProperties('AWS::CloudWatch::CompositeAlarm', { AlarmName: 'shop-prod-state-other-pages' });
      // The 25P02's own alarm keeps its name (renaming it would have CloudFormation create the composite under a name still in use).
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'shop-prod-page-transaction-aborted',
        AlarmActions: Match.absent(),
        AlarmDescription: Match.stringLikeRegexp('^\\[STATE\\] .* No actions: the composite alarm shop-prod-page-transaction-aborted-alone pages\\.'),
      });
    });

    it.each([
      [['transaction-aborted', 'deadlock'], true],
      [['not-null-violation', 'unique-violation'], false],
    ])("holds nothing back when no other paging class is alarmed (errorClasses %j): the class's own alarm pages", (errorClasses, withAborted) => {
      const { template, alarms } = alarmsStack({ errorClasses });
      template.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 0);
      expect(alarms.heldPages).toEqual({});
      expect(alarms.otherPagesAlarm).toBeUndefined();
      if (withAborted)
        template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'TransactionAborted', AlarmActions: [topicRef()], OKActions: [topicRef()] });
      else template.resourceCountIs('AWS::CloudWatch::Alarm', 2);
    });
  });

  describe('topic', () => {
    it('encrypts both topics (pages, tickets) with one rotating KMS key that CloudWatch may use', () => {
      const { template } = defaultAlarmsStack();
      template.resourceCountIs('AWS::SNS::Topic', 2);
      template.resourceCountIs('AWS::KMS::Key', 1);
      template.allResourcesProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DatabaseAlarmsTopicKey'), 'Arn'] } });
      template.hasResourceProperties('AWS::SNS::Topic', { DisplayName: 'schemaguard database alarms' });
      template.hasResourceProperties('AWS::SNS::Topic', { DisplayName: 'schemaguard database tickets' });
      template.hasResourceProperties('AWS::KMS::Key', {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            }),
          ]),
        },
      });
    });

    it('lets CloudWatch use the key only for alarms of this account and region (aws:SourceAccount, aws:SourceArn), never unconditionally', () => {
      const { template } = defaultAlarmsStack();
      const [key] = Object.values(template.findResources('AWS::KMS::Key'));
      const forCloudWatch = (key!.Properties.KeyPolicy.Statement as { Principal?: { Service?: string }; Condition?: unknown; Resource: unknown }[]).filter(
        (st) => st.Principal?.Service === 'cloudwatch.amazonaws.com',
      );
      expect(forCloudWatch).toHaveLength(1);
      expect(forCloudWatch[0]!.Resource).toBe('*');
      // The test stack's environment: account 111111111111, eu-west-1.
      expect(forCloudWatch[0]!.Condition).toEqual({
        StringEquals: { 'aws:SourceAccount': '111111111111' },
        ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:eu-west-1:111111111111:alarm:*']] } },
      });
    });

    it('denies publishing without TLS (aws:SecureTransport) on both topics', () => {
      const { template } = defaultAlarmsStack();
      for (const ref of [topicRef(), ticketTopicRef()]) {
        template.hasResourceProperties('AWS::SNS::TopicPolicy', {
          Topics: [ref],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Effect: 'Deny',
                Principal: '*',
                Action: 'sns:Publish',
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              }),
            ]),
          },
        });
      }
    });

    it('uses the key given instead of creating one', () => {
      const keyArn = 'arn:aws:kms:eu-west-1:111111111111:key/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9';
      const { template } = alarmsStack({ keyArn });
      template.resourceCountIs('AWS::KMS::Key', 0);
      template.resourceCountIs('AWS::SNS::Topic', 2);
      template.allResourcesProperties('AWS::SNS::Topic', { KmsMasterKeyId: keyArn });
    });

    it("sends the pages' alarm and OK actions to the topic given (the one on-call already has) and the tickets' to a ticket topic created here", () => {
      const topicArn = 'arn:aws:sns:eu-west-1:111111111111:oncall-paging';
      const own = alarmsStack({ withFunction: true, alarmEmail: 'oncall@example.com', topicArn });
      own.template.resourceCountIs('AWS::SNS::Topic', 1);
      own.template.hasResourceProperties('AWS::SNS::Topic', { DisplayName: 'schemaguard database tickets' });
      own.template.resourceCountIs('AWS::CloudWatch::Alarm', ERROR_CATALOG.length + 1);
      for (const [id, alarm] of Object.entries(own.template.findResources('AWS::CloudWatch::Alarm'))) {
        const held = id.startsWith('DatabaseAlarmsTransactionAbortedAlarm');
        const ticket = ERROR_CATALOG.some((c) => c.severity === 'ticket' && id.startsWith(`DatabaseAlarms${pascalOf(c.id)}Alarm`));
        const target = held ? undefined : ticket ? [{ Ref: expect.stringMatching(/^DatabaseAlarmsTicketTopic[0-9A-F]{8}$/) }] : [topicArn];
        expect({ id, actions: alarm.Properties.AlarmActions, ok: alarm.Properties.OKActions }).toEqual({ id, actions: target, ok: target });
      }
      own.template.hasResourceProperties('AWS::CloudWatch::CompositeAlarm', {
        AlarmActions: [topicArn],
        OKActions: [topicArn],
        ActionsSuppressor: Match.anyValue(),
      });
      own.template.hasResourceProperties('AWS::SNS::Subscription', { TopicArn: topicArn, Protocol: 'email', Endpoint: 'oncall@example.com' });
      expect(own.alarms.topic.topicArn).toBe(topicArn);
      expect(own.alarms.topicKey).toBeDefined();
    });

    it('creates no topic or key when both topics are given, and refuses topicKey then', () => {
      const topicArn = 'arn:aws:sns:eu-west-1:111111111111:oncall-paging';
      const tickets = sns.Topic.fromTopicArn(new Stack(new App(), 'Ticketing'), 'Queue', 'arn:aws:sns:eu-west-1:111111111111:tickets');
      const { alarms, template } = alarmsStack({ topicArn, ticketTopic: tickets });
      template.resourceCountIs('AWS::SNS::Topic', 0);
      template.resourceCountIs('AWS::KMS::Key', 0);
      expect(alarms.topicKey).toBeUndefined();
      expect(alarms.ticketTopic).toBe(tickets);
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'UniqueViolations',
        AlarmActions: ['arn:aws:sns:eu-west-1:111111111111:tickets'],
        OKActions: ['arn:aws:sns:eu-west-1:111111111111:tickets'],
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'NotNullViolations', AlarmActions: [topicArn], OKActions: [topicArn] });
    });

    it('keeps the logical IDs of the single topic of before (key, topic, subscriptions): a deployed stack updates in place', () => {
      const { template } = alarmsStack({ alarmEmail: 'oncall@example.com', alarmHttpsUrl: 'https://events.example.com/x' });
      const ids = (type: string) => Object.keys(template.findResources(type)).sort();
      expect(ids('AWS::KMS::Key')).toEqual([expect.stringMatching(/^DatabaseAlarmsTopicKey[0-9A-F]{8}$/)]);
      expect(ids('AWS::SNS::Topic')).toEqual([
        expect.stringMatching(/^DatabaseAlarmsTicketTopic[0-9A-F]{8}$/),
        expect.stringMatching(/^DatabaseAlarmsTopic[0-9A-F]{8}$/),
      ]);
      // The paging email gets the tickets too (no ticket destination given): one subscription more, the old ones' IDs kept.
      expect(ids('AWS::SNS::Subscription')).toEqual([
        expect.stringMatching(/^DatabaseAlarmsEmailSubscription[0-9A-F]{8}$/),
        expect.stringMatching(/^DatabaseAlarmsHttpsSubscription[0-9A-F]{8}$/),
        expect.stringMatching(/^DatabaseAlarmsTicketEmailSubscription[0-9A-F]{8}$/),
      ]);
    });
  });

  describe('tickets: a destination of their own', () => {
    // Regression (on-call review, real synth): with only a PagerDuty URL, every ticket class (a duplicate key, a deploy's retried lock timeout) paged at night.
    it('regression: with only a paging HTTPS endpoint, no ticket alarm publishes to the paging topic, and synth warns that tickets reach no one', () => {
      const { stack, template } = alarmsStack({ alarmHttpsUrl: 'https://events.pagerduty.example/integration/abc/enqueue', withFunction: true });
      const onPagingTopic = Object.values(template.findResources('AWS::CloudWatch::Alarm'))
        .filter(
          (a) =>
            JSON.stringify(a.Properties.AlarmActions ?? []).includes('DatabaseAlarmsTopic') ||
            JSON.stringify(a.Properties.OKActions ?? []).includes('DatabaseAlarmsTopic'),
        )
        .map((a) => String(a.Properties.MetricName ?? 'migration errors and rollback problems'));
      expect(onPagingTopic.sort()).toEqual(
        [
          'migration errors and rollback problems',
          ...ERROR_CATALOG.filter((c) => c.severity === 'page' && !c.followsAnotherError).map((c) => c.metricName),
        ].sort(),
      );
      template.resourceCountIs('AWS::SNS::Subscription', 1);
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'https', TopicArn: topicRef() });
      const warnings = ticketWarnings(stack);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.entry.data).toContain(
        `the ${TICKET_CLASSES.length} ticket alarms (${TICKET_CLASSES.join(', ')}) publish to the ticket topic AlarmsTest/DatabaseAlarms/TicketTopic, which nothing subscribes to here`,
      );
      expect(warnings[0]!.entry.data).toContain('-c schemaguard:alarmTicketHttpsUrl=');
      expect(warnings[0]!.entry.data).toContain('[ack: schemaguard:ticketsWithoutDestination]');
    });

    it('subscribes ticketEmail and ticketHttpsUrl to the ticket topic only, and does not warn', () => {
      const { stack, template } = alarmsStack({
        alarmHttpsUrl: 'https://events.pagerduty.example/integration/pages/enqueue',
        ticketEmail: 'db-tickets@example.com',
        ticketHttpsUrl: 'https://events.pagerduty.example/integration/low-urgency/enqueue',
      });
      template.resourceCountIs('AWS::SNS::Subscription', 3);
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'https',
        Endpoint: 'https://events.pagerduty.example/integration/pages/enqueue',
        TopicArn: topicRef(),
      });
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'db-tickets@example.com', TopicArn: ticketTopicRef() });
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'https',
        Endpoint: 'https://events.pagerduty.example/integration/low-urgency/enqueue',
        TopicArn: ticketTopicRef(),
      });
      const ids = Object.keys(template.findResources('AWS::SNS::Subscription')).sort();
      expect(ids).toEqual([
        expect.stringMatching(/^DatabaseAlarmsHttpsSubscription/),
        expect.stringMatching(/^DatabaseAlarmsTicketEmailSubscription/),
        expect.stringMatching(/^DatabaseAlarmsTicketHttpsSubscription/),
      ]);
      expect(ticketWarnings(stack)).toEqual([]);
    });

    it('subscribes ticketHttpsUrl to a ticketTopic given, as alarmHttpsUrl to a topic given', () => {
      const tickets = sns.Topic.fromTopicArn(new Stack(new App(), 'Ticketing'), 'Queue', 'arn:aws:sns:eu-west-1:111111111111:tickets');
      const { template } = alarmsStack({ ticketTopic: tickets, ticketHttpsUrl: '{{resolve:secretsmanager:schemaguard/ticket-url}}' });
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'https',
        Endpoint: '{{resolve:secretsmanager:schemaguard/ticket-url}}',
        TopicArn: 'arn:aws:sns:eu-west-1:111111111111:tickets',
      });
    });

    it('takes the paging topic as the ticket topic when asked: tickets arrive there, marked [TICKET], and nothing is warned', () => {
      const topicArn = 'arn:aws:sns:eu-west-1:111111111111:oncall';
      const stack = new Stack(new App(), 'Shared');
      const onCall = sns.Topic.fromTopicArn(stack, 'OnCall', topicArn);
      const logGroup = new logs.LogGroup(stack, 'PostgresLog', { logGroupName: '/aws/rds/instance/shared-db/postgresql' });
      new DatabaseAlarms(stack, 'Alarms', { logGroup, topic: onCall, ticketTopic: onCall });
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::SNS::Topic', 0);
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'Deadlocks',
        AlarmActions: [topicArn],
        AlarmDescription: Match.stringLikeRegexp('^\\[TICKET\\]'),
      });
      expect(ticketWarnings(stack)).toEqual([]);
    });

    it.each([
      ['no destination at all (nothing to warn about: nothing pages either)', {}, 0],
      ['only an email for pages (it gets the tickets too)', { alarmEmail: 'oncall@example.com' }, 0],
      [
        'an email and an HTTPS endpoint for pages (the email gets the tickets)',
        { alarmEmail: 'oncall@example.com', alarmHttpsUrl: 'https://events.example.com/x' },
        0,
      ],
      ['a paging topic of your own', { topicArn: 'arn:aws:sns:eu-west-1:111111111111:oncall' }, 1],
      ['no ticket class alarmed', { alarmEmail: 'oncall@example.com', errorClasses: ['not-null-violation'] }, 0],
      ['a ticket email', { alarmEmail: 'oncall@example.com', ticketEmail: 'tickets@example.com' }, 0],
    ])('warns about tickets without a destination: %s', (_what, props, count) => {
      const { stack } = alarmsStack(props);
      expect(ticketWarnings(stack)).toHaveLength(count);
    });

    it('the warning can be acknowledged (a ticket topic subscribed to some other way)', () => {
      const { stack, alarms } = alarmsStack({ alarmHttpsUrl: 'https://events.pagerduty.example/integration/abc/enqueue' });
      expect(ticketWarnings(stack)).toHaveLength(1);
      CoreAnnotations.of(alarms).acknowledgeWarning('schemaguard:ticketsWithoutDestination', 'the ticketing system subscribes to alarms.ticketTopic itself');
      expect(ticketWarnings(stack)).toEqual([]);
    });
  });

  describe('subscriptions', () => {
    it('has none when neither email nor HTTPS endpoint is given', () => {
      defaultAlarmsStack().template.resourceCountIs('AWS::SNS::Subscription', 0);
    });

    // Regression (review of the two topics): an app with only alarmEmail got ticket emails before the ticket topic, and none after it.
    it('subscribes the email address only, to pages and, with no ticket destination of their own, to tickets: a mailbox is not a pager', () => {
      const { template } = alarmsStack({ alarmEmail: 'oncall@example.com' });
      template.resourceCountIs('AWS::SNS::Subscription', 2);
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com', TopicArn: topicRef() });
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com', TopicArn: ticketTopicRef() });
      const withOwn = alarmsStack({ alarmEmail: 'oncall@example.com', ticketHttpsUrl: 'https://tickets.example.com/in' }).template;
      withOwn.resourceCountIs('AWS::SNS::Subscription', 2);
      withOwn.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'https', Endpoint: 'https://tickets.example.com/in', TopicArn: ticketTopicRef() });
    });

    it('subscribes the HTTPS endpoint only', () => {
      const { template } = alarmsStack({ alarmHttpsUrl: 'https://events.example.com/integration/abc/enqueue' });
      template.resourceCountIs('AWS::SNS::Subscription', 1);
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'https',
        Endpoint: 'https://events.example.com/integration/abc/enqueue',
        TopicArn: topicRef(),
      });
    });

    it('subscribes both', () => {
      const { template } = alarmsStack({ alarmEmail: 'oncall@example.com', alarmHttpsUrl: 'https://api.opsgenie.example/v1/json/cloudwatch?apiKey=k' });
      template.resourceCountIs('AWS::SNS::Subscription', 3);
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'https', TopicArn: topicRef() });
    });

    it('keeps a routing key out of the template with a Secrets Manager dynamic reference', () => {
      const ref = SecretValue.secretsManager('schemaguard/pagerduty-url').unsafeUnwrap();
      const { template } = alarmsStack({ alarmHttpsUrl: ref });
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'https',
        Endpoint: '{{resolve:secretsmanager:schemaguard/pagerduty-url:SecretString:::}}',
      });
      const literal = alarmsStack({ alarmHttpsUrl: '{{resolve:secretsmanager:schemaguard/pagerduty-url}}' }).template;
      literal.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'https', Endpoint: '{{resolve:secretsmanager:schemaguard/pagerduty-url}}' });
    });
  });

  describe('saved queries', () => {
    it('are in a folder of this database (schemaguard/<identifier>): two databases in one account would share their names, and a page names its query by name', () => {
      expect(defaultAlarmsStack().alarms.queryFolder).toBe(FOLDER);
      expect(alarmsStack({ databaseIdentifier: 'orders-staging' }).alarms.queryFolder).toBe('schemaguard/orders-staging');
      expect(alarmsStack({ queryFolder: 'shop/db' }).alarms.queryFolder).toBe('shop/db');
    });

    it('saves "last not-null violations with their statements" and "top failing relations" on the log group', () => {
      const { template } = defaultAlarmsStack();
      template.hasResourceProperties('AWS::Logs::QueryDefinition', {
        Name: `${FOLDER}/Last not-null violations with their statements`,
        QueryString: NOT_NULL_WITH_STATEMENTS_QUERY,
        LogGroupNames: [logGroupRef],
      });
      template.hasResourceProperties('AWS::Logs::QueryDefinition', {
        Name: `${FOLDER}/Top failing relations`,
        QueryString: TOP_FAILING_RELATIONS_QUERY,
        LogGroupNames: [logGroupRef],
      });
      template.resourceCountIs('AWS::Logs::QueryDefinition', ERROR_CATALOG.length + 2);
    });

    it("puts them in the folder given, and each alarm names its class's query there", () => {
      const { template } = alarmsStack({ queryFolder: 'shop/db' });
      template.hasResourceProperties('AWS::Logs::QueryDefinition', { Name: 'shop/db/Top failing relations' });
      for (const cls of ERROR_CATALOG) {
        template.hasResourceProperties('AWS::Logs::QueryDefinition', {
          Name: savedQueryNameFor(cls, 'shop/db'),
          QueryString: insightsQueryFor(cls),
          LogGroupNames: [logGroupRef],
        });
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          MetricName: cls.metricName,
          AlarmDescription: alarmDescriptionFor(cls, 'shop/db', cls.followsAnotherError ? HELD_PAGED_BY : undefined),
        });
      }
    });
  });

  describe('dashboard', () => {
    it('graphs every error metric, shows the alarms and a log widget on the PostgreSQL log group', () => {
      const { stack, template } = alarmsStack({ withFunction: true, dashboardName: 'schemaguard-db' });
      const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
      expect(dashboards).toHaveLength(1);
      expect(dashboards[0]!.Properties.DashboardName).toBe('schemaguard-db');
      const body = JSON.parse(
        stack
          .resolve(dashboards[0]!.Properties.DashboardBody)
          ['Fn::Join'][1].map((p: unknown) => (typeof p === 'string' ? p : 'TOKEN'))
          .join(''),
      ) as { widgets: { type: string; properties: Record<string, unknown> }[] };
      const types = body.widgets.map((w) => w.type);
      expect(types.filter((t) => t === 'metric')).toHaveLength(3);
      expect(types).toContain('alarm');
      expect(types).toContain('log');
      const metricsText = JSON.stringify(body.widgets.filter((w) => w.type === 'metric').map((w) => w.properties.metrics));
      for (const cls of ERROR_CATALOG) expect(metricsText).toContain(`"${cls.metricName}"`);
      expect(metricsText).toContain('"Errors"');
      const log = body.widgets.find((w) => w.type === 'log')!;
      expect(String(log.properties.query)).toContain("SOURCE 'TOKEN'");
      expect(String(log.properties.query)).toContain(RECENT_ERRORS_QUERY);
      const alarmsWidget = body.widgets.find((w) => w.type === 'alarm')!;
      // Every class's alarm, the migration alarm, and the composite that pages for a 25P02.
      expect((alarmsWidget.properties.alarms as unknown[]).length).toBe(ERROR_CATALOG.length + 2);
    });

    it('lays out the error-class graphs, then the alarm states, then the log row', () => {
      const { template } = alarmsStack({ withFunction: true });
      expect(layout(dashboardWidgets(template))).toEqual([
        'Errors that page (count per minute) @0,0 12x6',
        'Errors that open a ticket (count per minute) @12,0 12x6',
        'Database alarms @0,6 24x4',
        'Latest PostgreSQL ERROR lines @0,10 16x8',
        'Migration Lambda errors @16,10 8x8',
      ]);
    });

    it('is a DatabaseDashboard: graphs added later sit beside the error-class graphs, above the alarm states', () => {
      const built = alarmsStack({ errorClasses: ['not-null-violation'] });
      built.alarms.dashboard.addGraphs(new cloudwatch.GraphWidget({ title: 'Orders written', left: [built.alarms.metric('not-null-violation')], width: 8 }));
      expect(layout(dashboardWidgets(built.template))).toEqual([
        'Errors that page (count per minute) @0,0 12x6',
        'Orders written @12,0 8x6',
        'Database alarms @0,6 24x4',
        'Latest PostgreSQL ERROR lines @0,10 24x8',
      ]);
    });
  });

  describe('props validation', () => {
    const build = (props: Parameters<typeof alarmsStack>[0]) => () => alarmsStack(props);

    it.each([
      [{ alarmEmail: 'oncall' }, /"alarmEmail" must be an email address, got "oncall"; pass an address such as oncall@example.com/],
      [{ alarmEmail: '' }, /"alarmEmail" must be an email address, got ""/],
      [
        { alarmHttpsUrl: 'http://events.example.com/integration/SECRETKEY/enqueue' },
        /"alarmHttpsUrl" must be an https:\/\/ URL or a \{\{resolve:secretsmanager:...\}\} dynamic reference, got "http:\/\/events.example.com\/..."/,
      ],
      [{ alarmHttpsUrl: 'https://user:pw@events.example.com/x' }, /"alarmHttpsUrl" must not carry credentials/],
      [{ ticketEmail: 'tickets' }, /"ticketEmail" must be an email address, got "tickets"/],
      [
        { ticketHttpsUrl: 'http://events.example.com/integration/SECRETKEY/enqueue' },
        /"ticketHttpsUrl" must be an https:\/\/ URL or a \{\{resolve:secretsmanager:...\}\} dynamic reference, got "http:\/\/events.example.com\/..."/,
      ],
      [{ ticketHttpsUrl: 'https://user:pw@events.example.com/x' }, /"ticketHttpsUrl" must not carry credentials/],
      [{ ticketEmail: 5 as never }, /^DatabaseAlarms: "ticketEmail" is 5 \(a number\); pass a string/],
      [{ metricNamespace: 'AWS/RDS' }, /"metricNamespace" must be .* got "AWS\/RDS"; e.g. "Schemaguard\/Database\/widgets-db"/],
      [
        { databaseIdentifier: 'widgets db' },
        /"databaseIdentifier" must be the literal instance or cluster identifier \(1-63 letters, digits, hyphens\), got "widgets db"/,
      ],
      [{ errorClasses: [] }, /"errorClasses" is empty/],
      [{ errorClasses: ['deadlock', 'deadlock'] }, /"errorClasses" names "deadlock" twice/],
      [{ errorClasses: ['not-null'] }, /"errorClasses" names unknown class "not-null"; known: not-null-violation, /],
      // Regression (a JavaScript app, a value from context): a string failed with "props.errorClasses.map is not a function".
      [{ errorClasses: 'deadlock' as never }, /^DatabaseAlarms: "errorClasses" is "deadlock" \(a string\); pass an array of strings/],
      [{ ignoredUsers: 'rdsadmin' as never }, /^DatabaseAlarms: "ignoredUsers" is "rdsadmin" \(a string\); pass an array of strings, e.g. \['rdsadmin'\]$/],
      [{ ignoredUsers: [5] as never }, /^DatabaseAlarms: "ignoredUsers" is an array; pass an array of strings/],
      [{ dashboardName: 'my dashboard' }, /"dashboardName" may contain only/],
      [{ alarmNamePrefix: 'a b' }, /"alarmNamePrefix" may contain only/],
      [
        {
          topicArn: 'arn:aws:sns:eu-west-1:111111111111:oncall',
          ticketTopic: sns.Topic.fromTopicArn(new Stack(new App(), 'T'), 'Q', 'arn:aws:sns:eu-west-1:111111111111:tickets'),
          keyArn: 'arn:aws:kms:eu-west-1:111111111111:key/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9',
        },
        /"topicKey" encrypts the topics created here, and both "topic" and "ticketTopic" were given; remove topicKey/,
      ],
    ])('throws for %j', (props, message) => {
      expect(build(props)).toThrow(message);
    });

    it('never repeats the path of a rejected URL (where routing keys live)', () => {
      let message = '';
      try {
        alarmsStack({ alarmHttpsUrl: 'http://events.example.com/integration/SECRETKEY/enqueue' });
      } catch (e) {
        message = String(e);
      }
      expect(message).toContain('"alarmHttpsUrl"');
      expect(message).not.toContain('SECRETKEY');
    });

    it('names the unknown class when asked for its metric', () => {
      const { alarms } = alarmsStack({ errorClasses: ['deadlock'] });
      expect(() => alarms.metric('lock-timeout')).toThrow(/error class "lock-timeout" is not alarmed here; alarmed: deadlock/);
      expect(alarms.metric('deadlock').metricName).toBe('Deadlocks');
    });
  });

  describe('cdk-nag', () => {
    const report = (app: App) => {
      const file = join(app.outdir, 'validation-report.json');
      return existsSync(file) ? readFileSync(file, 'utf8') : '';
    };

    it('AwsSolutionsChecks passes on a stack with the construct, its subscriptions and the Lambda alarm', () => {
      const { app } = alarmsStack({
        nag: true,
        withFunction: true,
        alarmEmail: 'oncall@example.com',
        alarmHttpsUrl: 'https://events.example.com/x',
        ticketEmail: 'tickets@example.com',
        ticketHttpsUrl: 'https://events.example.com/t',
      });
      let failure = '';
      try {
        app.synth();
      } catch (e) {
        failure = `${String(e)}\n${report(app)}`;
      }
      expect(failure).toBe('');
    });

    it('is wired so that it fails a topic without TLS enforcement (control)', () => {
      const outdir = mkdtempSync(join(tmpdir(), 'schemaguard-nag-'));
      const app = new App({ outdir });
      new sns.Topic(new Stack(app, 'Control'), 'Plain');
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      try {
        expect(() => app.synth()).toThrow(/AwsSolutions-SNS3/);
      } finally {
        rmSync(outdir, { recursive: true, force: true });
      }
    });
  });

  it('is a construct of its stack', () => {
    const { alarms } = defaultAlarmsStack();
    expect(alarms).toBeInstanceOf(DatabaseAlarms);
    expect(Stack.of(alarms).stackName).toBe('AlarmsTest');
  });
});

describe('Package: schemaguard (lib/index.ts)', () => {
  it('regression: exports what the docs and the runbooks name (QUIET_MINUTES, OLDEST_TRANSACTIONS_SQL and sessionErrorsQuery were only in error-catalog.ts)', async () => {
    // Prepare
    const pkg: Record<string, unknown> = await import('../../../lib/index');
    const docs = ['alarms.md', 'on-call.md'].map((p) => readFileSync(new URL(`../../../docs/guide/${p}`, import.meta.url), 'utf8')).join('\n');
    const named = [
      'QUIET_MINUTES',
      'LOCK_HOLDERS_SQL',
      'OLDEST_TRANSACTIONS_SQL',
      'ON_CALL_POINTER',
      'sessionErrorsQuery',
      'savedQueryNameFor',
      'ALARM_DESCRIPTION_MARGIN',
    ];
    // Assess
    for (const name of named) {
      expect(docs, name).toContain(`\`${name}\``);
      expect(pkg[name], name).toBeDefined();
    }
    expect(pkg.QUIET_MINUTES).toBe(QUIET_MINUTES);
    expect((pkg.sessionErrorsQuery as (pid: string) => string)('7714')).toContain(':\\[7714\\]:ERROR:');
  });
});
