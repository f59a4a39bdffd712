/**
 * DatabaseDashboard: its bands (graphs, alarm states) take widgets until the
 * stack is synthesised, and the dashboard body places them there — before
 * the rows `addWidgets` appends — with every widget's x and y.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { describe, expect, it } from 'vitest';
import { DatabaseDashboard } from '../../../lib/alarms/database-dashboard';
import { dashboardWidgets, layout } from '../../support/dashboard';

const text = (title: string, width: number, height: number) => new cloudwatch.TextWidget({ markdown: title, width, height });
/** Text widgets carry no title property: read the markdown as their title. */
const placed = (t: Template) => layout(dashboardWidgets(t).map((w) => ({ ...w, title: String(w.properties.markdown) })));

function dashboard(): { stack: Stack; d: DatabaseDashboard } {
  const stack = new Stack(new App(), 'Dash');
  return { stack, d: new DatabaseDashboard(stack, 'Dashboard', { dashboardName: 'orders-db' }) };
}

describe('Class: DatabaseDashboard', () => {
  it('places graphs added later in the first band and alarm states in the second, above the rows addWidgets appended, which move down', () => {
    const { stack, d } = dashboard();
    d.addGraphs(text('page', 12, 6), text('ticket', 12, 6));
    d.addAlarmStates(text('states', 24, 4));
    d.addWidgets(text('logs', 16, 8), text('errors', 8, 8));

    d.addGraphs(text('g1', 8, 6), text('g2', 8, 6), text('g3', 8, 6));
    d.addAlarmStates(text('more states', 24, 3));

    expect(placed(Template.fromStack(stack))).toEqual([
      'page @0,0 12x6',
      'ticket @12,0 12x6',
      'g1 @0,6 8x6',
      'g2 @8,6 8x6',
      'g3 @16,6 8x6',
      'states @0,12 24x4',
      'more states @0,16 24x3',
      'logs @0,19 16x8',
      'errors @16,19 8x8',
    ]);
  });

  it('puts a graph beside the others while it fits in 24 columns, on a new line when it does not', () => {
    const { stack, d } = dashboard();
    d.addGraphs(text('page', 12, 6));
    d.addGraphs(text('g1', 8, 6), text('g2', 8, 6));
    expect(placed(Template.fromStack(stack))).toEqual(['page @0,0 12x6', 'g1 @12,0 8x6', 'g2 @0,6 8x6']);
  });

  it('an empty band takes no space; the name is the given one', () => {
    const { stack, d } = dashboard();
    d.addWidgets(text('logs', 24, 8));
    const t = Template.fromStack(stack);
    expect(placed(t)).toEqual(['logs @0,0 24x8']);
    t.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'orders-db' });
  });

  it('passes on the warnings of the widgets it is given, as addWidgets does', () => {
    const { stack, d } = dashboard();
    const wrong = new cloudwatch.MathExpression({
      expression: 'm1 + m2',
      usingMetrics: { m1: new cloudwatch.Metric({ namespace: 'Orders', metricName: 'Written' }) },
    });
    d.addGraphs(new cloudwatch.GraphWidget({ title: 'wrong', left: [wrong] }));
    Annotations.fromStack(stack).hasWarning('/Dash/Dashboard', Match.stringLikeRegexp('references unknown identifiers: m2'));
  });
});
