import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'pg-connection-string';
import { describe, expect, it } from 'vitest';
import { GUARD_ALARMS, GUARD_FIRST_COMMAND, RDS_CA_BUNDLE_URL, guardAlarmDescription } from '../../../lib/alarms/guard-catalog';

const CTX = { database: 'orders-db/app', logGroupName: '/aws/lambda/orders-guard', interval: '15 minutes' };

/** The URL of the runbook's first command, its placeholders filled in. */
function firstCommandUrl(caFile: string): string {
  const url = /--database-url "([^"]+)"/.exec(GUARD_FIRST_COMMAND)?.[1];
  expect(url, GUARD_FIRST_COMMAND).toBeDefined();
  return url!.replace('<guard role>', 'schemaguard_guard_app').replace('<endpoint>', 'orders-db.abc.eu-west-1.rds.amazonaws.com').replace('<database>', 'app').replace('sslrootcert=global-bundle.pem', `sslrootcert=${caFile}`);
}

describe('Module: guard-catalog', () => {
  describe('Constant: GUARD_FIRST_COMMAND', () => {
    it('regression: connects over TLS verified against the RDS CA bundle (without sslmode, rds.force_ssl=1 refused it: "no pg_hba.conf entry ... no encryption")', () => {
      // Prepare
      const caFile = join(mkdtempSync(join(tmpdir(), 'schemaguard-ca-')), 'global-bundle.pem');
      writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nstand-in\n-----END CERTIFICATE-----\n');
      // Act
      const config = parse(firstCommandUrl(caFile));
      // Assess: node-postgres verifies the chain and the host name against that file's CAs
      expect(config.ssl).toMatchObject({ ca: expect.stringContaining('stand-in') });
      expect((config.ssl as { rejectUnauthorized?: boolean }).rejectUnauthorized).not.toBe(false);
      expect(config).toMatchObject({ user: 'schemaguard_guard_app', host: 'orders-db.abc.eu-west-1.rds.amazonaws.com', database: 'app' });
      expect(config.password ?? '').toBe('');
    });

    it('runs as the guard role with the password of its secret, in PGPASSWORD (never in the URL)', () => {
      expect(GUARD_FIRST_COMMAND).toMatch(/^PGPASSWORD=<guard secret's password> npx schemaguard guard --database-url "postgres:\/\/<guard role>@/);
      expect(RDS_CA_BUNDLE_URL).toMatch(/^https:\/\/truststore\.pki\.rds\.amazonaws\.com\/global\/global-bundle\.pem$/);
    });
  });

  describe('Function: guardAlarmDescription', () => {
    it.each(GUARD_ALARMS.map((a) => [a.id, a] as const))('%s: starts with the first command, names the guard\'s log group, within 1024 characters with a 63-character identifier', (_id, spec) => {
      const d = guardAlarmDescription(spec, CTX);
      expect(d).toContain(`\nFirst: ${GUARD_FIRST_COMMAND} (app checkout; RDS CA bundle); the guard's log group ${CTX.logGroupName} has the last run's.\n`);
      const long = guardAlarmDescription(spec, { ...CTX, database: `${'d'.repeat(63)}/app`, logGroupName: '${Token[TOKEN.1234]}' });
      expect(long.length).toBeLessThanOrEqual(1024);
    });
  });
});
