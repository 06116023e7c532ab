/**
 * `explain --aws` when the AWS reads do not settle the cause: its first check says what to do next with
 * what the reads found or why they failed, never "Run again with --aws", the flag it was given (attack
 * finding 22); a connection that could not be made is named as such, not "retrying is unlikely to help".
 * The loopback API Gateway and CloudWatch Logs peers (reads that find nothing), and the real CLI
 * against a loopback port where nothing listens (reads that fail).
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExplain } from '../../cli/commands/explain.js';
import { type AwsPeers, captureIo, startAwsPeers } from '../../cli/peers/aws-env.js';
import { offlineCliEnv } from '../fixtures/offline-cli.js';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../cli/bin.js', import.meta.url));
const URL_OF = (api: string) => `https://${api}.execute-api.us-east-1.amazonaws.com/prod/x`;
let peers: AwsPeers;

beforeAll(async () => {
  peers = await startAwsPeers();
  peers.apiGateway.addRestApi({ id: 'q1w2e3r4t5' });
  peers.apiGateway.addStage('q1w2e3r4t5', { stageName: 'prod' });
});
afterAll(async () => {
  await peers?.close();
});

/** A loopback port nothing listens on: a connection to it is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 1;
}

describe('explain --aws that cannot settle the cause', () => {
  it('the reads succeed and decide nothing: no "Run again with --aws", the next step instead', async () => {
    const io = captureIo();
    const code = await runExplain(
      { since: '1h', output: 'text', aws: true, url: URL_OF('q1w2e3r4t5') },
      io,
      Date.now(),
    );
    expect(code).toBe(0);
    expect(io.out()).toContain('UNCLASSIFIED');
    expect(io.out()).toContain(
      "- The API and stage were read and decide nothing: give --request-id (the x-amzn-RequestId response header) to look the request up in the stage's logs",
    );
    expect(io.out()).not.toMatch(/run again with --aws/i);
    expect(peers.apiGateway.requestsFor('GetStage').at(-1)?.path).toBe('/restapis/q1w2e3r4t5/stages/prod');
  });

  it('the reads fail (connection refused): the note names an unreachable endpoint', async () => {
    const { stdout } = await run(process.execPath, [BIN, 'explain', '--url', URL_OF('a1b2c3d4e5'), '--aws'], {
      env: offlineCliEnv({ AWS_ENDPOINT_URL: `http://127.0.0.1:${await closedPort()}` }),
      timeout: 60_000,
    });
    expect(stdout).toContain('UNCLASSIFIED');
    expect(stdout).toContain(
      '- The AWS reads did not settle it: the notes below say what they found or why they failed (check the credentials, --region and --since)',
    );
    expect(stdout).not.toMatch(/run again with --aws/i);
    expect(stdout).toMatch(
      /Note: reading the API configuration failed: .*ECONNREFUSED.* \(the endpoint could not be reached: check the network, a proxy, --region and any AWS_ENDPOINT_URL, then retry\)/,
    );
  }, 60_000);
});
