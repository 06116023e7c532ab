import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import {
  type ClientExplanation,
  type ClientObservation,
  explainObservation,
  parseCurlVerbose,
  parseHar,
} from '../../lambda/core/explain/index.js';
import { describeCategory } from '../../lambda/core/index.js';
import { awsClients } from '../aws/clients.js';
import { settleWithAws } from '../aws/settle.js';
import {
  type CommandIo,
  EXIT_OK,
  EXIT_PROBLEM,
  EXIT_USAGE,
  parseDuration,
  processIo,
  UsageError,
} from './command-io.js';

export interface ExplainOptions {
  readonly url?: string;
  readonly method?: string;
  readonly status?: string;
  readonly errorType?: string;
  readonly message?: string;
  readonly header?: readonly string[];
  readonly curl?: string;
  readonly har?: string;
  readonly stage?: string;
  readonly requestId?: string;
  readonly aws?: boolean;
  readonly region?: string;
  readonly since: string;
  readonly output: 'text' | 'json';
}

/**
 * `apigw403 explain`: classifies 403s as the caller saw them. Exit 0 when at least one 403 was
 * explained, 1 when the input holds no 403, 2 for a usage error or an unreadable file.
 */
export async function runExplain(
  options: ExplainOptions,
  io: CommandIo = processIo,
  now = Date.now(),
): Promise<number> {
  let observations: ClientObservation[];
  let sinceMs: number;
  try {
    sinceMs = parseDuration(options.since);
    observations = await readObservations(options);
  } catch (error) {
    io.stderr(`apigw403 explain: ${(error as Error).message}\n`);
    return EXIT_USAGE;
  }
  const explained = await explainAll(observations, options, io, now - sinceMs, now);
  if (explained.length === 0) {
    if (options.curl !== undefined || options.har !== undefined)
      io.stderr('apigw403 explain: the capture holds no 403\n');
    return EXIT_PROBLEM;
  }
  if (options.output === 'json') {
    const documents = explained.map(({ explanation, notes }) => ({ ...explanation, notes }));
    io.stdout(`${JSON.stringify(options.har === undefined ? documents[0] : documents, null, 2)}\n`);
  } else {
    io.stdout(
      explained
        .map(({ explanation, notes }) => renderText(explanation, notes, options.aws === true))
        .join('\n'),
    );
  }
  return EXIT_OK;
}

interface Explained {
  readonly explanation: ClientExplanation;
  readonly notes: readonly string[];
}

async function explainAll(
  observations: readonly ClientObservation[],
  options: ExplainOptions,
  io: CommandIo,
  startTime: number,
  endTime: number,
): Promise<Explained[]> {
  const explained: Explained[] = [];
  const fromFlags = options.curl === undefined && options.har === undefined;
  for (const observation of observations) {
    const first = explainObservation(observation, options.stage ? { expectedStage: options.stage } : {});
    if (first.kind !== 'explained') {
      if (fromFlags) io.stderr(`apigw403 explain: ${first.why}: nothing to explain\n`);
      continue;
    }
    if (!options.aws) {
      explained.push({ explanation: first, notes: [] });
      continue;
    }
    const clients = awsClients(options.region ?? first.region);
    explained.push(
      await settleWithAws(clients, observation, first, {
        expectedStage: options.stage,
        requestId: options.requestId,
        startTime,
        endTime,
      }),
    );
  }
  return explained;
}

async function readObservations(options: ExplainOptions): Promise<ClientObservation[]> {
  const sources = [options.curl, options.har, options.url ?? options.errorType ?? options.message].filter(
    (value) => value !== undefined,
  );
  if (sources.length !== 1) {
    throw new UsageError('give exactly one of --curl FILE, --har FILE, or --url/--error-type/--message');
  }
  if (options.curl !== undefined) {
    const observations = parseCurlVerbose(await readFile(options.curl, 'utf8'));
    if (observations.length === 0)
      throw new UsageError(
        `${options.curl}: no "> request" and "< HTTP/..." lines (was it made with curl -v?)`,
      );
    return observations.slice(-1);
  }
  if (options.har !== undefined) return parseHar(await readFile(options.har, 'utf8'));
  const status = Number(options.status ?? '403');
  if (!Number.isInteger(status) || status < 100 || status > 599)
    throw new UsageError(`--status ${options.status}: not an HTTP status`);
  return [
    {
      url: options.url,
      method: options.method ?? 'GET',
      status,
      requestHeaders: parseHeaders(options.header ?? []),
      responseHeaders: {},
      ...(options.message === undefined ? {} : { message: options.message }),
      ...(options.errorType === undefined ? {} : { errorType: options.errorType }),
      responseHeadersComplete: false,
    },
  ];
}

function parseHeaders(lines: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new UsageError(`--header ${JSON.stringify(line)}: expected "Name: value"`);
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return headers;
}

function renderText(explanation: ClientExplanation, notes: readonly string[], settled: boolean): string {
  const description = describeCategory(explanation.category, {
    apiId: explanation.apiId ?? '<api-id>',
    stage: explanation.stage ?? '<stage>',
    ...(explanation.region ? { region: explanation.region } : {}),
    ...(explanation.reason ? { reason: explanation.reason } : {}),
    ...(explanation.domainName ? { domainName: explanation.domainName } : {}),
    signals: explanation.signals,
  });
  const lines = [
    `${explanation.status} ${[explanation.method, explanation.url].filter(Boolean).join(' ')}${explanation.requestId ? ` (request ${explanation.requestId})` : ''}`,
    `${explanation.category}: ${description.title} (confidence ${explanation.confidence})`,
    `  ${description.summary}`,
    '',
    'Candidates, most likely first:',
    ...explanation.candidates.flatMap((candidate, index) => [
      `  ${index + 1}. ${candidate.category}`,
      ...candidate.reasons.map((reason) => `     - ${reason}`),
    ]),
    '',
    'First checks:',
    ...description.checks.map((check) => `  - ${check}`),
    `Docs: ${description.docUrl}`,
    ...notes.map((note) => `Note: ${note}`),
  ];
  if (!settled && explanation.confidence !== 'high') {
    lines.push(
      'To settle it: run again with --aws (reads the API, stage and domain, and looks the request id up in the logs).',
    );
  }
  return `${lines.join('\n')}\n`;
}

export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description(
      'Explain one 403 from what the caller saw: URL, status, x-amzn-errortype, message, headers, or a curl -v / HAR capture.',
    )
    .option('--url <url>', 'the URL that was called')
    .option('--method <method>', 'the HTTP method', 'GET')
    .option('--status <code>', 'the status the caller got', '403')
    .option('--error-type <type>', 'the x-amzn-errortype response header')
    .option('--message <text>', 'the message in the response body')
    .option(
      '--header <header>',
      'a request header sent, "Name: value" (repeatable)',
      (value: string, all: string[] = []) => [...all, value],
    )
    .option('--curl <file>', 'the output of curl -v')
    .option('--har <file>', "a browser's HAR export: every 403 in it is explained")
    .option('--stage <name>', 'the stage the URL should name')
    .option('--request-id <id>', 'the x-amzn-RequestId to look up with --aws (default: from the capture)')
    .option('--aws', 'settle with the API Gateway and CloudWatch Logs APIs (needs credentials)')
    .option('--region <region>', "the API region for --aws (default: from the URL, else the SDK's)")
    .option('--since <duration>', 'how far back --aws looks for the request id', '24h')
    .addOption(new Option('-o, --output <format>', 'text or json').choices(['text', 'json']).default('text'))
    .action(async (options: ExplainOptions) => {
      process.exitCode = await runExplain(options);
    });
}
