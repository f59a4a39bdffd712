/** A test stack holding DatabaseAlarms on an RDS-style PostgreSQL log group, as DatabaseStack will. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DatabaseAlarms, type DatabaseAlarmsProps } from '../../../lib/alarms/database-alarms';

export const LOG_GROUP_NAME = '/aws/rds/instance/schemaguard-db/postgresql';

const outdirs: string[] = [];

/** Removes the cloud assemblies the stacks of this test file were synthesized to (call in afterAll). */
export function removeAssemblies(): void {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface AlarmsStack {
  app: App;
  stack: Stack;
  alarms: DatabaseAlarms;
  template: Template;
}

export function alarmsStack(
  props: Partial<DatabaseAlarmsProps> & { withFunction?: boolean; nag?: boolean; keyArn?: string; topicArn?: string; context?: Record<string, unknown> } = {},
): AlarmsStack {
  const { withFunction, nag, context, keyArn, topicArn, ...rest } = props;
  const outdir = mkdtempSync(join(tmpdir(), 'schemaguard-alarms-'));
  outdirs.push(outdir);
  const app = new App({ context, outdir });
  const stack = new Stack(app, 'AlarmsTest', { env: { account: '111111111111', region: 'eu-west-1' } });
  // cdk-nag 3 is a policy-validation plugin: app.synth() throws when a rule fails.
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  const logGroup = new logs.LogGroup(stack, 'PostgresLog', { logGroupName: LOG_GROUP_NAME, retention: logs.RetentionDays.ONE_MONTH });
  const migrationFunctions = withFunction ? [lambda.Function.fromFunctionName(stack, 'Migrations', 'schemaguard-migrations')] : undefined;
  const topicKey = keyArn ? kms.Key.fromKeyArn(stack, 'TopicKey', keyArn) : undefined;
  const topic = topicArn ? sns.Topic.fromTopicArn(stack, 'OnCallTopic', topicArn) : undefined;
  const alarms = new DatabaseAlarms(stack, 'DatabaseAlarms', { logGroup, migrationFunctions, topicKey, topic, ...rest });
  let template: Template | undefined;
  return {
    app,
    stack,
    alarms,
    get template() {
      return (template ??= Template.fromStack(stack));
    },
  };
}

let shared: AlarmsStack | undefined;

/** The stack with every default, built and synthesised once per file: for the tests that only read it. */
export function defaultAlarmsStack(): AlarmsStack {
  shared ??= alarmsStack();
  return shared;
}

/** FilterPattern of every AWS::Logs::MetricFilter in the template, by metric name. */
export function filterPatternsByMetric(template: Template): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of Object.values(template.findResources('AWS::Logs::MetricFilter'))) {
    const p = r.Properties as { FilterPattern: string; MetricTransformations: { MetricName: string }[] };
    out.set(p.MetricTransformations[0]!.MetricName, p.FilterPattern);
  }
  return out;
}

/** QueryString of every AWS::Logs::QueryDefinition in the template, by name. */
export function queriesByName(template: Template): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of Object.values(template.findResources('AWS::Logs::QueryDefinition'))) {
    const p = r.Properties as { Name: string; QueryString: string };
    out.set(p.Name, p.QueryString);
  }
  return out;
}
