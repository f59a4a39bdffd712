/**
 * A DatabaseStack whose migrations have a backfill: its alarms add a ticket
 * for a backfill that stopped before done (the workflow's failed, timed-out
 * and aborted executions) and one for a backfill without a committed batch
 * for 30 minutes (the slices' BackfillSecondsSinceProgress), each with its
 * runbook from the catalog, on the dashboard with the rows' graph; and the
 * stack makes the Step Functions endpoint the deploy starts the workflow
 * through (without a backfill it has none: database-stack-base.test.ts
 * lists every endpoint of that stack).
 */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKFILL_DIMENSION, BACKFILL_METRIC, BACKFILL_NAMESPACE } from '../../../lambda/handler/constants';
import { BACKFILL_ALARMS, BACKFILL_STALLED_SECONDS, DEPLOY_ALARMS, deployAlarmDescription } from '../../../lib/alarms/deploy-catalog';
import { MAX_ALARM_DESCRIPTION_LENGTH, QUIET_MINUTES } from '../../../lib/alarms/error-catalog';
import { DatabaseStack } from '../../../lib/database-stack';
import { tempDir } from '../../support/files';

const ticketTopicRef = () => ({ Ref: Match.stringLikeRegexp('^AlarmsTicketTopic[0-9A-F]{8}$') });

describe('Construct: DatabaseStack with a backfill', () => {
  let t: Template;
  let stack: DatabaseStack;
  beforeAll(() => {
    const migrationsDir = tempDir({
      '0001_orders.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY, country text);\n',
      '0002_region.sql':
        'ALTER TABLE orders ADD COLUMN region text;\n-- schemaguard:backfill\nUPDATE orders SET region = lower(country) WHERE region IS NULL;\n',
    });
    stack = new DatabaseStack(new App(), 'Db', { stage: 'dev', migrationsDir, parseAtSynth: false });
    t = Template.fromStack(stack);
  });

  it("alarms to the ticket topic when a backfill's execution stops before done: Sum per minute >= 1, one datapoint out of QUIET_MINUTES", () => {
    const stateMachine = stack.resolve(stack.migrations.backfillWorkflow!.stateMachine.stateMachineArn);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${stack.identifier}-ticket-backfill-failed`,
      AlarmDescription: deployAlarmDescription(BACKFILL_ALARMS[0]!),
      Threshold: 1,
      EvaluationPeriods: QUIET_MINUTES,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [ticketTopicRef()],
      OKActions: [ticketTopicRef()],
      Metrics: Match.arrayWith([
        Match.objectLike({
          MetricStat: Match.objectLike({
            Metric: { Namespace: 'AWS/States', MetricName: 'ExecutionsFailed', Dimensions: [{ Name: 'StateMachineArn', Value: stateMachine }] },
          }),
        }),
      ]),
    });
  });

  it("alarms to the ticket topic when no batch committed for 30 minutes, on the Maximum of the slices' metric per 5 minutes", () => {
    const fn = stack.resolve(stack.migrations.onEventHandler.functionName);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${stack.identifier}-ticket-backfill-stalled`,
      AlarmDescription: deployAlarmDescription(BACKFILL_ALARMS[1]!),
      Namespace: BACKFILL_NAMESPACE,
      MetricName: BACKFILL_METRIC.secondsSinceProgress,
      Dimensions: [{ Name: BACKFILL_DIMENSION.migrationFunction, Value: fn }],
      Statistic: 'Maximum',
      Period: 300,
      Threshold: BACKFILL_STALLED_SECONDS,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [ticketTopicRef()],
      OKActions: [ticketTopicRef()],
    });
  });

  it("shows both alarms' states and the rows' graph on the dashboard", () => {
    const body = JSON.stringify(Object.values(t.findResources('AWS::CloudWatch::Dashboard'))[0]!.Properties.DashboardBody);
    expect(body).toContain('Backfills: rows done, rows per second');
    expect(body).toContain(BACKFILL_METRIC.rowsPerSecond);
    for (const id of ['BackfillFailedAlarm', 'BackfillStalledAlarm']) expect(body).toContain(id);
  });

  it('makes the Step Functions endpoint, in the isolated subnets, with private DNS', () => {
    const states = Object.entries(t.findResources('AWS::EC2::VPCEndpoint')).filter(([, e]) => JSON.stringify(e.Properties.ServiceName).includes('.states'));
    expect(states.map(([id]) => id)).toEqual([expect.stringMatching(/^VpcStepFunctionsEndpoint/)]);
    expect(states[0]![1].Properties).toMatchObject({ PrivateDnsEnabled: true, VpcEndpointType: 'Interface' });
  });
});

describe('Catalog: DEPLOY_ALARMS', () => {
  it("has descriptions within CloudWatch's limit, each naming where to look, how to fix and when it clears", () => {
    for (const spec of DEPLOY_ALARMS) {
      const d = deployAlarmDescription(spec);
      expect(d.length, spec.id).toBeLessThanOrEqual(MAX_ALARM_DESCRIPTION_LENGTH);
      expect(d).toMatch(/^\[(TICKET|PAGE)\] .+\nFind: .+\nFix: .+\nOver: .+$/);
    }
  });

  it("names each alarm once; the backfills' alarms are its backfillWorkflow ones, and they open tickets", () => {
    expect(new Set(DEPLOY_ALARMS.map((a) => a.id)).size).toBe(DEPLOY_ALARMS.length);
    expect(BACKFILL_ALARMS.map((a) => a.id)).toEqual(['backfill-failed', 'backfill-stalled']);
    expect(BACKFILL_ALARMS.map((a) => a.severity)).toEqual(['ticket', 'ticket']);
    expect(DEPLOY_ALARMS.filter((a) => a.prop === 'fleetRollout').map((a) => a.id)).toEqual(['fleet-rollout']);
  });
});
