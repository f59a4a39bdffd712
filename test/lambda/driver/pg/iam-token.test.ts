import { describe, expect, it } from 'vitest';
import { iamPassword, iamRefusalFix, regionOfEndpoint } from '../../../../lambda/driver/pg/iam-token';
import { InputError } from '../../../../lambda/engine/errors/errors';

describe('Function: regionOfEndpoint', () => {
  it.each([
    ['db.c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com', 'eu-west-1'],
    ['app.proxy-c1a2b3c4d5e6.us-gov-west-1.rds.amazonaws.com', 'us-gov-west-1'],
    ['cluster.cluster-c1.cn-north-1.rds.amazonaws.com.cn', 'cn-north-1'],
    ['127.0.0.1', undefined],
    ['db.example.com', undefined],
  ])('%s: %s', (host, region) => {
    expect(regionOfEndpoint(host)).toBe(region);
  });
});

describe('Function: iamPassword', () => {
  it('refuses a host whose name says no region when no AWS_REGION is set, naming the fix', () => {
    const saved = [process.env.AWS_REGION, process.env.AWS_DEFAULT_REGION];
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    try {
      expect(() => iamPassword({ hostname: 'db.example.com', port: 5432, username: 'm' })).toThrow(InputError);
      expect(() => iamPassword({ hostname: 'db.example.com', port: 5432, username: 'm' })).toThrow(/no AWS region for db.example.com/);
    } finally {
      if (saved[0] !== undefined) process.env.AWS_REGION = saved[0];
      if (saved[1] !== undefined) process.env.AWS_DEFAULT_REGION = saved[1];
    }
  });

  it("signs a token for the endpoint's region, host, port and user (SigV4, service rds-db, 15 minutes)", async () => {
    const sign = iamPassword({
      hostname: 'db.c1.eu-west-1.rds.amazonaws.com',
      port: 5432,
      username: 'migrator',
      credentials: { accessKeyId: 'AKIATESTONLY0000EXAM', secretAccessKey: 'test-only' },
    });
    const token = await sign();
    expect(token).toMatch(/^db\.c1\.eu-west-1\.rds\.amazonaws\.com:5432\/\?Action=connect&DBUser=migrator&/);
    expect(token).toContain('X-Amz-Credential=AKIATESTONLY0000EXAM%2F');
    expect(token).toContain('%2Feu-west-1%2Frds-db%2Faws4_request');
    expect(token).toContain('X-Amz-Expires=900');
  });
});

describe('Function: iamRefusalFix', () => {
  it("names the grant (quoting a user that needs it), the policy's resource and the token's limits", () => {
    expect(iamRefusalFix('Migrator', 'db')).toContain('GRANT rds_iam TO "Migrator";');
    expect(iamRefusalFix('migrator', 'db')).toContain('rds-db:connect on arn:aws:rds-db:<region>:<account>:dbuser:<DbiResourceId>/migrator');
  });
});
