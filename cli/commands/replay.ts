import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Command } from 'commander';
import { redact } from '../../lambda/core/index.js';
import { MONITOR_ENV } from '../../lambda/core/monitor-contract.js';
import {
  type CommandIo,
  EXIT_OK,
  EXIT_PROBLEM,
  EXIT_USAGE,
  processIo,
  safeOutput,
  UsageError,
} from './command-io.js';

/**
 * `apigw403 replay`: sends the records of the on-failure queue back to the function that failed them.
 * The monitor and the Slack forwarder share the queue; a Lambda destination record names its function
 * in `requestContext.functionArn` and holds the event in `requestPayload`. A message is deleted only
 * after its function took it; one that no function takes stays in the queue.
 *
 * The record's shape is the one of "Example invocation record" in the Lambda developer guide
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html): an SQS
 * destination's message body is the record itself; `functionArn` carries the version qualifier
 * (`...:function:NAME:$LATEST`), which `functionNameOf` drops; `responseContext` (statusCode,
 * executedVersion, functionError) and `responsePayload` describe the failure and are not needed here.
 */

/** The two functions whose failures the queue keeps, told apart by the event they were given. */
export type FunctionRole = 'monitor' | 'forwarder';

export interface FailureRecord {
  /** From `requestContext.functionArn`; absent for a payload put in the queue by hand. */
  readonly functionArn?: string;
  readonly payload: unknown;
  /** What the payload is: a log subscription event (the monitor's) or an SNS event (the forwarder's). */
  readonly role?: FunctionRole;
}

/** Where a record goes: a function to run it, or why none takes it (it then stays in the queue). */
export type Route =
  | { readonly target: string; readonly run: () => Promise<void> }
  | { readonly refused: string };
export type Router = (record: FailureRecord) => Route;

export interface ReplayResult {
  /** Records a function took, per function. */
  readonly replayed: Readonly<Record<string, number>>;
  /** Records a function was given and failed again. */
  readonly failed: number;
  /** Records no function takes. */
  readonly refused: number;
}

/** Long enough for ten invocations of the monitor one after another; what stays is made visible at the end. */
const VISIBILITY_TIMEOUT_S = 600;
const RECEIVE_BATCH = 10;
/**
 * Long polling: a short poll (0) samples a subset of SQS's servers and may answer empty while messages
 * are available ("false empty responses", most on queues under 1,000 messages, as a failure queue is),
 * which ended the replay with records left. A long poll queries every server; one second is the
 * shortest, what a replay waits once at the end of the queue (under SQS_CLIENT's request timeout).
 */
const RECEIVE_WAIT_S = 1;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function roleOf(payload: unknown): FunctionRole | undefined {
  if (!isRecord(payload)) return undefined;
  if ('awslogs' in payload || payload.messageType === 'DATA_MESSAGE') return 'monitor';
  const records = payload.Records;
  if (
    Array.isArray(records) &&
    records.length > 0 &&
    records.every((entry) => isRecord(entry) && 'Sns' in entry)
  )
    return 'forwarder';
  return undefined;
}

/** Reads one queue message: a destination record, or a bare payload; `refused` when it is neither. */
export function readFailureRecord(body: string): FailureRecord | { readonly refused: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { refused: 'the message is not JSON' };
  }
  if (!isRecord(parsed)) return { refused: 'the message is not a JSON object' };
  const context = isRecord(parsed.requestContext) ? parsed.requestContext : undefined;
  const functionArn = typeof context?.functionArn === 'string' ? context.functionArn : undefined;
  if (!('requestPayload' in parsed)) {
    if (functionArn) {
      // An event source mapping's record (a Kinesis batch) points at the stream and holds no event.
      return { refused: `the record of ${functionArn} holds no requestPayload to replay` };
    }
    const role = roleOf(parsed);
    return role ? { payload: parsed, role } : { refused: 'neither a Lambda destination record nor an event' };
  }
  const role = roleOf(parsed.requestPayload);
  return {
    payload: parsed.requestPayload,
    ...(functionArn ? { functionArn } : {}),
    ...(role ? { role } : {}),
  };
}

/** `NAME`, `NAME:qualifier` or a function ARN -> `NAME`. */
export function functionNameOf(identifier: string): string {
  const arn = /^arn:[^:]+:lambda:[^:]+:\d{12}:function:([^:]+)/.exec(identifier);
  return arn?.[1] ?? identifier.split(':')[0] ?? identifier;
}

/**
 * What a function answered, as a refusal: the monitor reports a payload it cannot read (`invalid`) or
 * one from a log group it does not watch (`unwatched`) and returns normally; deleting such a record
 * would lose it.
 */
