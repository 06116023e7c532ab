import { createHash } from 'node:crypto';
import { compileFilterPattern, FilterPatternSyntaxError } from '../../lib/filter-patterns.js';
import type { HttpPeer } from './http-peer.js';
import { PeerError, type PeerRequest, type PeerResponse, startJsonServer } from './json-http.js';

/** The calls this peer answers, as the SDK names them in `X-Amz-Target: Logs_20140328.<Target>`. */
export type LogsTarget =
  | 'FilterLogEvents'
  | 'GetLogEvents'
  | 'DescribeLogGroups'
  | 'DescribeSubscriptionFilters'
  | 'StartQuery'
  | 'GetQueryResults'
  | 'CreateLogGroup'
  | 'DeleteSubscriptionFilter'
  | 'PutSubscriptionFilter';

export interface RecordedLogsRequest {
  readonly target: string;
  readonly body: Record<string, unknown>;
}

export interface CloudWatchLogsServerOptions {
  /** Events per FilterLogEvents page (the real service returns up to 10,000 or 1 MB). */
  readonly pageSize?: number;
  readonly region?: string;
  readonly accountId?: string;
}

export interface StoredSubscriptionFilter {
  readonly filterName: string;
  readonly logGroupName: string;
  readonly filterPattern: string;
  readonly destinationArn: string;
  readonly creationTime: number;
}

interface StoredEvent {
  readonly eventId: string;
  readonly logStreamName: string;
  readonly timestamp: number;
  readonly ingestionTime: number;
  readonly message: string;
  readonly seq: number;
}

interface StoredGroup {
  readonly creationTime: number;
  readonly events: StoredEvent[];
  readonly filters: StoredSubscriptionFilter[];
}

const TARGET_PREFIX = 'Logs_20140328.';
/** Subscription filters per log group (PutSubscriptionFilter answers LimitExceededException past it). */
const MAX_SUBSCRIPTION_FILTERS = 2;
const CONTENT_TYPE = 'application/x-amz-json-1.1';

const ERROR_MESSAGES: Record<string, string> = {
  ThrottlingException: 'Rate exceeded',
  ResourceNotFoundException: 'The specified log group does not exist.',
  ServiceUnavailableException: 'The service cannot complete the request.',
  AccessDeniedException: 'User is not authorized to perform this operation',
};

/**
 * A CloudWatch Logs peer on 127.0.0.1 speaking the `awsJson1_1` protocol for the calls the monitor
 * and the CLI make. Point the SDK at it with `AWS_ENDPOINT_URL_CLOUDWATCH_LOGS=<endpoint>`.
 */
export class CloudWatchLogsServer {
  readonly requests: RecordedLogsRequest[] = [];
  private readonly groups = new Map<string, StoredGroup>();
  private readonly failures: { target: string; errorType: string }[] = [];
  private readonly queries = new Map<string, InsightsQuery>();
  private seq = 0;

  private constructor(
    private readonly peer: HttpPeer,
    private readonly options: Required<CloudWatchLogsServerOptions>,
  ) {}

  static async start(options: CloudWatchLogsServerOptions = {}): Promise<CloudWatchLogsServer> {
    const resolved = { pageSize: 50, region: 'us-east-1', accountId: '123456789012', ...options };
    let instance: CloudWatchLogsServer | undefined;
    const peer = await startJsonServer((request) => {
      if (!instance) throw new PeerError('ServiceUnavailableException', 'starting', 500);
      return instance.handle(request);
    }, CONTENT_TYPE);
    instance = new CloudWatchLogsServer(peer, resolved);
    return instance;
  }

  createLogGroup(name: string): void {
    if (!this.groups.has(name)) this.groups.set(name, { creationTime: Date.now(), events: [], filters: [] });
  }

