/**
 * Runs the real Provider framework runtime shipped in aws-cdk-lib
 * (custom-resources/lib/provider-framework/runtime/framework.js) in process.
 * Its three outbound calls are routed here:
 * - `invokeFunction` (Lambda Invoke of the user onEvent/isComplete) calls our
 *   handlers with a Lambda-like context, and turns a throw into the payload
 *   the Lambda runtime returns for an unhandled error;
 * - `startExecution` (the waiter state machine) is replaced by a loop that
 *   calls the framework's isComplete until it stops asking to retry, or calls
 *   its onTimeout when the total timeout's attempts are used up — as the
 *   state machine does;
 * - `httpRequest` (the HTTPS PUT of the response to the presigned
 *   ResponseURL) goes to a local HTTP server that records the body.
 * The SDK clients the runtime imports (@aws-sdk/client-lambda, client-sfn)
 * are not installed here; stubs that throw if ever called stand in for them.
 */
import { createServer, request, type Server } from 'node:http';
import { createRequire } from 'node:module';
import Module from 'node:module';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';

const require = createRequire(import.meta.url);
export const RUNTIME_DIR = join(dirname(require.resolve('aws-cdk-lib')), 'custom-resources', 'lib', 'provider-framework', 'runtime');

interface FrameworkModule {
  onEvent(event: unknown): Promise<void>;
  isComplete(event: unknown): Promise<void>;
  onTimeout(event: unknown): Promise<void>;
}
interface OutboundModule {
  invokeFunction: (req: { FunctionName: string; Payload: string }) => Promise<unknown>;
  startExecution: (req: { stateMachineArn: string; input: string }) => Promise<unknown>;
  httpRequest: (options: { hostname: string; path: string; method: string; headers: Record<string, unknown> }, body: string) => Promise<void>;
}
interface CfnResponseModule {
  Retry: new (...args: unknown[]) => Error;
}

function loadRuntime(): { framework: FrameworkModule; outbound: OutboundModule; cfnResponse: CfnResponseModule } {
  const stubbed = new Set(['@aws-sdk/client-lambda', '@aws-sdk/client-sfn']);
  const mod = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };
  const original = mod._load;
  mod._load = function (req: string, parent: unknown, isMain: boolean) {
    if (stubbed.has(req)) {
      return new Proxy(
        {},
        {
          get: (_t, p) =>
            p === '__esModule'
              ? false
              : () => {
                  throw new Error(`${req}.${String(p)} must not be called in tests: the harness routes this call`);
                },
        },
      );
    }
    return original.call(this, req, parent, isMain);
  };
  try {
    const outbound = require(join(RUNTIME_DIR, 'outbound.js')) as OutboundModule;
    const cfnResponse = require(join(RUNTIME_DIR, 'cfn-response.js')) as CfnResponseModule;
    const framework = require(join(RUNTIME_DIR, 'framework.js')) as FrameworkModule;
    return { framework, outbound, cfnResponse };
  } finally {
    mod._load = original;
  }
}

export interface CfnResponse {
  Status: 'SUCCESS' | 'FAILED';
  Reason: string;
  StackId: string;
  RequestId: string;
  PhysicalResourceId: string;
  LogicalResourceId: string;
  NoEcho?: boolean;
  Data?: Record<string, string>;
}

export interface LambdaLikeContext {
  getRemainingTimeInMillis(): number;
  awsRequestId: string;
  /** As Lambda names a stream: `YYYY/MM/DD/[$LATEST]<hex>`. */
  logStreamName?: string;
}

export type UserHandler = (event: never, context: LambdaLikeContext) => Promise<unknown>;

export interface HarnessOptions {
  onEvent: UserHandler;
  isComplete: UserHandler;
  /** Remaining time each invocation starts with. @default 15 minutes */
  remainingTimeMs?: (fn: 'onEvent' | 'isComplete', invocation: number) => number;
  /** isComplete attempts before the framework's onTimeout runs (totalTimeout / queryInterval). @default 20 */
  maxIsCompleteAttempts?: number;
}

export interface Invocation {
  fn: 'onEvent' | 'isComplete';
  requestType: string;
  error?: string;
}

export interface RequestInput {
  RequestType: 'Create' | 'Update' | 'Delete';
  ResourceProperties: Record<string, unknown>;
  OldResourceProperties?: Record<string, unknown>;
  PhysicalResourceId?: string;
  RequestId?: string;
  LogicalResourceId?: string;
  /** @default 'Custom::SchemaMigrations' */
  ResourceType?: string;
}

const ON_EVENT_ARN = 'arn:aws:lambda:eu-west-1:111111111111:function:sg-test-onEvent';
const IS_COMPLETE_ARN = 'arn:aws:lambda:eu-west-1:111111111111:function:sg-test-isComplete';
const WAITER_ARN = 'arn:aws:states:eu-west-1:111111111111:stateMachine:sg-test-waiter';
export const STACK_ID = 'arn:aws:cloudformation:eu-west-1:111111111111:stack/SchemaguardTest/0c1d2e3f-0000-4000-8000-000000000001';

export class ProviderHarness {
  private readonly runtime = loadRuntime();
  private server?: Server;
  private port = 0;
  private readonly bodies = new Map<string, string[]>();
  private readonly pendingWaiters: string[] = [];
  /** Every invocation of a user handler, in order. */
  readonly invocations: Invocation[] = [];
  /** Every line the framework and the handlers wrote (console.log / stdout). */
  readonly logs: string[] = [];
  /** Every raw response body received. */
  readonly rawResponses: string[] = [];
  private counts = { onEvent: 0, isComplete: 0 };

