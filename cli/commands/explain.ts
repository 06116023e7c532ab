import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import {
  CaptureFormatError,
  type ClientExplanation,
  type ClientObservation,
  explainObservation,
  isReadableUrl,
  parseCurlVerbose,
  parseHar,
} from '../../lambda/core/explain/index.js';
import { describeCategory } from '../../lambda/core/index.js';
import { fillCommand } from '../../lambda/core/shell.js';
import { awsClients } from '../aws/clients.js';
import { settleWithAws } from '../aws/settle.js';
import { decodeText, withoutBom } from '../input/text.js';
import {
  type CommandIo,
  ComposedText,
  EXIT_OK,
  EXIT_PROBLEM,
  EXIT_USAGE,
  parseDuration,
  processIo,
  type SafeOutput,
  safeOutput,
  safeText,
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
  io: CommandIo & { readonly readStdin?: () => Promise<string> } = processIo,
  now = Date.now(),
): Promise<number> {
  const output = safeOutput(io);
  let observations: ClientObservation[];
  let sinceMs: number;
  try {
    sinceMs = parseDuration(options.since);
    observations = await readObservations(options, io.readStdin ?? readStdin);
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof CaptureFormatError)) throw error;
    output.err(`apigw403 explain: ${error.message}\n`);
    return EXIT_USAGE;
  }
  const explained = await explainAll(observations, options, output, now - sinceMs, now);
  if (explained.length === 0) {
    if (options.curl !== undefined || options.har !== undefined)
      output.err(
        `apigw403 explain: ${sourceName(options.curl ?? options.har ?? '')}: the capture holds no 403\n`,
      );
    return EXIT_PROBLEM;
  }
  if (options.output === 'json') {
    const documents = explained.map(({ explanation, notes }) => ({ ...explanation, notes }));
    output.json(options.har === undefined ? documents[0] : documents, 2);
  } else {
    output.composed(
      new ComposedText(explained.map((entry) => renderText(entry, options.aws === true)).join('\n')),
    );
  }
  return EXIT_OK;
}

interface Explained {
  readonly explanation: ClientExplanation;
  readonly notes: readonly string[];
  /** The stage's logs held the request: the answer is the log's, not only the caller's. */
  readonly foundInLogs?: boolean;
}