  /** Creates the group when it is missing, like a stage's first log delivery does. */
  putLogEvents(
    group: string,
    stream: string,
    events: readonly { timestamp: number; message: string }[],
  ): void {
    this.createLogGroup(group);
    const stored = this.group(group);
    for (const event of events) {
      this.seq += 1;
      stored.events.push({
        eventId: `${event.timestamp}${String(this.seq).padStart(20, '0')}`,
        logStreamName: stream,
        timestamp: event.timestamp,
        ingestionTime: event.timestamp + 1000,
        message: event.message,
        seq: this.seq,
      });
    }
    stored.events.sort((a, b) => a.timestamp - b.timestamp || a.seq - b.seq);
  }

  putSubscriptionFilter(group: string, name: string, pattern: string, destinationArn: string): void {
    const stored = this.group(group);
    const index = stored.filters.findIndex((filter) => filter.filterName === name);
    const filter = {
      filterName: name,
      logGroupName: group,
      filterPattern: pattern,
      destinationArn,
      creationTime: Date.now(),
    };
    if (index >= 0) stored.filters[index] = filter;
    else stored.filters.push(filter);
  }

  /** The next `count` calls to `target` answer `errorType` (HTTP 400, or 500 for a server fault). */
  failNext(target: LogsTarget, count: number, errorType = 'ThrottlingException'): void {
    for (let i = 0; i < count; i += 1) this.failures.push({ target, errorType });
  }

  requestsFor(target: LogsTarget): RecordedLogsRequest[] {
    return this.requests.filter((request) => request.target === target);
  }

  get endpoint(): string {
    return this.peer.endpoint;
  }

  close(): Promise<void> {
    return this.peer.close();
  }

  private group(name: string): StoredGroup {
    const group = this.groups.get(name);
    if (!group)
      throw new PeerError('ResourceNotFoundException', ERROR_MESSAGES.ResourceNotFoundException ?? '');
    return group;
  }

  private handle(request: PeerRequest): PeerResponse {
    if (request.method !== 'POST' || request.url.pathname !== '/') {
      throw new PeerError('UnknownOperationException', `${request.method} ${request.url.pathname}`);
    }
    if (request.headers['content-type'] !== CONTENT_TYPE) {
      throw new PeerError('SerializationException', `content-type must be ${CONTENT_TYPE}`);
    }
    const targetHeader = String(request.headers['x-amz-target'] ?? '');
    if (!targetHeader.startsWith(TARGET_PREFIX)) {
      throw new PeerError('UnknownOperationException', `X-Amz-Target ${targetHeader}`);
    }
    const target = targetHeader.slice(TARGET_PREFIX.length);
    const body = JSON.parse(request.body || '{}') as Record<string, unknown>;
    this.requests.push({ target, body });
    const failureIndex = this.failures.findIndex((failure) => failure.target === target);
    if (failureIndex >= 0) {
      const [failure] = this.failures.splice(failureIndex, 1);
      const type = failure?.errorType ?? 'ThrottlingException';
      const status = type === 'ServiceUnavailableException' ? 500 : 400;
      throw new PeerError(type, ERROR_MESSAGES[type] ?? type, status);
    }
    switch (target) {
      case 'FilterLogEvents':
        return { body: this.filterLogEvents(body) };
      case 'DescribeLogGroups':
        return { body: this.describeLogGroups(body) };
      case 'DescribeSubscriptionFilters':
        return { body: this.describeSubscriptionFilters(body) };
      case 'CreateLogGroup':
        return { body: this.createLogGroupCall(body) };
      case 'DeleteSubscriptionFilter':
        return { body: this.deleteSubscriptionFilter(body) };
      case 'PutSubscriptionFilter':
        return { body: this.putSubscriptionFilterCall(body) };
      case 'GetLogEvents':
        return { body: this.getLogEvents(body) };
      case 'StartQuery':
        return { body: this.startQuery(body) };
      case 'GetQueryResults':
        return { body: this.getQueryResults(body) };
      default:
        throw new PeerError('UnknownOperationException', `this peer does not implement ${target}`);
    }
  }

