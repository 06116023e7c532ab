import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type SQSClient,
  SQSClient as SqsClient,
} from '@aws-sdk/client-sqs';
import type { Command } from 'commander';

/**
 * `apigw403 replay`: sends the subscription payloads kept in the monitor's on-failure queue back
 * through the monitor. A Lambda asynchronous on-failure record holds the original event in
 * `requestPayload`; a message is deleted only after its replay succeeded.
 */

export type Invoke = (payload: unknown) => Promise<void>;

export interface ReplayResult {
  readonly replayed: number;
  readonly failed: number;
}

/** The original event of an on-failure record (or the body itself, for a hand-made payload). */
export function originalEvent(body: string): unknown {
  const parsed = JSON.parse(body) as { requestPayload?: unknown };
  return parsed.requestPayload ?? parsed;
}

export async function replayQueue(
  sqs: SQSClient,
  queueUrl: string,
  invoke: Invoke,
  options: { max?: number; onError?: (error: unknown) => void } = {},
): Promise<ReplayResult> {
  const max = options.max ?? Number.POSITIVE_INFINITY;
  let replayed = 0;
  let failed = 0;
  while (replayed + failed < max) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 60,
      }),
    );
    if (Messages.length === 0) break;
    for (const message of Messages.slice(0, max - replayed - failed)) {
      try {
        await invoke(originalEvent(message.Body ?? '{}'));
        await sqs.send(
          new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
        );
        replayed += 1;
      } catch (error) {
        // Left in the queue: it becomes visible again after the visibility timeout.
        failed += 1;
        options.onError?.(error);
      }
    }
  }
  return { replayed, failed };
}

function lambdaInvoke(functionName: string): Invoke {
  const lambda = new LambdaClient({});
  return async (payload) => {
    const result = await lambda.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'RequestResponse',
        Payload: Buffer.from(JSON.stringify(payload)),
      }),
    );
    if (result.FunctionError) {
      throw new Error(
        `${functionName} failed: ${Buffer.from(result.Payload ?? new Uint8Array()).toString('utf8')}`,
      );
    }
  };
}

async function localInvoke(): Promise<Invoke> {
  const { handler } = await import('../../lambda/handler.js');
  return async (payload) => {
    await handler(payload);
  };
}

export function registerReplay(program: Command): Command {
  return program
    .command('replay')
    .description("Send the payloads in the monitor's on-failure queue back through the monitor.")
    .requiredOption('--queue-url <url>', 'the on-failure SQS queue')
    .option('--function-name <name>', 'invoke this deployed monitor function (lambda:InvokeFunction)')
    .option(
      '--local',
      'run the monitor handler in this process (uses the TOPIC_ARN, STATE_TABLE_NAME, ... environment)',
    )
    .option('--max <n>', 'replay at most this many messages', (value) => Number.parseInt(value, 10))
    .action(async (options: { queueUrl: string; functionName?: string; local?: boolean; max?: number }) => {
      if (Boolean(options.functionName) === Boolean(options.local)) {
        throw new Error('give exactly one of --function-name or --local');
      }
      const invoke = options.functionName ? lambdaInvoke(options.functionName) : await localInvoke();
      const result = await replayQueue(
        new SqsClient({ useQueueUrlAsEndpoint: false }),
        options.queueUrl,
        invoke,
        {
          ...(options.max === undefined ? {} : { max: options.max }),
          onError: (error) =>
            console.error(`replay failed: ${error instanceof Error ? error.message : String(error)}`),
        },
      );
      console.log(`replayed ${result.replayed}, failed ${result.failed} (failed messages stay in the queue)`);
      if (result.failed > 0) process.exitCode = 1;
    });
}
