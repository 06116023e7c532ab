/**
 * The CLI's AWS reads against an endpoint that accepts the connection and never answers (a stuck proxy,
 * a half-open firewall; here a loopback server that reads each request and stays silent): doctor,
 * triage and explain --aws end within the SDK's attempts of their timeouts, in one line naming the
 * timeout, instead of hanging for ever (attack finding 11: cli/aws/clients.ts set no timeout).
 */
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offlineCliEnv } from '../fixtures/offline-cli.js';

const BIN = fileURLToPath(new URL('../../cli/bin.js', import.meta.url));
/** Far past the SDK's three attempts of the longest timeout (15 s) and their backoff. */
const HUNG_AFTER_MS = 80_000;

let server: Server;
const sockets = new Set<Socket>();
let endpoint = '';

beforeAll(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

/** Runs the CLI on the silent endpoint; its exit code and output, or `hung`. */
function run(args: string[]): Promise<{ code: number | 'hung'; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: offlineCliEnv({
        AWS_ENDPOINT_URL_API_GATEWAY: endpoint,
        AWS_ENDPOINT_URL_APIGATEWAYV2: endpoint,
        AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: endpoint,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ code: 'hung', stdout, stderr });
    }, HUNG_AFTER_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

const TIMED_OUT =
  /failed: TimeoutError: .+ \(retrying later can help \(the endpoint did not answer in time\)\)/;

describe('the CLI against an endpoint that never answers', () => {
  it(
    'doctor, triage and explain --aws end with the timeout in one line',
    async () => {
      const [doctor, triage, explain] = await Promise.all([
        run(['doctor', '--api', 'a1b2c3d4e5', '--stage', 'prod']),
        run(['triage', '--api', 'a1b2c3d4e5', '--stage', 'prod', '--since', '1h']),
        run(['explain', '--url', 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/x', '--aws']),
      ]);
      for (const failed of [doctor, triage]) {
        expect(failed.code).toBe(1);
        expect(failed.stderr).toMatch(TIMED_OUT);
        // One line of the CLI's own (Node 20 also gets the SDK's warning about its Node.js version).
        expect(failed.stderr.split('\n').filter((line) => line.startsWith('apigw403'))).toHaveLength(1);
        expect(failed.stderr).not.toMatch(/^\s+at /m);
      }
      // explain still explains what the URL says, and notes why the reads did not settle it.
      expect(explain.code).not.toBe('hung');
      expect(explain.stdout).toMatch(TIMED_OUT);
    },
    HUNG_AFTER_MS + 10_000,
  );
});