  private filterLogEvents(body: Record<string, unknown>) {
    const groupName = groupNameOf(body);
    const group = this.group(groupName);
    const matches = filterPatternOf(body);
    const start = numberField(body, 'startTime') ?? Number.NEGATIVE_INFINITY;
    const end = numberField(body, 'endTime') ?? Number.POSITIVE_INFINITY;
    const streams = body.logStreamNames as string[] | undefined;
    const prefix = stringField(body, 'logStreamNamePrefix');
    const selected = group.events.filter(
      (event) =>
        event.timestamp >= start &&
        event.timestamp <= end &&
        (!streams || streams.includes(event.logStreamName)) &&
        (!prefix || event.logStreamName.startsWith(prefix)) &&
        matches(event.message),
    );
    const query = queryKey(body);
    const offset = decodeToken(stringField(body, 'nextToken'), query);
    const size = Math.min(numberField(body, 'limit') ?? Number.POSITIVE_INFINITY, this.options.pageSize);
    const page = selected.slice(offset, offset + size);
    const next = offset + page.length;
    const streamNames = [...new Set(group.events.map((event) => event.logStreamName))];
    return {
      events: page.map(({ seq: _seq, ...event }) => event),
      searchedLogStreams: streamNames.map((logStreamName) => ({ logStreamName, searchedCompletely: true })),
      ...(next < selected.length ? { nextToken: encodeToken(next, query) } : {}),
    };
  }

