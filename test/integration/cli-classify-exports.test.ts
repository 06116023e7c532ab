/**
 * `apigw403 classify` on the files people have after an incident, each written by the real AWS CLI
 * (Debian's v2) from the loopback CloudWatch Logs server: every shape must give the findings the
 * same events give as a subscription delivery.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runClassify } from '../../cli/commands/classify.js';
import { CloudWatchLogsServer } from '../../cli/peers/cloudwatch-logs-server.js';
import { classifyDocuments, type LogsDocument } from '../../lambda/core/index.js';
import { awsCli, limited } from '../fixtures/aws-cli.js';
import { accessLine, E4, E5, MESSAGES } from '../fixtures/evidence.js';
import { plainTempDir } from '../fixtures/temp-dir.js';

const ACCESS_GROUP = '/aws/apigateway/a1b2c3d4e5/prod';
const EXECUTION_GROUP = 'API-Gateway-Execution-Logs_a1b2c3d4e5/prod';
const PRETTY_GROUP = '/aws/apigateway/b2c3d4e5f6/dev';
const ACCESS_STREAM = '891a9806c75fe6bfb98283b857441f2f';
/** Any shape a stream name may take: `aws logs tail` prints it verbatim. */
const EXECUTION_STREAM = '2026/07/22/[$LATEST] exec stream';
const T0 = Date.UTC(2026, 6, 22, 3, 52, 54, 821);
const R = (n: number) => `c0ffee00-1111-4222-8333-44445555000${n}`;

const ACCESS_MESSAGES = [
  accessLine({
    requestId: R(1),
    error: { message: MESSAGES.forbidden, responseType: 'WAF_FILTERED' },
    waf: { status: '403', responseCode: 'WAF_BLOCK', error: '-' },
  }),
  accessLine({
    requestId: R(2),
    error: { message: MESSAGES.missingToken, responseType: 'MISSING_AUTHENTICATION_TOKEN' },
  }),
  accessLine({
    requestId: R(3),
    error: { message: MESSAGES.forbidden, responseType: 'INVALID_API_KEY' },
    identity: { apiKeyId: 'k9v8w7x6y5' },
  }),
  // The console's default JSON: no API id or stage in the line; the log group says them.
  `{ "requestId":"${R(4)}", "ip": "76.33.40.125", "caller":"-", "user":"-", "requestTime":"22/Jul/2026:03:52:54 +0000", "httpMethod":"GET", "resourcePath":"/orders", "status":"403", "protocol":"HTTP/1.1", "responseLength":"23" }`,
  accessLine({ requestId: R(6), status: '200' }),
];
const EXECUTION_MESSAGES = [
  `(${R(3)}) Extended Request Id: UBuxiEZSIAMFQ1Q=`,
  `(${R(3)}) ${E4}`,
  `(${R(3)}) ${E5}`,
  `(${R(5)}) Extended Request Id: VBuxiEZSIAMFQ1Q=`,
  `(${R(5)}) ${E4.replace('API Stage is not in a Usage Plan', 'No Usage Plan found for key and API Stage')}`,
  `(${R(5)}) ${E5}`,
];
/** A multi-line message (a pretty-printed record): only Insights exports are checked with it. */
const PRETTY_MESSAGE = JSON.stringify(
  JSON.parse(accessLine({ requestId: R(7), apiId: 'b2c3d4e5f6', stage: 'dev', status: '403' })),
  null,
  2,
);

let logs: CloudWatchLogsServer;
const dir = plainTempDir('apigw403-exports-');
const files: Record<string, string> = {};
let expected: string[];
let expectedPretty: string[];

const file = (name: string, content: string | Buffer): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  files[name] = path;
  return path;
};

async function classify(args: string[], logGroup?: string) {
  let stdout = '';
  let stderr = '';
  const code = await runClassify(
    args,
    { output: 'jsonl', ...(logGroup ? { logGroup } : {}) },
    {
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
    },
  );
  const findings = stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { requestId: string; category: string; apiId: string; stage: string });
  const keys = findings.map((f) => `${f.requestId} ${f.category} ${f.apiId}/${f.stage}`).sort();
  return { code, stdout, stderr, keys };
}

