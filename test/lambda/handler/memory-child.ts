/**
 * Run in a process of its own by memory.int.test.ts: the custom-resource
 * handler as Lambda calls it — a Create, then isComplete until it answers
 * complete — on the database and files its environment names, with the
 * secret served from the environment (Secrets Manager cannot be reached from
 * a test). Prints one JSON line: the answers and the process's peak RSS.
 */
import { createHandlers, type OnEventRequest } from '../../../lambda/handler/handler';
import { ENV, PROP } from '../../../lambda/handler/constants';
import { summariseFiles } from '../../../lambda/handler/files-hash';

const env = process.env;
const secret = env.SG_TEST_SECRET!;
const handlers = createHandlers({ env, write: () => undefined, secrets: { send: async () => ({ SecretString: secret }) } as never });
const files = summariseFiles(env[ENV.migrationsDir]!);
const event: OnEventRequest = {
  RequestType: 'Create',
  StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/Memory/1',
  RequestId: 'req-memory',
  LogicalResourceId: 'SchemaMigrationsResource',
  ResourceType: 'Custom::SchemaMigrations',
  ResourceProperties: { ServiceToken: 'arn:aws:lambda:eu-west-1:111111111111:function:x', [PROP.filesHash]: files.hash },
} as OnEventRequest;
const context = { getRemainingTimeInMillis: () => 600_000, awsRequestId: 'memory' };

const created = await handlers.onEvent(event, context);
let complete = await handlers.isComplete({ ...event, PhysicalResourceId: created.PhysicalResourceId } as never, context);
for (let k = 0; k < 5 && !complete.IsComplete; k++)
  complete = await handlers.isComplete({ ...event, PhysicalResourceId: created.PhysicalResourceId } as never, context);
process.stdout.write(`${JSON.stringify({ complete, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