async function explainAll(
  observations: readonly ClientObservation[],
  options: ExplainOptions,
  output: SafeOutput,
  startTime: number,
  endTime: number,
): Promise<Explained[]> {
  const explained: Explained[] = [];
  const fromFlags = options.curl === undefined && options.har === undefined;
  for (const observation of observations) {
    const first = explainObservation(observation, options.stage ? { expectedStage: options.stage } : {});
    if (first.kind !== 'explained') {
      if (fromFlags) output.err(`apigw403 explain: ${first.why}: nothing to explain\n`);
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

async function readObservations(
  options: ExplainOptions,
  stdin: () => Promise<string>,
): Promise<ClientObservation[]> {
  const sources = [options.curl, options.har, options.url ?? options.errorType ?? options.message].filter(
    (value) => value !== undefined,
  );
  if (sources.length !== 1) {
    throw new UsageError('give exactly one of --curl FILE, --har FILE, or --url/--error-type/--message');
  }
  if (options.curl !== undefined) return readCurl(options.curl, stdin);
  if (options.har !== undefined) return readHar(options.har, stdin);
  if (options.url !== undefined && !isReadableUrl(options.url))
    throw new UsageError(`--url ${options.url}: not a URL (expected https://host/path)`);
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

/** The last exchange of a `curl -v` capture (the one after any redirects). */
async function readCurl(path: string, stdin: () => Promise<string>): Promise<ClientObservation[]> {
  const name = sourceName(path);
  const last = parseCurlVerbose(await readSource(path, stdin)).at(-1);
  if (!last)
    throw new UsageError(`${name}: no "> request" and "< HTTP/..." lines (was it made with curl -v?)`);
  if (last.url !== undefined && !isReadableUrl(last.url))
    throw new UsageError(
      `${name}: the request's URL cannot be read (check the Host header and request line)`,
    );
  return [last];
}

async function readHar(path: string, stdin: () => Promise<string>): Promise<ClientObservation[]> {
  const text = await readSource(path, stdin);
  try {
    return parseHar(text);
  } catch (error) {
    if (!(error instanceof CaptureFormatError)) throw error;
    throw new CaptureFormatError(`${sourceName(path)}: ${error.message}`, { cause: error });
  }
}

/** A capture file, or standard input for `-`; a file that cannot be read is a usage error naming it. */
async function readSource(path: string, stdin: () => Promise<string>): Promise<string> {
  try {
    return path === '-' ? withoutBom(await stdin()) : decodeText(await readFile(path));
  } catch (error) {
    throw new UsageError(
      `${sourceName(path)}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
}

function sourceName(path: string): string {
  return path === '-' ? '<stdin>' : path;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return decodeText(Buffer.concat(chunks));
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

/**
 * What the caller's answer alone says when it decides nothing: the category's own text is about
 * access-log formats, which mean nothing when no log was read.
 */
function undecidedFromClient(explanation: ClientExplanation, settled: boolean, notes: number) {
  const stage =
    explanation.apiId && explanation.stage
      ? fillCommand('apigw403 triage --api {apiId} --stage {stage}', {
          apiId: { literal: safeText(explanation.apiId) },
          stage: { literal: safeText(explanation.stage) },
        })
      : 'apigw403 triage --api API_ID --stage STAGE (the API and stage the URL is served by)';
  return {
    summary: 'The answer alone does not say which check refused the request.',
    checks: [
      !settled
        ? "Run again with --aws: it reads the API and stage and looks the request id up in the stage's logs"
        : notes > 0
          ? 'The AWS reads did not settle it: the notes below say what they found or why they failed (check the credentials, --region and --since)'
          : "The API and stage were read and decide nothing: give --request-id (the x-amzn-RequestId response header) to look the request up in the stage's logs",
      `Or classify the stage's recent 403s from its logs: ${stage}`,
    ],
  };
}

/**
 * The explanation as text: what the caller, the capture or the logs said passes `safeText` value by
 * value; the category's title, summary and checks are the CLI's own and are not redacted (redaction
 * read `INCOMPLETE_SIGNATURE: Authorization header …` as a key and its value).
 */
function renderText({ explanation, notes, foundInLogs }: Explained, settled: boolean): string {
  const fromLogs = foundInLogs === true;
  const outside = (text: string | undefined): string | undefined =>
    text === undefined ? undefined : safeText(text);
  const described = describeCategory(explanation.category, {
    apiId: outside(explanation.apiId),
    stage: outside(explanation.stage),
    region: outside(explanation.region),
    ...(explanation.reason ? { reason: explanation.reason } : {}),
    domainName: outside(explanation.domainName) || undefined,
    signals: explanation.signals,
  });
  const description =
    explanation.category === 'UNCLASSIFIED' && !fromLogs
      ? { ...described, ...undecidedFromClient(explanation, settled, notes.length) }
      : described;
  const lines = [
    `${outside(String(explanation.status))} ${[explanation.method, explanation.url].filter(Boolean).map(outside).join(' ')}${explanation.requestId ? ` (request ${outside(explanation.requestId)})` : ''}`,
    `${explanation.category}: ${description.title} (confidence ${explanation.confidence})`,
    `  ${description.summary}`,
    '',
    'Candidates, most likely first:',
    ...explanation.candidates.flatMap((candidate, index) => [
      `  ${index + 1}. ${candidate.category}`,
      ...candidate.reasons.map((reason) => `     - ${outside(reason)}`),
    ]),
    '',
    'First checks:',
    ...description.checks.map((check) => `  - ${check}`),
    `Docs: ${description.docUrl}`,
    ...notes.map((note) => `Note: ${outside(note)}`),
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
    .option('--curl <file>', 'the output of curl -v ("-" is standard input)')
    .option('--har <file>', 'a browser\'s HAR export: every 403 in it is explained ("-" is standard input)')
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
