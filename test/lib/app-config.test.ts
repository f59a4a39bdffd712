import * as rds from 'aws-cdk-lib/aws-rds';
import { describe, expect, it } from 'vitest';
import { CONTEXT_DEFAULTS, ConfigError, isRdsIdentifier, readAppConfig } from '../../lib/app-config';
import { auroraVersions, postgresVersions } from '../../lib/engine-versions';
import cdkJson from '../../cdk.json';

function read(context: Record<string, unknown>) {
  return readAppConfig((k) => context[k], Object.keys(context));
}

describe('Function: readAppConfig', () => {
  it('uses the documented defaults when nothing is set', () => {
    const c = read({});
    expect(c.stage).toBe('dev');
    expect(c.instanceType.toString()).toBe('t4g.micro');
    expect(c.engineVersion).toBe(rds.PostgresEngineVersion.VER_18_3);
    expect(c.databaseName).toBe('app');
    // The stack's default: schemaguard-<stage>-<databaseName>.
    expect(c.instanceIdentifier).toBeUndefined();
    expect(c.natGateways).toBe(0);
    expect(c.logRetention).toBe(30);
    expect(c.alarmEmail).toBeUndefined();
    expect(c.alarmHttpsUrl).toBeUndefined();
    expect(c.alarmTicketEmail).toBeUndefined();
    expect(c.alarmTicketHttpsUrl).toBeUndefined();
    expect(c.guardSchedule?.toMinutes()).toBe(15);
    expect(c.guardRoleRevision).toBeUndefined();
  });

  it('reads the ticket destinations apart from the paging ones', () => {
    const c = read({
      'schemaguard:alarmHttpsUrl': 'https://events.example.com/integration/pages/enqueue',
      'schemaguard:alarmTicketEmail': ' db-tickets@example.com ',
      'schemaguard:alarmTicketHttpsUrl': 'https://events.example.com/integration/tickets/enqueue',
    });
    expect([c.alarmEmail, c.alarmHttpsUrl, c.alarmTicketEmail, c.alarmTicketHttpsUrl]).toEqual([
      undefined,
      'https://events.example.com/integration/pages/enqueue',
      'db-tickets@example.com',
      'https://events.example.com/integration/tickets/enqueue',
    ]);
    expect(read({ 'schemaguard:alarmTicketEmail': '', 'schemaguard:alarmTicketHttpsUrl': '' }).alarmTicketHttpsUrl).toBeUndefined();
  });

  // Regression: the docs' own command (-c 'schemaguard:alarmHttpsUrl={{resolve:secretsmanager:…}}') stopped the app: "is not an https:// URL".
  it('regression: takes a Secrets Manager or SSM dynamic reference for either HTTPS endpoint, so the routing key stays out of the template', () => {
    const c = read({
      'schemaguard:alarmHttpsUrl': '{{resolve:secretsmanager:schemaguard/pagerduty-url}}',
      'schemaguard:alarmTicketHttpsUrl': '{{resolve:ssm:/schemaguard/ticket-url}}',
    });
    expect([c.alarmHttpsUrl, c.alarmTicketHttpsUrl]).toEqual([
      '{{resolve:secretsmanager:schemaguard/pagerduty-url}}',
      '{{resolve:ssm:/schemaguard/ticket-url}}',
    ]);
  });

  it('migrationsRevision: a whole number, 0 for none', () => {
    expect(read({}).migrationsRevision).toBeUndefined();
    expect(read({ 'schemaguard:migrationsRevision': '2' }).migrationsRevision).toBe(2);
    expect(read({ 'schemaguard:migrationsRevision': 0 }).migrationsRevision).toBeUndefined();
    expect(() => read({ 'schemaguard:migrationsRevision': '1.5' })).toThrow(
      'context schemaguard:migrationsRevision: "1.5" is not an integer from 0 to 1000000',
    );
  });

  it('guardRoleRevision: a whole number, 0 for none', () => {
    expect(read({ 'schemaguard:guardRoleRevision': '2' }).guardRoleRevision).toBe(2);
    expect(read({ 'schemaguard:guardRoleRevision': 3 }).guardRoleRevision).toBe(3);
    expect(read({ 'schemaguard:guardRoleRevision': 0 }).guardRoleRevision).toBeUndefined();
    expect(() => read({ 'schemaguard:guardRoleRevision': '-1' })).toThrow('context schemaguard:guardRoleRevision: "-1" is not an integer from 0 to 1000000');
    expect(() => read({ 'schemaguard:guardRoleRevision': 'next' })).toThrow(/guardRoleRevision: "next" is not an integer/);
  });

  it('guardSchedule: whole minutes up to a day, or off (no guard)', () => {
    expect(read({ 'schemaguard:guardSchedule': '5m' }).guardSchedule?.toMinutes()).toBe(5);
    expect(read({ 'schemaguard:guardSchedule': '1h' }).guardSchedule?.toMinutes()).toBe(60);
    expect(read({ 'schemaguard:guardSchedule': '24h' }).guardSchedule?.toMinutes()).toBe(1440);
    expect(read({ 'schemaguard:guardSchedule': 'off' }).guardSchedule).toBeUndefined();
    expect(read({ 'schemaguard:guardSchedule': 'OFF' }).guardSchedule).toBeUndefined();
  });

  it('cdk.json carries exactly the known keys, with the defaults', () => {
    const keys = Object.keys(cdkJson.context)
      .filter((k) => k.startsWith('schemaguard:'))
      .map((k) => k.slice('schemaguard:'.length));
    expect(keys.sort()).toEqual(Object.keys(CONTEXT_DEFAULTS).sort());
    for (const k of keys)
      expect(String((cdkJson.context as Record<string, unknown>)[`schemaguard:${k}`])).toBe(String(CONTEXT_DEFAULTS[k as keyof typeof CONTEXT_DEFAULTS]));
    expect(cdkJson.app).toBe('npx tsx bin/app.ts');
  });

  it('prod: one-year log retention', () => {
    const c = read({ 'schemaguard:stage': 'prod' });
    expect(c.logRetention).toBe(365);
  });

  it('accepts db.-prefixed classes and major versions', () => {
    const c = read({ 'schemaguard:instanceClass': 'db.r6g.xlarge', 'schemaguard:engineVersion': '17' });
    expect(c.instanceType.toString()).toBe('r6g.xlarge');
    expect(c.engineVersion).toBe(rds.PostgresEngineVersion.VER_17);
  });

  it('offers every PostgreSQL 13 to 18 version that aws-cdk-lib has, newest last, and none older', () => {
    const v = postgresVersions();
    expect(v).toContain('18.3');
    for (const major of ['13', '14', '15', '16', '17', '18']) expect(v).toContain(major);
    expect(v.every((x) => /^1[3-8](\.\d+)?$/.test(x))).toBe(true);
    expect(v.at(-1)).toBe('18.3');
  });

  it.each(['13', '13.23', '14.22', '15.17', '16.13', '17', '18.3'])('accepts RDS for PostgreSQL %s', (version) => {
    const c = read({ 'schemaguard:engineVersion': version });
    expect(c.engineVersion.postgresFullVersion).toBe(version);
    expect(c.engineVersionText).toBe(version);
  });

  it.each(['13.11', '14.8', '15.3', '16.1', '17.4', '18.3'])('accepts Aurora PostgreSQL %s (the first of its major with the Data API)', (version) => {
    const c = read({ 'schemaguard:engine': 'aurora', 'schemaguard:engineVersion': version });
    expect(c.auroraEngineVersion?.auroraPostgresFullVersion).toBe(version);
  });

  it('leaves the Aurora version to the stack when none is given', () => {
    const c = read({ 'schemaguard:engine': 'aurora' });
    expect(c.auroraEngineVersion).toBeUndefined();
    expect(c.engineVersionText).toBe('17.6');
  });

  it.each([
    [
      '13.10',
      /"13\.10" is not an Aurora PostgreSQL version the Aurora stack deploys \(the RDS Data API, which the Aurora stack migrates through, needs Aurora PostgreSQL 13\.11 or later in 13\); use one of 13\.11, 13\.12/,
    ],
    ['12.22', /"12\.22" is not an Aurora PostgreSQL version the Aurora stack deploys \(schemaguard supports PostgreSQL 13 to 18\)/],
    ['17', /"17" is not an Aurora PostgreSQL version the Aurora stack deploys \(not known to this aws-cdk-lib\)/],
  ])('refuses Aurora PostgreSQL %s, naming why and the versions it takes', (version, message) => {
    expect(() => read({ 'schemaguard:engine': 'aurora', 'schemaguard:engineVersion': version })).toThrow(message);
  });

  it("offers Aurora versions from the Data API's first minor of each major 13 to 18, without Limitless Database's", () => {
    const v = auroraVersions();
    expect(v[0]).toBe('13.11');
    expect(v).not.toContain('14.7');
    expect(v).toContain('17.4');
    expect(v.every((x) => /^1[3-8]\.\d+$/.test(x))).toBe(true);
  });

  it.each([
    [{ 'schemaguard:stagee': 'prod' }, /unknown context key schemaguard:stagee; the known keys are schemaguard:stage, /],
    [{ 'schemaguard:stage': 'production' }, /schemaguard:stage: "production" is not one of dev, prod/],
    [{ 'schemaguard:instanceClass': 'large' }, /schemaguard:instanceClass: "large" is not an RDS instance class; write it like t4g\.micro/],
    [{ 'schemaguard:instanceClass': 't4g.huge' }, /"t4g\.huge" is not an RDS instance class/],
    [
      { 'schemaguard:engineVersion': '12.22' },
      /schemaguard:engineVersion: "12\.22" is not a PostgreSQL 13 to 18 version this aws-cdk-lib knows; use one of 13, 13\.1/,
    ],
    [{ 'schemaguard:databaseName': 'postgres' }, /schemaguard:databaseName: "postgres" is not allowed/],
    [{ 'schemaguard:databaseName': '1app' }, /"1app" is not allowed; use 1 to 63 letters/],
    [{ 'schemaguard:instanceIdentifier': 'Schemaguard' }, /schemaguard:instanceIdentifier: "Schemaguard" is not an RDS identifier; use 1 to 63 lowercase/],
    [{ 'schemaguard:natGateways': '-1' }, /schemaguard:natGateways: "-1" is not an integer from 0 to 3/],
    [
      { 'schemaguard:guardSchedule': '30s' },
      /schemaguard:guardSchedule: "30s" is not a schedule; use whole minutes from 1m to 24h \(e\.g\. 15m, 1h\), or off to run no guard/,
    ],
    [{ 'schemaguard:guardSchedule': '90s' }, /guardSchedule: "90s" is not a schedule/],
    [{ 'schemaguard:guardSchedule': '25h' }, /guardSchedule: "25h" is not a schedule/],
    [{ 'schemaguard:guardSchedule': '15' }, /guardSchedule: "15" is not a schedule/],
    [{ 'schemaguard:guardSchedule': 'never' }, /guardSchedule: "never" is not a schedule/],
    [{ 'schemaguard:logRetentionDays': 31 }, /schemaguard:logRetentionDays: 31 is not a CloudWatch Logs retention; use one of 1, 3, 5/],
    [{ 'schemaguard:alarmEmail': 'oncall' }, /schemaguard:alarmEmail: "oncall" is not an e-mail address/],
    [
      { 'schemaguard:alarmHttpsUrl': 'http://example.com/hook' },
      /schemaguard:alarmHttpsUrl: "http:\/\/example\.com\/\.\.\." is not an https:\/\/ URL or a \{\{resolve:secretsmanager:<secret-id>\}\} dynamic reference; leave it empty for none/,
    ],
    // Regression (review): the message printed the whole URL, a PagerDuty routing key included.
    [
      { 'schemaguard:alarmTicketHttpsUrl': 'http://events.pagerduty.com/integration/R0UTINGKEYSECRET/enqueue' },
      /^(?![\s\S]*R0UTINGKEYSECRET)[\s\S]*"http:\/\/events\.pagerduty\.com\/\.\.\." is not an https:\/\/ URL/,
    ],
    [
      { 'schemaguard:alarmHttpsUrl': 'R0UTINGKEYSECRET' },
      /^(?![\s\S]*R0UTINGKEYSECRET)[\s\S]*schemaguard:alarmHttpsUrl: the value \(not shown\) is not an https:\/\/ URL/,
    ],
    [{ 'schemaguard:alarmTicketEmail': 'tickets' }, /schemaguard:alarmTicketEmail: "tickets" is not an e-mail address/],
    [
      { 'schemaguard:alarmTicketHttpsUrl': 'http://example.com/hook' },
      /schemaguard:alarmTicketHttpsUrl: "http:\/\/example\.com\/\.\.\." is not an https:\/\/ URL/,
    ],
    [
      { 'schemaguard:alarmTicketHttpsUrl': '{{resolve:secretsmanager:' },
      /schemaguard:alarmTicketHttpsUrl: "\{\{resolve:secretsmanager:" is not an https:\/\/ URL/,
    ],
    [{ 'schemaguard:stage': { nested: true } }, /schemaguard:stage: expected a string/],
  ])('refuses %j with a message naming the key, the value and the fix', (context, message) => {
    expect(() => read(context)).toThrow(ConfigError);
    expect(() => read(context)).toThrow(message);
  });

  it('ignores context keys outside its prefix (CDK feature flags and the like)', () => {
    expect(read({ '@aws-cdk/core:newStyleStackSynthesis': true, 'aws:cdk:enable-path-metadata': true }).stage).toBe('dev');
  });
});

describe('Function: isRdsIdentifier', () => {
  it('accepts lowercase letters, digits and single hyphens, 1 to 63, starting with a letter', () => {
    for (const id of ['a', 'schemaguard-dev', 'orders2-db', `a${'b'.repeat(62)}`]) expect(isRdsIdentifier(id), id).toBe(true);
  });

  it('refuses upper case, underscores, a leading digit, a trailing or doubled hyphen, empty or too long', () => {
    for (const id of ['Orders', 'orders_db', '1db', 'db-', 'db--x', '', `a${'b'.repeat(63)}`]) expect(isRdsIdentifier(id), id).toBe(false);
  });
});