function refusal(answer: unknown): string | undefined {
  if (!isRecord(answer)) return undefined;
  if (answer.kind === 'invalid') return 'the monitor found the payload invalid';
  if (answer.kind === 'unwatched') return 'the monitor does not watch its log group';
  return undefined;
}

type Outcome =
  | { readonly replayedBy: string }
  | { readonly kept: 'failed' | 'refused'; readonly line: string };

/** One message: run by the function that takes it, or why it stays in the queue. */
async function replayMessage(body: string, id: string, route: Router): Promise<Outcome> {
  const record = readFailureRecord(body);
  const chosen = 'refused' in record ? record : route(record);
  if ('refused' in chosen)
    return { kept: 'refused', line: `message ${id} stays in the queue: ${chosen.refused}` };
  try {
    await chosen.run();
    return { replayedBy: chosen.target };
  } catch (error) {
    return { kept: 'failed', line: `message ${id} failed again in ${chosen.target}: ${oneLine(error)}` };
  }
}

export async function replayQueue(
  sqs: SQSClient,
  queueUrl: string,
  route: Router,
  options: { max?: number; onMessage?: (line: string) => void } = {},
): Promise<ReplayResult> {
  const max = options.max ?? Number.POSITIVE_INFINITY;
  const replayed: Record<string, number> = {};
  const kept: string[] = [];
  const counts = { failed: 0, refused: 0 };
  let handled = 0;
  while (handled < max) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(RECEIVE_BATCH, max - handled),
        WaitTimeSeconds: RECEIVE_WAIT_S,
        VisibilityTimeout: VISIBILITY_TIMEOUT_S,
      }),
    );
    if (Messages.length === 0) break;
    for (const message of Messages) {
      handled += 1;
      const outcome = await replayMessage(message.Body ?? '', message.MessageId ?? '?', route);
      if ('kept' in outcome) {
        counts[outcome.kept] += 1;
        kept.push(message.ReceiptHandle ?? '');
        options.onMessage?.(outcome.line);
        continue;
      }
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
      replayed[outcome.replayedBy] = (replayed[outcome.replayedBy] ?? 0) + 1;
    }
  }
  // Visible again now, for the next run and the queue's alarm, rather than after the timeout.
  for (const handle of kept) {
    await sqs
      .send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: handle,
          VisibilityTimeout: 0,
        }),
      )
      .catch(() => undefined);
  }
  return { replayed, ...counts };
}

/** Redacted before it is cut: a cut first could leave a credential without what gives it away. */
function oneLine(error: unknown): string {
  return redact(error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 300);
}

/**
 * The deployed functions given with `--function-name`: each record goes to the one its
 * `requestContext.functionArn` names, through `lambda:InvokeFunction`.
 */
export function deployedRouter(identifiers: readonly string[], lambda: LambdaClient): Router {
  const byName = new Map(identifiers.map((identifier) => [functionNameOf(identifier), identifier]));
  return (record) => {
    if (!record.functionArn) return { refused: 'it names no function (replay it with --local)' };
    const name = functionNameOf(record.functionArn);
    const identifier = byName.get(name);
    if (!identifier) return { refused: `it failed in ${name}, which is not among --function-name` };
    return {
      target: name,
      run: async () => {
        const result = await lambda.send(
          new InvokeCommand({
            FunctionName: identifier,
            InvocationType: 'RequestResponse',
            Payload: Buffer.from(JSON.stringify(record.payload)),
          }),
        );
        const text = Buffer.from(result.Payload ?? new Uint8Array()).toString('utf8');
        if (result.FunctionError) throw new Error(`${result.FunctionError}: ${text}`);
        const refused = refusal(text ? JSON.parse(text) : undefined);
        if (refused) throw new Error(refused);
      },
    };
  };
}

/**
 * `--local`: the handlers of this checkout, in this process, the one for the event each record holds.
 * The queue is shared with every route's forwarder and Chatbot relay, which take SNS events too, so a
 * record that names its function runs here only when that function is one this checkout stands for:
 * one of `standsFor` (`--function-name`), or, none given, the monitor (the only function given log
 * subscription events). Any other stays in the queue: posting a route's alert through the default
 * forwarder would send it to another team's channel, then delete it.
 */
