/**
 * The real Secrets Manager client against an endpoint that accepts the TCP
 * connection and never answers (an unreachable endpoint looks the same to
 * the handler): the read fails with the VPC-endpoint fix well before a
 * Lambda timeout, not at it.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MigrationError } from '../../../lambda/engine/errors/errors';
import { readCredentials, SECRETS_MANAGER_TIMEOUTS, secretsManagerClient } from '../../../lambda/handler/secret';

let server: Server;
let port: number;
const sockets: Socket[] = [];

beforeAll(async () => {
  // Accepts, reads, never writes a byte.
  server = createServer((socket) => {
    sockets.push(socket);
    socket.on('data', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => server.close(resolve));
});

describe('Function: secretsManagerClient', () => {
  // Regression (tester): with no route to Secrets Manager the SDK waited for ever, and the deploy failed only at the Lambda timeout.
  it('gives up on an endpoint that never answers, with the VPC endpoint fix, well within the shortest handler timeout (60 s)', async () => {
    const client = await secretsManagerClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' },
    });
    const started = Date.now();
    const e = await readCredentials(client, 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf').catch((x: unknown) => x);
    const tookMs = Date.now() - started;

    expect(e).toBeInstanceOf(MigrationError);
    expect((e as MigrationError).message).toMatch(
      /^cannot read the database secret arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf: TimeoutError \(.+\)$/,
    );
    expect((e as MigrationError).fix).toContain('that the VPC endpoint for Secrets Manager is reachable');
    // Each attempt waits for its request timeout; the SDK makes 3 with a short backoff.
    expect(tookMs).toBeGreaterThanOrEqual(SECRETS_MANAGER_TIMEOUTS.requestTimeoutMs);
    expect(tookMs).toBeLessThan(30_000);
    expect(sockets.length).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