  private createLogGroupCall(body: Record<string, unknown>) {
    const name = stringField(body, 'logGroupName') ?? '';
    if (!/^[\w\-./#]{1,512}$/.test(name)) {
      throw new PeerError(
        'InvalidParameterException',
        `1 validation error detected: Value '${name}' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+`,
      );
    }
    if (this.groups.has(name)) {
      throw new PeerError('ResourceAlreadyExistsException', 'The specified log group already exists');
    }
    this.createLogGroup(name);
    return {};
  }

  /** Creates or replaces a filter by name; a third filter on a group is refused as the service refuses it. */
  private putSubscriptionFilterCall(body: Record<string, unknown>) {
    const logGroupName = groupNameOf(body);
    const group = this.group(logGroupName);
    const filterName = stringField(body, 'filterName') ?? '';
    const destinationArn = stringField(body, 'destinationArn') ?? '';
    const filterPattern = stringField(body, 'filterPattern');
    if (!filterName || !destinationArn || filterPattern === undefined) {
      throw new PeerError(
        'InvalidParameterException',
        'filterName, filterPattern and destinationArn are required',
      );
    }
    filterPatternOf(body);
    if (
      group.filters.length >= MAX_SUBSCRIPTION_FILTERS &&
      !group.filters.some((filter) => filter.filterName === filterName)
    ) {
      throw new PeerError('LimitExceededException', 'Resource limit exceeded.');
    }
    this.putSubscriptionFilter(logGroupName, filterName, filterPattern, destinationArn);
    return {};
  }

  private deleteSubscriptionFilter(body: Record<string, unknown>) {
    const group = this.group(groupNameOf(body));
    const index = group.filters.findIndex((filter) => filter.filterName === stringField(body, 'filterName'));
    if (index === -1)
      throw new PeerError('ResourceNotFoundException', 'The specified subscription filter does not exist.');
    group.filters.splice(index, 1);
    return {};
  }

  /** One stream's events in time order; the forward token at the end repeats the one sent, as the service's does. */
  private getLogEvents(body: Record<string, unknown>) {
    const group = this.group(groupNameOf(body));
    const stream = stringField(body, 'logStreamName');
    if (!stream) throw new PeerError('InvalidParameterException', 'logStreamName is required');
    const start = numberField(body, 'startTime') ?? Number.NEGATIVE_INFINITY;
    const end = numberField(body, 'endTime') ?? Number.POSITIVE_INFINITY;
    const events = group.events.filter(
      (event) => event.logStreamName === stream && event.timestamp >= start && event.timestamp < end,
    );
    if (events.length === 0 && !group.events.some((event) => event.logStreamName === stream)) {
      throw new PeerError('ResourceNotFoundException', 'The specified log stream does not exist.');
    }
    const query = queryKey(body);
    const token = stringField(body, 'nextToken');
    const offset = token === undefined ? 0 : decodeToken(token.replace(/^[fb]\//, ''), query);
    // The service answers up to 10,000 events (1 MB) per call; the CLI does not page this call.
    const size = Math.min(numberField(body, 'limit') ?? 10_000, 10_000);
    const page = events.slice(offset, offset + size);
    return {
      events: page.map(({ timestamp, message, ingestionTime }) => ({ timestamp, message, ingestionTime })),
      nextForwardToken: `f/${encodeToken(offset + page.length, query)}`,
      nextBackwardToken: `b/${encodeToken(offset, query)}`,
    };
  }

  /**
   * Logs Insights for the queries an export needs: `fields a, b, ...` then optional `sort @timestamp
   * asc|desc` and `limit N`. Times are epoch seconds, as in the service. The query completes at once.
   */
  private startQuery(body: Record<string, unknown>) {
    const names = [
      ...(stringField(body, 'logGroupName') ? [stringField(body, 'logGroupName') as string] : []),
      ...((body.logGroupNames as string[] | undefined) ?? []),
    ];
    if (names.length === 0) throw new PeerError('InvalidParameterException', 'Log group names are required');
    const start = (numberField(body, 'startTime') ?? 0) * 1000;
    const end = (numberField(body, 'endTime') ?? 0) * 1000 + 999;
    const query = parseInsightsQuery(stringField(body, 'queryString') ?? '');
    const rows = names.flatMap((name) =>
      this.group(name)
        .events.filter((event) => event.timestamp >= start && event.timestamp <= end)
        .map((event) => ({ name, event })),
    );
    rows.sort((a, b) => (a.event.timestamp - b.event.timestamp) * (query.descending ? -1 : 1));
    const limit = Math.min(query.limit ?? numberField(body, 'limit') ?? 1000, 10_000);
    const results = rows.slice(0, limit).map(({ name, event }) => [
      ...query.fields.map((field) => ({
        field,
        value: insightsValue(field, name, event, this.options.accountId),
      })),
      { field: '@ptr', value: Buffer.from(`${name}|${event.eventId}`).toString('base64') },
    ]);
    const queryId = createHash('sha256')
      .update(`${this.seq}:${JSON.stringify(body)}`)
      .digest('hex')
      .slice(0, 36);
    this.seq += 1;
    this.queries.set(queryId, { results, scanned: rows.length });
    return { queryId };
  }

  private getQueryResults(body: Record<string, unknown>) {
    const query = this.queries.get(stringField(body, 'queryId') ?? '');
    if (!query) throw new PeerError('InvalidParameterException', 'Query does not exist.');
    return {
      results: query.results,
      statistics: { recordsMatched: query.results.length, recordsScanned: query.scanned, bytesScanned: 0 },
      status: 'Complete',
    };
  }

  private describeLogGroups(body: Record<string, unknown>) {
    const prefix = stringField(body, 'logGroupNamePrefix') ?? '';
    const names = [...this.groups.keys()].filter((name) => name.startsWith(prefix)).sort();
    return {
      logGroups: names.map((logGroupName) => ({
        logGroupName,
        creationTime: this.groups.get(logGroupName)?.creationTime,
        arn: `arn:aws:logs:${this.options.region}:${this.options.accountId}:log-group:${logGroupName}:*`,
        logGroupArn: `arn:aws:logs:${this.options.region}:${this.options.accountId}:log-group:${logGroupName}`,
        storedBytes: 0,
        metricFilterCount: 0,
      })),
    };
  }

  private describeSubscriptionFilters(body: Record<string, unknown>) {
    const group = this.group(groupNameOf(body));
    const prefix = stringField(body, 'filterNamePrefix') ?? '';
    return {
      // The service lists them ASCII-sorted by name.
      subscriptionFilters: group.filters
        .filter((filter) => filter.filterName.startsWith(prefix))
        .sort((a, b) => (a.filterName < b.filterName ? -1 : 1))
        .map((filter) => ({ ...filter, distribution: 'ByLogStream' })),
    };
  }
}

interface InsightsQuery {
  readonly results: { field: string; value: string }[][];
  readonly scanned: number;
}

const INSIGHTS_FIELDS = ['@timestamp', '@message', '@logStream', '@log', '@ingestionTime'] as const;

function parseInsightsQuery(text: string): { fields: string[]; descending: boolean; limit?: number } {
  const commands = text.split('|').map((command) => command.trim());
  const [first = '', ...rest] = commands;
  const fields = /^fields\s+(.+)$/
    .exec(first)?.[1]
    ?.split(',')
    .map((field) => field.trim());
  const unknown = fields?.find((field) => !(INSIGHTS_FIELDS as readonly string[]).includes(field));
  if (!fields || unknown !== undefined) {
    throw new PeerError(
      'MalformedQueryException',
      `this peer answers \`fields ${INSIGHTS_FIELDS.join(', ')}\` queries only`,
    );
  }
  let descending = false;
  let limit: number | undefined;
  for (const command of rest) {
    const sort = /^sort\s+@timestamp(?:\s+(asc|desc))?$/.exec(command);
    const limitMatch = /^limit\s+(\d+)$/.exec(command);
    if (sort) descending = sort[1] === 'desc';
    else if (limitMatch) limit = Number(limitMatch[1]);
    else throw new PeerError('MalformedQueryException', `unsupported query command: ${command}`);
  }
  return { fields, descending, ...(limit === undefined ? {} : { limit }) };
}

/** Insights prints `@timestamp` as `YYYY-MM-DD HH:MM:SS.mmm` (UTC) and `@log` as `account:group`. */
function insightsValue(field: string, group: string, event: StoredEvent, accountId: string): string {
  const time = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
  switch (field) {
    case '@timestamp':
      return time(event.timestamp);
    case '@ingestionTime':
      return time(event.ingestionTime);
    case '@logStream':
      return event.logStreamName;
    case '@log':
      return `${accountId}:${group}`;
    default:
      return event.message;
  }
}

function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' ? value : undefined;
}

function numberField(body: Record<string, unknown>, name: string): number | undefined {
  const value = body[name];
  return typeof value === 'number' ? value : undefined;
}

function groupNameOf(body: Record<string, unknown>): string {
  const name = stringField(body, 'logGroupName');
  const identifier = stringField(body, 'logGroupIdentifier');
  if (name && identifier) {
    throw new PeerError(
      'InvalidParameterException',
      'LogGroup name and LogGroup ARN are mutually exclusive parameters.',
    );
  }
  const value = name ?? identifier?.replace(/^arn:[^:]+:logs:[^:]*:\d*:log-group:/, '').replace(/:\*$/, '');
  if (!value)
    throw new PeerError('InvalidParameterException', 'Either logGroupName or logGroupIdentifier is required');
  return value;
}

function queryKey(body: Record<string, unknown>): string {
  const { nextToken: _token, ...query } = body;
  return createHash('sha256').update(JSON.stringify(query)).digest('hex').slice(0, 16);
}

function encodeToken(offset: number, query: string): string {
  return Buffer.from(JSON.stringify({ offset, query })).toString('base64url');
}

function decodeToken(token: string | undefined, query: string): number {
  if (token === undefined) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      offset: number;
      query: string;
    };
    if (parsed.query === query && Number.isInteger(parsed.offset)) return parsed.offset;
  } catch {
    // an unreadable token is answered like a token for another query, below
  }
  throw new PeerError('InvalidParameterException', 'The specified nextToken is invalid.');
}

/** The project's one filter-pattern evaluator, its syntax errors answered as the service does. */
function filterPatternOf(body: Record<string, unknown>): (message: string) => boolean {
  try {
    return compileFilterPattern(stringField(body, 'filterPattern') ?? '');
  } catch (error) {
    if (error instanceof FilterPatternSyntaxError)
      throw new PeerError('InvalidParameterException', 'Invalid filter pattern');
    throw error;
  }
}

export { compileFilterPattern };