export function localRouter(
  handlers: Readonly<Record<FunctionRole, (event: unknown) => Promise<unknown>>>,
  standsFor: readonly string[] = [],
): Router {
  const named = new Set(standsFor.map(functionNameOf));
  const placed = (record: FailureRecord): string | undefined => {
    if (!record.functionArn) return undefined;
    const name = functionNameOf(record.functionArn);
    if (named.size > 0)
      return named.has(name) ? undefined : `it failed in ${name}, which is not among --function-name`;
    return record.role === 'monitor'
      ? undefined
      : `it failed in ${name}: with --local, an SNS event is replayed only for the Slack forwarder given with --function-name`;
  };
  return (record) => {
    if (!record.role) return { refused: 'its event is neither a log subscription event nor an SNS event' };
    const refused = placed(record);
    if (refused) return { refused };
    const handler = handlers[record.role];
    return {
      target: record.role,
      run: async () => {
        const answer = refusal(await handler(record.payload));
        if (answer) throw new Error(answer);
      },
    };
  };
}

async function localHandlers(): Promise<Record<FunctionRole, (event: unknown) => Promise<unknown>>> {
  const { createHandler } = await import('../../lambda/handler.js');
  const { handler: forwarder } = await import('../../lambda/slack-forwarder.js');
  return {
    monitor: createHandler(),
    forwarder: (event) => forwarder(event as Parameters<typeof forwarder>[0]),
  };
}

export interface ReplayOptions {
  readonly queueUrl: string;
  readonly functionName?: readonly string[];
  readonly local?: boolean;
  readonly max?: string;
}

/** Client timeouts: an invocation may last the function's timeout (15 minutes at most). */
const SQS_CLIENT = {
  requestHandler: { connectionTimeout: 2_000, requestTimeout: 20_000, throwOnRequestTimeout: true },
};
const LAMBDA_CLIENT = {
  requestHandler: { connectionTimeout: 2_000, requestTimeout: 905_000, throwOnRequestTimeout: true },
  maxAttempts: 1,
};

function parseMax(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(text.trim()))
    throw new UsageError(`--max ${text}: expected a positive whole number`);
  return Number(text);
}

export async function runReplay(options: ReplayOptions, io: CommandIo = processIo): Promise<number> {
  const output = safeOutput(io);
  let max: number | undefined;
  try {
    max = parseMax(options.max);
    const names = options.functionName ?? [];
    if (names.length === 0 && options.local !== true) {
      throw new UsageError(
        'give --function-name (the deployed monitor, and the Slack forwarder if any), --local, or both',
      );
    }
  } catch (error) {
    output.err(`apigw403 replay: ${(error as Error).message}\n`);
    return EXIT_USAGE;
  }
  const route = options.local
    ? localRouter(await localHandlers(), options.functionName)
    : deployedRouter(options.functionName ?? [], new LambdaClient(LAMBDA_CLIENT));
  let result: ReplayResult;
  try {
    result = await replayQueue(
      new SQSClient({ ...SQS_CLIENT, useQueueUrlAsEndpoint: false }),
      options.queueUrl,
      route,
      {
        ...(max === undefined ? {} : { max }),
        onMessage: (line) => output.err(`${line}\n`),
      },
    );
  } catch (error) {
    output.err(`apigw403 replay: cannot use the queue ${options.queueUrl}: ${oneLine(error)}\n`);
    return EXIT_PROBLEM;
  }
  const per = Object.entries(result.replayed).map(([target, count]) => `${target} ${count}`);
  const total = Object.values(result.replayed).reduce((sum, count) => sum + count, 0);
  output.out(
    `replayed ${total}${per.length > 0 ? ` (${per.join(', ')})` : ''}, failed ${result.failed}, not replayable ${result.refused}${result.failed + result.refused > 0 ? ' (they stay in the queue)' : ''}\n`,
  );
  return result.failed + result.refused > 0 ? EXIT_PROBLEM : EXIT_OK;
}

export function registerReplay(program: Command): Command {
  return program
    .command('replay')
    .description(
      'Send the records of the on-failure queue back to the function that failed them (the monitor or the Slack forwarder).',
    )
    .requiredOption('--queue-url <url>', 'the on-failure SQS queue (stack output FailureQueueUrl)')
    .option(
      '--function-name <name...>',
      'the deployed functions whose records to replay, by name or ARN (stack outputs); each record goes to the one that failed it (with --local: the functions the local handlers stand for)',
    )
    .option(
      '--local',
      `run the handlers of this checkout in this process instead (uses the ${MONITOR_ENV.topicArn}, ${MONITOR_ENV.stateTableName}, ... environment); a record of a function not given with --function-name runs only if it is a log subscription event (the monitor's)`,
    )
    .option('--max <n>', 'handle at most this many messages')
    .action(async (options: ReplayOptions) => {
      process.exitCode = await runReplay(options);
    });
}
