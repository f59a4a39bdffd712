import { describe, expect, it } from 'vitest';
import { InputError } from '../../../lambda/engine/errors/errors';
import { appliedBy, CREATE_FAILED_MARKER, loggedRequest, physicalResourceId, validateRequest, type OnEventRequest } from '../../../lambda/handler/request';

const base: OnEventRequest = {
  RequestType: 'Create',
  StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/Shop/0f1e2d3c',
  RequestId: 'r-1',
  LogicalResourceId: 'Migrations',
  ResourceType: 'Custom::SchemaMigrations',
  ResourceProperties: { FilesHash: 'h' },
  ResponseURL: 'https://example.invalid/presigned?X-Amz-Signature=secret',
  ServiceToken: 'arn:aws:lambda:eu-west-1:111111111111:function:p',
};

describe('Function: physicalResourceId', () => {
  it('is made from the logical id on Create and kept on Update, so CloudFormation never sees a replacement', () => {
    expect(physicalResourceId(base)).toBe('schemaguard-migrations-Migrations');
    expect(physicalResourceId({ ...base, RequestType: 'Update', PhysicalResourceId: 'kept' })).toBe('kept');
  });

  it('answers a Delete with its id, or the framework marker when the Create never answered', () => {
    expect(physicalResourceId({ ...base, RequestType: 'Delete', PhysicalResourceId: 'kept' })).toBe('kept');
    expect(physicalResourceId({ ...base, RequestType: 'Delete' })).toBe(CREATE_FAILED_MARKER);
  });
});

describe('Function: appliedBy', () => {
  it('names the stack, the resource and the request', () => {
    expect(appliedBy(base)).toBe('cloudformation:Shop/Migrations/r-1');
    expect(appliedBy({ ...base, StackId: 'not-an-arn' })).toBe('cloudformation:not-an-arn/Migrations/r-1');
  });
});

describe('Function: validateRequest', () => {
  it.each([
    [{ ...base, RequestType: 'Replace' as 'Create' }, 'RequestType "Replace" is not Create, Update or Delete'],
    [{ ...base, RequestId: '' }, 'the event has no LogicalResourceId or RequestId'],
    [undefined as unknown as OnEventRequest, 'RequestType "undefined" is not Create, Update or Delete'],
  ])('refuses what the Provider framework never sends (%#)', (event, message) => {
    expect(() => validateRequest(event)).toThrow(InputError);
    expect(() => validateRequest(event)).toThrow(message);
  });

  it('accepts the three request types', () => {
    for (const t of ['Create', 'Update', 'Delete'] as const) expect(() => validateRequest({ ...base, RequestType: t })).not.toThrow();
  });
});

describe('Function: loggedRequest', () => {
  it('keeps the properties and leaves out the presigned ResponseURL', () => {
    const logged = loggedRequest({ ...base, OldResourceProperties: { FilesHash: 'g' }, PhysicalResourceId: 'p' });

    expect(logged).toEqual({ resourceProperties: { FilesHash: 'h' }, oldResourceProperties: { FilesHash: 'g' }, physicalResourceId: 'p' });
    expect(JSON.stringify(logged)).not.toContain('X-Amz-Signature');
  });
});
