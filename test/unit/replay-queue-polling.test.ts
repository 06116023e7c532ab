/**
 * `replay` drains the failure queue though SQS answers a short poll as documented: it samples a subset
 * of its servers and may answer empty, or with fewer messages, while some are available ("false empty
 * responses", most on queues under 1,000 messages; long polling eliminates them). Replay stopped at the
 * first empty short poll and reported the queue drained with records left (attack finding 18). A false
 * empty answer is a fault fauxqs cannot make, so SQS is mocked: a model answering a long poll with what
 * is available and a short poll with a sample that may be empty.
 */
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { replayQueue } from '../../cli/commands/replay.js';

const TARGET = 'Apigw403Monitor-MonitorFunction-X';
const QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/failures';
const body = (id: string) =>
  JSON.stringify({
    requestContext: { functionArn: `arn:aws:lambda:us-east-1:123456789012:function:${TARGET}:$LATEST` },
    requestPayload: { awslogs: { data: `record-${id}` } },
  });

const sqs = mockClient(SQSClient);
afterEach(() => sqs.reset());

/** SQS as documented: `falseEmpties` short polls answer nothing although messages are available. */
function queueOf(count: number, falseEmpties: number) {
  const available = Array.from({ length: count }, (_, i) => ({
    MessageId: `m-${i}`,
    ReceiptHandle: `h-${i}`,
    Body: body(String(i)),
  }));
  const waits: number[] = [];
  let shortPolls = 0;
  sqs
    .on(ReceiveMessageCommand)
    .callsFake((input: { WaitTimeSeconds?: number; MaxNumberOfMessages?: number }) => {
      const wait = input.WaitTimeSeconds ?? 0;
      waits.push(wait);
      if (wait === 0 && shortPolls++ < falseEmpties) return { Messages: [] };
      return { Messages: available.splice(0, input.MaxNumberOfMessages ?? 1) };
    });
  sqs.on(DeleteMessageCommand).resolves({});
  return { available, waits };
}

describe('replay on a failure queue whose short polls answer falsely empty', () => {
  it.each([
    { count: 1, falseEmpties: 1 },
    { count: 1, falseEmpties: 3 },
    { count: 25, falseEmpties: 1 },
    { count: 0, falseEmpties: 1 },
  ])(
    '$count record(s), $falseEmpties false empty short poll(s): every record is replayed',
    async ({ count, falseEmpties }) => {
      const { available, waits } = queueOf(count, falseEmpties);
      const ran: string[] = [];
      const result = await replayQueue(new SQSClient({ region: 'us-east-1' }), QUEUE, (record) => ({
        target: TARGET,
        run: async () => {
          ran.push(JSON.stringify(record));
        },
      }));
      expect(ran).toHaveLength(count);
      expect(available).toEqual([]);
      expect(result.replayed).toEqual(count ? { [TARGET]: count } : {});
      expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(count);
      // Long polls only: what SQS documents as free of false empty answers.
      expect(waits.every((wait) => wait >= 1)).toBe(true);
    },
  );
});