  constructor(private readonly options: HarnessOptions) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => {
        body += c;
      });
      req.on('end', () => {
        const key = (req.url ?? '').split('?')[0]!;
        if (req.method !== 'PUT') {
          res.statusCode = 405;
          res.end();
          return;
        }
        this.bodies.set(key, [...(this.bodies.get(key) ?? []), body]);
        this.rawResponses.push(body);
        res.statusCode = 200;
        res.end();
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server!.address() as { port: number }).port;
    process.env.USER_ON_EVENT_FUNCTION_ARN = ON_EVENT_ARN;
    process.env.USER_IS_COMPLETE_FUNCTION_ARN = IS_COMPLETE_ARN;
    process.env.WAITER_STATE_MACHINE_ARN = WAITER_ARN;
    const out = this.runtime.outbound;
    out.invokeFunction = (req) => this.invoke(req);
    out.startExecution = async (req) => {
      if (req.stateMachineArn !== WAITER_ARN) throw new Error(`unexpected state machine ${req.stateMachineArn}`);
      this.pendingWaiters.push(req.input);
      return { executionArn: `${WAITER_ARN}:execution:${randomUUID()}` };
    };
    out.httpRequest = (options, body) =>
      new Promise<void>((resolve, reject) => {
        if (options.hostname !== '127.0.0.1') {
          reject(new Error(`response sent to ${options.hostname}, not to the ResponseURL`));
          return;
        }
        const r = request(
          { host: '127.0.0.1', port: this.port, path: options.path, method: options.method, headers: options.headers as Record<string, string> },
          (res) => {
            res.resume();
            if (!res.statusCode || res.statusCode >= 400) reject(new Error(`Unsuccessful HTTP response: ${res.statusCode}`));
            else resolve();
          },
        );
        r.on('error', reject);
        r.end(body);
      });
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private async invoke(req: { FunctionName: string; Payload: string }): Promise<unknown> {
    const fn = req.FunctionName === ON_EVENT_ARN ? 'onEvent' : req.FunctionName === IS_COMPLETE_ARN ? 'isComplete' : undefined;
    if (!fn) throw new Error(`unexpected function ${req.FunctionName}`);
    const n = ++this.counts[fn];
    const budget = this.options.remainingTimeMs?.(fn, n) ?? 15 * 60_000;
    const started = Date.now();
    const context: LambdaLikeContext = {
      getRemainingTimeInMillis: () => budget - (Date.now() - started),
      awsRequestId: randomUUID(),
      logStreamName: `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${randomUUID().replace(/-/g, '')}`,
    };
    const event = JSON.parse(req.Payload) as { RequestType: string };
    try {
      const result = await this.options[fn](event as never, context);
      this.invocations.push({ fn, requestType: event.RequestType });
      return { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: new TextEncoder().encode(JSON.stringify(result ?? null)) };
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      this.invocations.push({ fn, requestType: event.RequestType, error: err.message });
      // The payload the Lambda Node.js runtime returns for an unhandled error.
      const payload = { errorType: err.name, errorMessage: err.message, trace: (err.stack ?? '').split('\n') };
      return { StatusCode: 200, FunctionError: 'Unhandled', ExecutedVersion: '$LATEST', Payload: new TextEncoder().encode(JSON.stringify(payload)) };
    }
  }

  /** Send one CloudFormation request through the framework and return the response CloudFormation would receive. */
  async send(input: RequestInput): Promise<CfnResponse> {
    const requestId = input.RequestId ?? randomUUID();
    const path = `/cfn-responses/${requestId}/${randomUUID()}`;
    const event = {
      RequestType: input.RequestType,
      ServiceToken: 'arn:aws:lambda:eu-west-1:111111111111:function:sg-test-framework-onEvent',
      ResponseURL: `https://127.0.0.1${path}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=feedface`,
      StackId: STACK_ID,
      RequestId: requestId,
      LogicalResourceId: input.LogicalResourceId ?? 'SchemaMigrationsResource',
      ResourceType: input.ResourceType ?? 'Custom::SchemaMigrations',
      ResourceProperties: { ServiceToken: 'arn:aws:lambda:eu-west-1:111111111111:function:sg-test-framework-onEvent', ...input.ResourceProperties },
      ...(input.OldResourceProperties ? { OldResourceProperties: input.OldResourceProperties } : {}),
      ...(input.PhysicalResourceId ? { PhysicalResourceId: input.PhysicalResourceId } : {}),
    };
    await this.captureLogs(async () => {
      await this.runtime.framework.onEvent(event);
      // The waiter state machine: isComplete every queryInterval until done, then onTimeout.
      while (this.pendingWaiters.length) {
        const input = this.pendingWaiters.shift()!;
        const max = this.options.maxIsCompleteAttempts ?? 20;
        let lastRetry: Error | undefined;
        let done = false;
        for (let attempt = 0; attempt < max; attempt++) {
          try {
            await this.runtime.framework.isComplete(JSON.parse(input));
            done = true;
            break;
          } catch (e) {
            if (!(e instanceof this.runtime.cfnResponse.Retry)) throw e;
            lastRetry = e;
          }
        }
        if (!done) {
          await this.runtime.framework.onTimeout({ Error: 'States.Retry', Cause: JSON.stringify({ errorType: 'Retry', errorMessage: lastRetry!.message }) });
        }
      }
    });
    const bodies = this.bodies.get(path) ?? [];
    if (bodies.length !== 1) throw new Error(`expected exactly one response for ${requestId}, got ${bodies.length}`);
    return JSON.parse(bodies[0]!) as CfnResponse;
  }

  private async captureLogs(fn: () => Promise<void>): Promise<void> {
    const original = console.log;
    console.log = (...args: unknown[]) => {
      this.logs.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    };
    try {
      await fn();
    } finally {
      console.log = original;
    }
  }
}