function keysOf(documents: readonly LogsDocument[]): string[] {
  const { findings } = classifyDocuments(documents, {
    resolveStage: (group) =>
      group === ACCESS_GROUP
        ? { apiId: 'a1b2c3d4e5', stage: 'prod' }
        : group === PRETTY_GROUP
          ? { apiId: 'b2c3d4e5f6', stage: 'dev' }
          : undefined,
  });
  return findings.map((f) => `${f.requestId} ${f.category} ${f.apiId}/${f.stage}`).sort();
}

const documentOf = (logGroup: string, messages: readonly string[], stream: string): LogsDocument => ({
  messageType: 'DATA_MESSAGE',
  owner: '123456789012',
  logGroup,
  logStream: stream,
  subscriptionFilters: ['Apigw403Monitor'],
  logEvents: messages.map((message, index) => ({
    id: `${logGroup}-${index}`,
    timestamp: T0 + index,
    message,
  })),
});

beforeAll(async () => {
  logs = await CloudWatchLogsServer.start({ pageSize: 2 });
  const put = (group: string, stream: string, messages: readonly string[]) =>
    logs.putLogEvents(
      group,
      stream,
      messages.map((message, index) => ({ timestamp: T0 + index, message })),
    );
  put(ACCESS_GROUP, ACCESS_STREAM, ACCESS_MESSAGES);
  put(EXECUTION_GROUP, EXECUTION_STREAM, EXECUTION_MESSAGES);
  put(PRETTY_GROUP, ACCESS_STREAM, [PRETTY_MESSAGE]);
  expected = keysOf([
    documentOf(ACCESS_GROUP, ACCESS_MESSAGES, ACCESS_STREAM),
    documentOf(EXECUTION_GROUP, EXECUTION_MESSAGES, EXECUTION_STREAM),
  ]);
  expectedPretty = keysOf([documentOf(PRETTY_GROUP, [PRETTY_MESSAGE], ACCESS_STREAM)]);

  const since = ['--since', `${Math.ceil((Date.now() - T0) / 86_400_000) + 1}d`];
  const cli = (args: string[]) => async () => {
    const result = await awsCli(logs.endpoint, args);
    if (result.code !== 0) throw new Error(`aws ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const getLogEvents = [
    'logs',
    'get-log-events',
    '--log-group-name',
    EXECUTION_GROUP,
    '--log-stream-name',
    EXECUTION_STREAM,
  ];
  const query = async () => {
    const started = JSON.parse(
      await cli([
        'logs',
        'start-query',
        '--log-group-names',
        ACCESS_GROUP,
        EXECUTION_GROUP,
        PRETTY_GROUP,
        '--start-time',
        String(Math.floor(T0 / 1000) - 60),
        '--end-time',
        String(Math.floor(T0 / 1000) + 60),
        '--query-string',
        'fields @timestamp, @message, @logStream, @log | sort @timestamp desc',
      ])(),
    ) as { queryId: string };
    return cli(['logs', 'get-query-results', '--query-id', started.queryId])();
  };
  const pages = async () => {
    const first = await cli([
      'logs',
      'filter-log-events',
      '--log-group-name',
      ACCESS_GROUP,
      '--no-paginate',
    ])();
    const token = (JSON.parse(first) as { nextToken: string }).nextToken;
    const second = await cli([
      'logs',
      'filter-log-events',
      '--log-group-name',
      ACCESS_GROUP,
      '--no-paginate',
      '--next-token',
      token,
    ])();
    return [first, second];
  };
  const [
    filterJson,
    filterText,
    getJson,
    getText,
    tailDetailed,
    tailShort,
    tailJson,
    tailExecJson,
    insights,
    twoPages,
  ] = await limited(4, [
    cli(['logs', 'filter-log-events', '--log-group-name', ACCESS_GROUP]),
    cli(['logs', 'filter-log-events', '--log-group-name', ACCESS_GROUP, '--output', 'text']),
    cli(getLogEvents),
    cli([...getLogEvents, '--output', 'text']),
    cli(['logs', 'tail', EXECUTION_GROUP, ...since, '--format', 'detailed', '--color', 'on']),
    cli(['logs', 'tail', ACCESS_GROUP, ...since, '--format', 'short']),
    cli(['logs', 'tail', ACCESS_GROUP, ...since, '--format', 'json']),
    cli(['logs', 'tail', EXECUTION_GROUP, ...since, '--format', 'json']),
    query,
    pages,
  ] as (() => Promise<string | string[]>)[]);
  file('filter.json', filterJson as string);
  file('filter.txt', filterText as string);
  file('get.json', getJson as string);
  file('get.txt', getText as string);
  file('tail-detailed.log', tailDetailed as string);
  file('tail-short.log', tailShort as string);
  file('tail-json.log', tailJson as string);
  file('tail-exec-json.log', tailExecJson as string);
  file('insights.json', insights as string);
  const [page1 = '', page2 = ''] = twoPages as string[];
  file('pages-concatenated.json', `${page1}${page2}`);
  file('pages.jsonl', `${JSON.stringify(JSON.parse(page1))}\n${JSON.stringify(JSON.parse(page2))}\n`);

  // The Insights console's downloads, by their documented shape (no CLI command writes them): a
  // header row of the query's fields, RFC 4180 quoting; JSON: one object per row.
  const rows = (
    JSON.parse(insights as string) as { results: { field: string; value: string }[][] }
  ).results.map((row) => Object.fromEntries(row.map(({ field, value }) => [field, value])));
  const header = ['@timestamp', '@message', '@logStream', '@log'];
  const quote = (value = '') => `"${value.replaceAll('"', '""')}"`;
  file(
    'insights.csv',
    `${header.join(',')}\r\n${rows.map((row) => header.map((name) => quote(row[name])).join(',')).join('\r\n')}\r\n`,
  );
  file('insights-console.json', JSON.stringify(rows, null, 2));
  file(
    'insights-no-message.csv',
    `@timestamp,@logStream\n${rows.map((row) => `${row['@timestamp']},${row['@logStream']}`).join('\n')}\n`,
  );

  // Subscription-shaped files from the same events, with the ids the CLI printed.
  const events = (
    JSON.parse(filterJson as string) as {
      events: { eventId: string; timestamp: number; message: string; ingestionTime: number }[];
    }
  ).events;
  const subscription = {
    messageType: 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup: ACCESS_GROUP,
    logStream: ACCESS_STREAM,
    subscriptionFilters: ['Apigw403Monitor'],
    logEvents: events.map(({ eventId, timestamp, message }) => ({ id: eventId, timestamp, message })),
  };
  const execution = {
    ...subscription,
    logGroup: EXECUTION_GROUP,
    logStream: EXECUTION_STREAM,
    logEvents: EXECUTION_MESSAGES.map((message, index) => ({
      id: `e${index}`,
      timestamp: T0 + index,
      message,
    })),
  };
  const data = (bytes: Buffer) => ({ awslogs: { data: bytes.toString('base64') } });
  file('subscription-gzip.json', JSON.stringify(data(gzipSync(JSON.stringify(subscription)))));
  file('subscription-zlib.json', JSON.stringify(data(deflateSync(JSON.stringify(subscription)))));
  file('documents.jsonl', `${JSON.stringify(subscription)}\n${JSON.stringify(execution)}\n`);
  // Datadog and other forwarders keep CloudWatch's `eventId` and `ingestionTime`.
  file('forwarder.jsonl', `${JSON.stringify({ ...subscription, logEvents: events })}\n`);
}, 120_000);

afterAll(async () => {
  await logs?.close();
});

describe('classify reads every export shape by content', () => {
  it('has a baseline with every kind of finding', () => {
    expect(expected).toHaveLength(5);
    expect(expected.join('\n')).toContain(`${R(4)} UNCLASSIFIED a1b2c3d4e5/prod`);
    expect(expected.join('\n')).toContain(`${R(5)} INVALID_API_KEY a1b2c3d4e5/prod`);
  });

  const access = () => expected.filter((key) => !key.startsWith(R(5)));
  // R(3) alone is an access finding when its execution lines are elsewhere.
  const accessOnly = async () => (await classify([files['subscription-gzip.json'] as string])).keys;

  it.each([
    ['filter-log-events JSON', 'filter.json'],
    ['filter-log-events --output text', 'filter.txt'],
    ['filter-log-events pages concatenated', 'pages-concatenated.json'],
    ['filter-log-events pages one per line', 'pages.jsonl'],
    ['tail --format short', 'tail-short.log'],
    ['tail --format json (pretty-printed records)', 'tail-json.log'],
  ])('%s of the access group, its group given as FILE=GROUP', async (_shape, name) => {
    const result = await classify([`${files[name]}=${ACCESS_GROUP}`]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.keys).toEqual(await accessOnly());
    expect(result.keys).toHaveLength(access().length);
  });

  it.each([
    ['get-log-events JSON', 'get.json'],
    ['get-log-events --output text', 'get.txt'],
    ['tail --format detailed, coloured, stream name with spaces', 'tail-detailed.log'],
    ['tail --format json', 'tail-exec-json.log'],
  ])('%s of the execution group joins the access export', async (_shape, name) => {
    const result = await classify([
      `${files['filter.json']}=${ACCESS_GROUP}`,
      `${files[name]}=${EXECUTION_GROUP}`,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.keys).toEqual(expected);
  });

  it.each([
    ['get-query-results', 'insights.json'],
    ['console CSV (quoted, multi-line messages)', 'insights.csv'],
    ['console JSON', 'insights-console.json'],
  ])('Logs Insights %s: groups from @log, no group needed', async (_shape, name) => {
    const result = await classify([files[name] as string]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.keys).toEqual([...expected, ...expectedPretty].sort());
  });

  it.each([
    ['gzip', 'subscription-gzip.json'],
    ['zlib', 'subscription-zlib.json'],
  ])('a %s subscription event beside decoded documents one per line', async (_kind, name) => {
    const result = await classify([files[name] as string, files['documents.jsonl'] as string]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.keys).toEqual(expected);
  });

  it('events with eventId and ingestionTime instead of id (forwarders)', async () => {
    const result = await classify([files['forwarder.jsonl'] as string]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.keys).toEqual(await accessOnly());
  });

  it('takes the API id and stage from the log group when the lines do not name them', async () => {
    const result = await classify([files['subscription-gzip.json'] as string]);
    expect(result.keys).toContain(`${R(4)} UNCLASSIFIED a1b2c3d4e5/prod`);
    const withoutGroup = await classify([files['filter.json'] as string]);
    expect(withoutGroup.keys).toContain(`${R(4)} UNCLASSIFIED unknown/unknown`);
    const withOption = await classify([files['filter.json'] as string], ACCESS_GROUP);
    expect(withOption.keys).toEqual(result.keys);
  });

  it('counts overlapping exports once: the same file twice, and every shape at once', async () => {
    const twice = await classify([files['filter.json'] as string, files['filter.json'] as string]);
    expect(twice.keys).toHaveLength(access().length);
    expect(twice.stderr).toMatch(/filter\.json: 5 already read \(counted once\)/);
    const everything = await classify([
      ...['filter.json', 'filter.txt', 'pages.jsonl', 'tail-short.log', 'tail-json.log'].map(
        (name) => `${files[name]}=${ACCESS_GROUP}`,
      ),
      ...['get.json', 'get.txt', 'tail-detailed.log'].map((name) => `${files[name]}=${EXECUTION_GROUP}`),
      files['subscription-gzip.json'] as string,
      files['documents.jsonl'] as string,
      files['insights.json'] as string,
      files['insights.csv'] as string,
    ]);
    expect(everything.code, everything.stderr).toBe(0);
    expect(everything.keys).toEqual([...expected, ...expectedPretty].sort());
  });

  it('--log-group does not turn access lines beside execution lines into execution lines', async () => {
    const result = await classify(
      [files['filter.json'] as string, files['get.json'] as string],
      EXECUTION_GROUP,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.keys).toEqual(expected);
  });

  it('says an Insights CSV without @message holds no log line, and exits 1', async () => {
    const result = await classify([files['insights-no-message.csv'] as string]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `apigw403 classify: ${files['insights-no-message.csv']}: 0 of 12 events are API Gateway log lines (looks like: Insights CSV without @message?)\n`,
    );
  });
});
