import {
  type CloudWatchLogsClient,
  type FilteredLogEvent,
  FilterLogEventsCommand,
  type FilterLogEventsCommandInput,
} from '@aws-sdk/client-cloudwatch-logs';

export interface FilterLogEventsOptions {
  /** Stop after this many pages (each page is one request); unbounded when absent. */
  readonly maxPages?: number;
  /** Aborting ends the generator quietly before the next request; the page in hand is still yielded. */
  readonly signal?: AbortSignal;
  readonly onPage?: (page: { events: number; pages: number }) => void;
  /** Throttled pages are retried this many times after the SDK's own retries gave up. */
  readonly maxThrottleRetries?: number;
  /** The first back-off ceiling in milliseconds; it doubles on every retry. */
  readonly baseDelayMs?: number;
}

const THROTTLING_ERRORS = new Set([
  'ThrottlingException',
  'LimitExceededException',
  'TooManyRequestsException',
]);

/** Whether an error is a throttling answer, so retrying later can succeed. */
function isThrottling(error: unknown): boolean {
  return error instanceof Error && THROTTLING_ERRORS.has(error.name);
}

/**
 * Every event matching `input`, page by page (`nextToken`). FilterLogEvents has a low request quota
 * per account and region, shared with every other reader, so a throttled page is retried with full
 * jitter on top of the SDK's own retries instead of failing a long triage half-way.
 */
export async function* filterLogEvents(
  client: CloudWatchLogsClient,
  input: FilterLogEventsCommandInput,
  options: FilterLogEventsOptions = {},
): AsyncGenerator<FilteredLogEvent> {
  const { maxPages = Number.POSITIVE_INFINITY, signal, onPage } = options;
  let nextToken = input.nextToken;
  let pages = 0;
  let events = 0;
  while (pages < maxPages && !signal?.aborted) {
    const page = await sendWithBackoff(client, { ...input, nextToken }, options);
    if (page === undefined) return;
    pages += 1;
    const pageEvents = page.events ?? [];
    events += pageEvents.length;
    onPage?.({ events, pages });
    yield* pageEvents;
    // The service may repeat the token it was given when a page is empty near the end of the range.
    if (!page.nextToken || page.nextToken === nextToken) return;
    nextToken = page.nextToken;
  }
}

async function sendWithBackoff(
  client: CloudWatchLogsClient,
  input: FilterLogEventsCommandInput,
  options: FilterLogEventsOptions,
) {
  const { signal, maxThrottleRetries = 4, baseDelayMs = 500 } = options;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await client.send(new FilterLogEventsCommand(input), { abortSignal: signal });
    } catch (error) {
      if (signal?.aborted) return undefined;
      if (!isThrottling(error) || attempt >= maxThrottleRetries) throw error;
      const ceiling = baseDelayMs * 2 ** attempt;
      if (!(await sleep(Math.random() * ceiling, signal))) return undefined;
    }
  }
}

/** Resolves true after `ms`, or false as soon as the signal aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve(false);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
