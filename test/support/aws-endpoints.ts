/**
 * Local HTTP endpoints that speak three AWS services' wire protocols, so the
 * real SDK clients of a real `schemaguard` process (or of the bundled
 * handler) reach stand-ins here: pointed at them with the SDK's own endpoint
 * override variables, AWS_ENDPOINT_URL_<SERVICE ID> (`RDS Data` →
 * AWS_ENDPOINT_URL_RDS_DATA; read by @smithy/core's getEndpointUrlConfig in
 * the SDK installed here), with dummy credentials from the environment.
 *
 * - RDS Data API (restJson1: POST /Execute, /BeginTransaction,
 *   /CommitTransaction, /RollbackTransaction): each call handed to a
 *   DataApiStandin (real PostgreSQL); its errors sent as the service sends
 *   them, the type in `x-amzn-ErrorType`.
 * - Lambda Invoke (restJson1: POST /2015-03-31/functions/NAME/invocations,
 *   the body the payload): the payload handed, as the runtime hands it, to a
 *   handler here; a throw answered as the runtime answers an unhandled error
 *   (`X-Amz-Function-Error: Unhandled` and the error as JSON).
 * - STS GetCallerIdentity (awsQuery: POST / with Action=GetCallerIdentity):
 *   a fixed caller ARN, as XML.
 * - SSM GetParametersByPath (awsJson1_1: POST / with X-Amz-Target
 *   AmazonSSM.GetParametersByPath): the parameters under the path (at any
 *   depth when Recursive, else one level), `ssmPageSize` a page, the rest
 *   behind a NextToken, as the service pages.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import {
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  RollbackTransactionCommand,
  type SqlParameter,
} from '@aws-sdk/client-rds-data';
import type { DataApiStandin } from './data-api-standin';

export interface AwsEndpointsOptions {
  dataApi?: DataApiStandin;
  /** The function behind Lambda Invoke: the payload as parsed JSON, the function's name as the caller gave it. */
  lambda?: (payload: unknown, functionName: string) => Promise<unknown>;
  /** What STS says the caller is. @default 'arn:aws:sts::111111111111:assumed-role/Operator/alice' */
  callerArn?: string;
  /** The parameters SSM holds. @default none */
  ssmParameters?: SsmParameter[];
  /** Parameters in a GetParametersByPath page, at most. @default 10 (the service's MaxResults) */
  ssmPageSize?: number;
}

export interface SsmParameter {
  Name: string;
  Value: string;
  Type: 'String' | 'StringList' | 'SecureString';
}

export const TEST_CALLER_ARN = 'arn:aws:sts::111111111111:assumed-role/Operator/alice';

export class AwsEndpoints {
  /** Every Lambda invocation: the function name and the payload as sent. */
  readonly invocations: { functionName: string; payload: string }[] = [];
  /** STS calls. */
  stsCalls = 0;
  /** Every GetParametersByPath request, as sent. */
  readonly ssmRequests: { Path: string; Recursive?: boolean; WithDecryption?: boolean; MaxResults?: number; NextToken?: string }[] = [];
  private readonly servers: Record<'dataApi' | 'lambda' | 'sts' | 'ssm', Server | undefined> = {
    dataApi: undefined,
    lambda: undefined,
    sts: undefined,
    ssm: undefined,
  };
  private readonly ports: Record<string, number> = {};

  constructor(private readonly options: AwsEndpointsOptions) {}

  async start(): Promise<void> {
    await this.listen('dataApi', (req, body, res) => this.dataApi(req, body, res));
    await this.listen('lambda', (req, body, res) => this.lambda(req, body, res));
    await this.listen('sts', (_req, body, res) => this.sts(body, res));
    await this.listen('ssm', (req, body, res) => this.ssm(req, body, res));
  }

  /** The environment of a process whose SDK clients should reach these endpoints (and nothing else: no profile, no instance metadata). */
  env(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL_RDS_DATA: `http://127.0.0.1:${this.ports.dataApi}`,
      AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${this.ports.lambda}`,
      AWS_ENDPOINT_URL_STS: `http://127.0.0.1:${this.ports.sts}`,
      AWS_ENDPOINT_URL_SSM: `http://127.0.0.1:${this.ports.ssm}`,
      AWS_ACCESS_KEY_ID: 'AKIDSTANDIN',
      AWS_SECRET_ACCESS_KEY: 'standin-secret',
      AWS_REGION: 'eu-west-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    };
  }

  async stop(): Promise<void> {
    await Promise.all(Object.values(this.servers).map((s) => new Promise<void>((r) => (s ? s.close(() => r()) : r()))));
  }

  private async listen(
    name: 'dataApi' | 'lambda' | 'sts' | 'ssm',
    route: (req: IncomingMessage, body: Buffer, res: ServerResponse) => Promise<void>,
  ): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        route(req, Buffer.concat(chunks), res).catch((e: unknown) =>
          send(res, 500, { 'x-amzn-ErrorType': 'InternalServerErrorException' }, JSON.stringify({ message: String(e) })),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    this.servers[name] = server;
    this.ports[name] = (server.address() as { port: number }).port;
  }

