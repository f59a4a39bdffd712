/**
 * The widgets of a synthesised CloudWatch dashboard, read from the template:
 * the body is an Fn::Join of JSON text and tokens (alarm ARNs, log group
 * names); each token is read as the string TOKEN.
 */
import type { Template } from 'aws-cdk-lib/assertions';

export interface PlacedWidget {
  type: string;
  title: string;
  x: number;
  y: number;
  width: number;
  height: number;
  properties: Record<string, unknown>;
}

/** The widgets of the template's one dashboard (or the one named `name`), in body order. */
export function dashboardWidgets(template: Template, name?: string): PlacedWidget[] {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard', name ? { Properties: { DashboardName: name } } : {}));
  if (dashboards.length !== 1) throw new Error(`expected one dashboard${name ? ` named ${name}` : ''}, found ${dashboards.length}`);
  const body = dashboards[0]!.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] } | string;
  const text = typeof body === 'string' ? body : body['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('');
  const widgets = (JSON.parse(text) as { widgets: Omit<PlacedWidget, 'title'>[] }).widgets;
  return widgets.map((w) => ({ ...w, title: String(w.properties.title ?? '') }));
}

/** `title @x,y wxh` per widget: the layout in one comparable list. */
export function layout(widgets: readonly PlacedWidget[]): string[] {
  return widgets.map((w) => `${w.title} @${w.x},${w.y} ${w.width}x${w.height}`);
}
