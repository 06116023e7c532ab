import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudWatchLogsServer, compileFilterPattern } from '../../cli/peers/cloudwatch-logs-server.js';
import { filterLogEvents } from '../../lambda/adapters/log-events.js';

const GROUP = 'API-Gateway-Execution-Logs_a1b2c3d4e5/prod';
let server: CloudWatchLogsServer;
let client: CloudWatchLogsClient;

async function collect(iterable: AsyncIterable<{ message?: string }>): Promise<string[]> {
  const messages: string[] = [];
  for await (const event of iterable) messages.push(event.message ?? '');
  return messages;
}

beforeAll(async () => {
  server = await CloudWatchLogsServer.start({ pageSize: 2 });
  client = new CloudWatchLogsClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
  server.putLogEvents(
    GROUP,
    'stream-1',
    [1, 2, 3, 4, 5].map((n) => ({
      timestamp: 1_700_000_000_000 + n,
      message: `(req-${n}) Method completed with status: 403`,
    })),
  );
  server.putLogEvents(GROUP, 'stream-1', [
    { timestamp: 1_700_000_000_010, message: '(req-6) Method completed with status: 200' },
  ]);
});

afterAll(async () => {
  client.destroy();
  await server.close();
});

describe('filterLogEvents', () => {
  it('follows nextToken across pages and reports progress', async () => {
    const pages: number[] = [];
    const messages = await collect(
      filterLogEvents(
        client,
        { logGroupName: GROUP, filterPattern: '?"status: 403"' },
        { onPage: (page) => pages.push(page.pages) },
      ),
    );
    expect(messages).toHaveLength(5);
    expect(pages).toEqual([1, 2, 3]);
    const calls = server.requestsFor('FilterLogEvents').slice(-3);
    expect(calls[0]?.body).toEqual({ logGroupName: GROUP, filterPattern: '?"status: 403"' });
    expect(calls[1]?.body.nextToken).toEqual(expect.any(String));
  });

  it('backs off and retries a throttled page after the SDK gave up', async () => {
    server.failNext('FilterLogEvents', 2, 'ThrottlingException');
    const before = server.requestsFor('FilterLogEvents').length;
    const messages = await collect(filterLogEvents(client, { logGroupName: GROUP }, { baseDelayMs: 5 }));
    expect(messages).toHaveLength(6);
    expect(server.requestsFor('FilterLogEvents').length - before).toBe(5);
  });

  it('gives up on throttling after its retries, with the service error', async () => {
    server.failNext('FilterLogEvents', 3, 'ThrottlingException');
    await expect(
      collect(filterLogEvents(client, { logGroupName: GROUP }, { baseDelayMs: 1, maxThrottleRetries: 2 })),
    ).rejects.toMatchObject({ name: 'ThrottlingException', message: 'Rate exceeded' });
  });

  it('does not retry a missing log group', async () => {
    const before = server.requestsFor('FilterLogEvents').length;
    await expect(collect(filterLogEvents(client, { logGroupName: '/missing' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    expect(server.requestsFor('FilterLogEvents').length - before).toBe(1);
  });

  it('stops at maxPages and when the signal aborts', async () => {
    expect(await collect(filterLogEvents(client, { logGroupName: GROUP }, { maxPages: 1 }))).toHaveLength(2);
    const controller = new AbortController();
    const read: string[] = [];
    for await (const event of filterLogEvents(
      client,
      { logGroupName: GROUP },
      { signal: controller.signal },
    )) {
      read.push(event.message ?? '');
      if (read.length === 3) controller.abort();
    }
    // the page in hand (events 3 and 4) is delivered; no further page is asked for
    expect(read).toHaveLength(4);
  });
});

describe('the peer filter patterns', () => {
  it.each([
    ['', 'anything', true],
    ['?"status: 403" ?"Access denied"', '(x) Access denied. Reason: expired', true],
    ['?"status: 403" ?"Access denied"', '(x) Method completed with status: 200', false],
    ['"Method completed" 403', '(x) Method completed with status: 403', true],
    ['"Method completed" 403', '(x) Method completed with status: 200', false],
    ['{ $.status = "403" }', '{"status":"403"}', true],
    ['{ $.status = "403" }', '{"status":"200"}', false],
    ['{ $.status = "403" }', '127.0.0.1 - - [x] "GET / HTTP/1.1" 403', false],
    [
      '{ $.error.responseType = "WAF_*" || $.status = "403" }',
      '{"status":"200","error":{"responseType":"WAF_FILTERED"}}',
      true,
    ],
    ['{ $.status = 403 }', '{"status":"403"}', false],
  ])('%j on %j is %s', (pattern, message, expected) => {
    expect(compileFilterPattern(pattern)(message)).toBe(expected);
  });
});