  private async dataApi(req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
    const standin = this.options.dataApi;
    if (!standin) {
      send(res, 404, {}, '{}');
      return;
    }
    const input = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
    try {
      const output = await dataApiCall(standin, (req.url ?? '').split('?')[0]!, input);
      send(res, 200, { 'content-type': 'application/json' }, JSON.stringify(output, wireValue));
    } catch (e) {
      const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      send(
        res,
        err.$metadata?.httpStatusCode ?? 400,
        { 'content-type': 'application/json', 'x-amzn-ErrorType': err.name ?? 'InternalServerErrorException' },
        JSON.stringify({ ...(e as object), message: err.message }, wireValue),
      );
    }
  }

  private async lambda(req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(req.url ?? '');
    const fn = this.options.lambda;
    if (!match || !fn) {
      send(res, 404, { 'x-amzn-ErrorType': 'ResourceNotFoundException' }, JSON.stringify({ message: `Function not found: ${req.url}` }));
      return;
    }
    const functionName = decodeURIComponent(match[1]!);
    this.invocations.push({ functionName, payload: body.toString('utf8') });
    try {
      const result = await fn(JSON.parse(body.toString('utf8')), functionName);
      send(res, 200, { 'content-type': 'application/json', 'X-Amz-Executed-Version': '$LATEST' }, JSON.stringify(result ?? null));
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      send(
        res,
        200,
        { 'content-type': 'application/json', 'X-Amz-Executed-Version': '$LATEST', 'X-Amz-Function-Error': 'Unhandled' },
        JSON.stringify({ errorType: err.name, errorMessage: err.message, trace: (err.stack ?? '').split('\n') }),
      );
    }
  }

  private async ssm(req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
    const json = { 'content-type': 'application/x-amz-json-1.1' };
    if (req.headers['x-amz-target'] !== 'AmazonSSM.GetParametersByPath') {
      send(res, 400, json, JSON.stringify({ __type: 'InvalidAction', message: `not stood in: ${String(req.headers['x-amz-target'])}` }));
      return;
    }
    const request = JSON.parse(body.toString('utf8')) as AwsEndpoints['ssmRequests'][number];
    this.ssmRequests.push(request);
    const prefix = `${request.Path.replace(/\/$/, '')}/`;
    const under = (this.options.ssmParameters ?? [])
      .filter((p) => p.Name.startsWith(prefix) && (request.Recursive || !p.Name.slice(prefix.length).includes('/')))
      .sort((a, b) => (a.Name < b.Name ? -1 : 1));
    const size = Math.min(this.options.ssmPageSize ?? 10, request.MaxResults ?? 10);
    const from = request.NextToken ? Number(Buffer.from(request.NextToken, 'base64').toString('utf8')) : 0;
    const page = under.slice(from, from + size).map((p) => ({ ...p, Version: 1, ARN: `arn:aws:ssm:eu-west-1:111111111111:parameter${p.Name}` }));
    const next = from + size < under.length ? { NextToken: Buffer.from(String(from + size)).toString('base64') } : {};
    send(res, 200, json, JSON.stringify({ Parameters: page, ...next }));
  }

  private async sts(body: Buffer, res: ServerResponse): Promise<void> {
    this.stsCalls++;
    if (!new URLSearchParams(body.toString('utf8')).get('Action')?.startsWith('GetCallerIdentity')) {
      send(res, 400, {}, '<ErrorResponse/>');
      return;
    }
    const arn = this.options.callerArn ?? TEST_CALLER_ARN;
    send(
      res,
      200,
      { 'content-type': 'text/xml' },
      `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
        `<Arn>${arn}</Arn><UserId>AROASTANDIN:alice</UserId><Account>111111111111</Account></GetCallerIdentityResult>` +
        `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
    );
  }
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, { 'x-amzn-RequestId': randomUUID(), ...headers });
  res.end(body);
}

/** One Data API call on the stand-in, by its REST path; blobs come as base64 in JSON. */
function dataApiCall(standin: DataApiStandin, path: string, input: Record<string, unknown>): Promise<unknown> {
  switch (path) {
    case '/Execute': {
      const parameters = (input.parameters as SqlParameter[] | undefined)?.map((p) =>
        p.value && 'blobValue' in p.value ? { ...p, value: { blobValue: Buffer.from(p.value.blobValue as unknown as string, 'base64') } } : p,
      );
      return standin.send(new ExecuteStatementCommand({ ...input, ...(parameters ? { parameters } : {}) } as never));
    }
    case '/BeginTransaction':
      return standin.send(new BeginTransactionCommand(input as never));
    case '/CommitTransaction':
      return standin.send(new CommitTransactionCommand(input as never));
    case '/RollbackTransaction':
      return standin.send(new RollbackTransactionCommand(input as never));
    default:
      throw Object.assign(new Error(`unknown Data API path ${path}`), { name: 'BadRequestException' });
  }
}

/** JSON as the wire has it: bytes as base64, no SDK metadata. */
function wireValue(key: string, value: unknown): unknown {
  if (key === '$metadata' || key === '$fault' || key === '$response') return undefined;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
    return Buffer.from((value as { data: number[] }).data).toString('base64');
  }
  return value;
}
