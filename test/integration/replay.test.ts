import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { GetQueueAttributesCommand, PurgeQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReplay } from '../../cli/commands/replay.js';
import { captureIo } from '../../cli/peers/aws-env.js';
import { type LambdaServer, startLambdaServer } from '../../cli/peers/lambda-server.js';
import { receiveAll, snsEventFor } from '../../cli/peers/sns-delivery.js';
import { logsDocument, subscriptionEvent } from '../../cli/scenario/payload.js';
import { useMonitorPeers, wafAccessLine } from '../fixtures/monitor-peers.js';

/**
 * `apigw403 replay` on the local peers: the monitor and the Slack forwarder share the on-failure
 * queue, each record goes back to the function that failed it (through a loopback Lambda peer that
 * runs this checkout's handlers), and what no function takes stays in the queue.
 */

const MONITOR = 'apigw403-monitor';
const FORWARDER = 'apigw403-slack-forwarder';
const arnOf = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}:$LATEST`;

const peers = useMonitorPeers([
  {
    apiId: 'r3p1ay0001',
    stage: 'prod',
    accessLogGroup: '/aws/apigateway/r3p1ay0001/prod',
    executionLogs: false,
  },
  {
    apiId: 'r3p1ay0002',
    stage: 'prod',
    accessLogGroup: '/aws/apigateway/r3p1ay0002/prod',
    executionLogs: false,
  },
]);
let lambda: LambdaServer;

beforeAll(async () => {
  const { handler: forwarder } = await import('../../lambda/slack-forwarder.js');
  const monitor = peers.createHandler({ metrics: () => undefined });
  lambda = await startLambdaServer({
    [MONITOR]: monitor,
    [FORWARDER]: (event) => forwarder(event as Parameters<typeof forwarder>[0]),
  });
  process.env.AWS_ENDPOINT_URL_LAMBDA = lambda.endpoint;
});

afterAll(async () => {
  await lambda?.close();
});

/**
 * A Lambda asynchronous-invocation destination record, as Lambda writes it to the queue: the fields of
 * "Example invocation record" in https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html.
 */
function destinationRecord(functionName: string, requestPayload: unknown) {
  return {
    version: '1.0',
    timestamp: new Date().toISOString(),
    requestContext: {
      requestId: '6b6b2b8e-4f3a-4b43-9c9e-1f2d3c4b5a69',
      functionArn: arnOf(functionName),
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    },
    requestPayload,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: { errorType: 'MonitorError', errorMessage: 'publishing the alert failed' },
  };
}

const accessEvent = (apiId: string, requestId: string) =>
  subscriptionEvent(
    logsDocument(`/aws/apigateway/${apiId}/prod`, [
      { timestamp: Date.now(), message: wafAccessLine(apiId, 'prod', requestId) },
    ]),
  );

async function send(body: unknown): Promise<void> {
  await peers.sqs.send(
    new SendMessageCommand({
      QueueUrl: peers.local.queueUrls.onFailure,
      MessageBody: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
}

async function visibleInQueue(): Promise<number> {
  const { Attributes } = await peers.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: peers.local.queueUrls.onFailure,
      AttributeNames: ['ApproximateNumberOfMessages'],
    }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
}

async function replay(...args: Partial<Parameters<typeof runReplay>[0]>[]) {
  const io = captureIo();
  const code = await runReplay(Object.assign({ queueUrl: peers.local.queueUrls.onFailure }, ...args), io);
  return { code, out: io.out(), err: io.err() };
}

describe('apigw403 replay', () => {
  it('sends each record back to the function that failed it; what no function takes stays', async () => {
    // A real alert on the forwarder's subscription: its SNS event is what the forwarder failed on.
    await peers.createHandler({ metrics: () => undefined })(accessEvent('r3p1ay0001', 'a7c6f0e2-0001'));
    const [alert] = await receiveAll(peers.sqs, peers.local.queueUrls.slack);
    if (!alert) throw new Error('an alert on the Slack subscription expected');
    await receiveAll(peers.sqs, peers.local.queueUrls.all);
    const slackBefore = peers.local.slack.messages.length;

    await send(
      destinationRecord(FORWARDER, snsEventFor(alert.envelope, 'arn:aws:sns:us-east-1:123456789012:t:sub')),
    );
    await send(destinationRecord(MONITOR, accessEvent('r3p1ay0002', 'a7c6f0e2-0002')));
    await send(destinationRecord('someone-elses-function', accessEvent('r3p1ay0002', 'a7c6f0e2-0003')));
    // An SNS event given to the monitor: it would call it invalid and return OK.
    await send(destinationRecord(MONITOR, snsEventFor(alert.envelope, 'sub')));
    await send('not json at all');

    const result = await replay({ functionName: [MONITOR, FORWARDER] });
    expect(result.out).toBe(
      `replayed 2 (${FORWARDER} 1, ${MONITOR} 1), failed 1, not replayable 2 (they stay in the queue)\n`,
    );
    expect(result.code).toBe(1);
    expect(result.err).toMatch(
      /failed again in apigw403-monitor: Error: the monitor found the payload invalid/,
    );
    expect(result.err).toMatch(/stays in the queue: it failed in someone-elses-function/);
    expect(result.err).toMatch(/stays in the queue: the message is not JSON/);
    expect(result.err.trim().split('\n')).toHaveLength(3);
    expect(lambda.invocations).toEqual([FORWARDER, MONITOR, MONITOR]);
    expect(peers.local.slack.messages.length - slackBefore).toBe(1);
    expect(await receiveAll(peers.sqs, peers.local.queueUrls.all)).toHaveLength(1);
    // What stayed is visible again at once, for the next run and the queue's alarm.
    expect(await visibleInQueue()).toBe(3);
  });

  it('--max 1 receives one message and leaves the others visible', async () => {
    const before = await visibleInQueue();
    expect(before).toBeGreaterThanOrEqual(2);
    const result = await replay({ functionName: [MONITOR, FORWARDER], max: '1' });
    const [, failed, refused] = /^replayed 0, failed (\d+), not replayable (\d+)/.exec(result.out) ?? [];
    expect(Number(failed) + Number(refused)).toBe(1);
    // Nothing else was received: a message taken and not handled would stay hidden for minutes.
    expect(await visibleInQueue()).toBe(before);
  });

  // Every line replay prints passes the CLI's safe output: a queue message is anyone's text.
  it('prints what a record says redacted and without control sequences', async () => {
    await peers.sqs.send(new PurgeQueueCommand({ QueueUrl: peers.local.queueUrls.onFailure }));
    await send(
      destinationRecord(
        'fn\u001b]0;pwned\u0007\u001b[31m-Bearer abc123Secret',
        accessEvent('r3p1ay0002', 'a7c6f0e2-0009'),
      ),
    );
    const result = await replay({ functionName: [MONITOR] });
    expect(result.err).toMatch(/stays in the queue: it failed in fn.*Bearer \[redacted\]/);
    expect(result.err).not.toContain('abc123Secret');
    expect(result.err.replaceAll('\n', '')).not.toMatch(/\p{Cc}/u);
  });

  it('--local runs the handlers of this checkout, chosen by the event each record holds', async () => {
    await peers.sqs.send(new PurgeQueueCommand({ QueueUrl: peers.local.queueUrls.onFailure }));
    await send(destinationRecord(MONITOR, accessEvent('r3p1ay0001', 'a7c6f0e2-0004')));
    const result = await replay({ local: true });
    expect(result).toMatchObject({ code: 0, out: 'replayed 1 (monitor 1), failed 0, not replayable 0\n' });
  });

  // The queue also holds the records of every route's forwarder and Chatbot relay, which take SNS
  // events too: a record is replayed locally only for a function this checkout stands for.
  const RELAY = 'Apigw403Monitor-RoutepaymentschatChatbotRelay1A2B3C-xyz';
  let alerted: Awaited<ReturnType<typeof receiveAll>>[number] | undefined;
  /** An alert of a new group (made once: the group's next 403s are not new). */
  const oneAlert = async () => {
    if (!alerted) {
      await peers.createHandler({ metrics: () => undefined })(accessEvent('r3p1ay0002', 'a7c6f0e2-0100'));
      [alerted] = await receiveAll(peers.sqs, peers.local.queueUrls.slack);
      await receiveAll(peers.sqs, peers.local.queueUrls.all);
    }
    if (!alerted) throw new Error('an alert on the Slack subscription expected');
    return alerted;
  };
  it.each([
    {
      name: 'a Chatbot relay record, no --function-name',
      standsFor: undefined,
      records: [RELAY],
      out: 'replayed 0, failed 0, not replayable 1 (they stay in the queue)\n',
      err: /it failed in Apigw403Monitor-RoutepaymentschatChatbotRelay1A2B3C-xyz: with --local, an SNS event is replayed only for the Slack forwarder given with --function-name/,
      posted: 0,
    },
    {
      name: "the default forwarder's record, no --function-name",
      standsFor: undefined,
      records: [FORWARDER],
      out: 'replayed 0, failed 0, not replayable 1 (they stay in the queue)\n',
      err: /it failed in apigw403-slack-forwarder: with --local/,
      posted: 0,
    },
    {
      name: "the forwarder's and a relay's records, --function-name FORWARDER",
      standsFor: [FORWARDER],
      records: [FORWARDER, RELAY],
      out: 'replayed 1 (forwarder 1), failed 0, not replayable 1 (they stay in the queue)\n',
      err: /it failed in Apigw403Monitor-RoutepaymentschatChatbotRelay1A2B3C-xyz, which is not among --function-name/,
      posted: 1,
    },
  ])('--local and $name: only what this checkout stands for is posted and deleted', async (c) => {
    await peers.sqs.send(new PurgeQueueCommand({ QueueUrl: peers.local.queueUrls.onFailure }));
    const alert = await oneAlert();
    const slackBefore = peers.local.slack.messages.length;
    for (const name of c.records)
      await send(
        destinationRecord(name, snsEventFor(alert.envelope, 'arn:aws:sns:us-east-1:123456789012:t:sub')),
      );
    const result = await replay({ local: true, ...(c.standsFor ? { functionName: c.standsFor } : {}) });
    expect(result.out).toBe(c.out);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(c.err);
    expect(peers.local.slack.messages.length - slackBefore).toBe(c.posted);
    expect(await visibleInQueue()).toBe(c.records.length - c.posted);
  });

  it.each([
    ['neither --function-name nor --local', {}, /give --function-name .*, --local, or both/],
    ['--max abc', { local: true, max: 'abc' }, /--max abc: expected a positive whole number/],
    ['--max 0', { local: true, max: '0' }, /--max 0/],
  ])('%s is a usage error (exit 2, one line)', async (_name, options, message) => {
    const result = await replay(options);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
    expect(result.err.trim().split('\n')).toHaveLength(1);
    expect(result.out).toBe('');
  });

  it('an unreachable queue is one line and exit 1', async () => {
    const result = await replay({ local: true, queueUrl: 'http://127.0.0.1:9/000000000000/missing' });
    expect(result.code).toBe(1);
    expect(result.err).toMatch(
      /^apigw403 replay: cannot use the queue http:\/\/127\.0\.0\.1:9\/000000000000\/missing: /,
    );
    expect(result.err.trim().split('\n')).toHaveLength(1);
  });

  it('through the real command line: a usage error is exit 2 with one line, not a stack trace', async () => {
    const run = promisify(execFile)(
      process.execPath,
      ['cli/bin.js', 'replay', '--queue-url', 'http://127.0.0.1:9/q'],
      {
        env: { ...process.env, ...peers.local.env },
        timeout: 30_000,
      },
    );
    await expect(run).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^apigw403 replay: give --function-name .*, --local, or both\n$/),
    });
  });
});
