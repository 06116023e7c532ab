import { z } from 'zod';
import { type ClientObservation, parseUrlShape } from './observation.js';

/**
 * The observations in the text `curl -v` prints: `> ` request lines, `< ` response lines and the
 * body after them. Each request/response exchange (redirects, retries) is one observation.
 */
export function parseCurlVerbose(text: string): ClientObservation[] {
  const observations: ClientObservation[] = [];
  let current: MutableExchange | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\r$/, '');
    const requestLine = /^> ([A-Z]+) (\S+) HTTP\/[\d.]+$/.exec(line);
    if (requestLine) {
      if (current?.status !== undefined) observations.push(finish(current));
      current = newExchange(requestLine[1] ?? 'GET', requestLine[2] ?? '/');
    } else if (current) {
      addCurlLine(current, line);
    }
  }
  if (current?.status !== undefined) observations.push(finish(current));
  return observations;
}

/** curl's own `* ` notes and `{ [n bytes data]` markers can interleave with the body. */
const CURL_NOTE = /^(\* |\{ \[|\} \[)/;

function addCurlLine(exchange: MutableExchange, line: string): void {
  const statusLine = /^< HTTP\/[\d.]+ (\d{3})/.exec(line);
  if (statusLine) {
    exchange.status = Number(statusLine[1]);
    exchange.responseHeaders = {};
    return;
  }
  if (exchange.inBody) {
    if (!CURL_NOTE.test(line)) exchange.body.push(line);
    return;
  }
  const headerLine = /^([<>]) ([^:]+):\s?(.*)$/.exec(line);
  if (headerLine) {
    const target = headerLine[1] === '>' ? exchange.requestHeaders : exchange.responseHeaders;
    target[(headerLine[2] ?? '').trim()] = (headerLine[3] ?? '').trim();
  } else if (line === '<' && exchange.status !== undefined) {
    exchange.inBody = true;
  }
}

interface MutableExchange {
  method: string;
  target: string;
  status?: number;
  requestHeaders: Record<string, string>;
  responseHeaders: Record<string, string>;
  body: string[];
  inBody: boolean;
}

function newExchange(method: string, target: string): MutableExchange {
  return { method, target, requestHeaders: {}, responseHeaders: {}, body: [], inBody: false };
}

function finish(exchange: MutableExchange): ClientObservation {
  const host = Object.entries(exchange.requestHeaders).find(([name]) => name.toLowerCase() === 'host')?.[1];
  const url = /^https?:\/\//.test(exchange.target)
    ? exchange.target
    : host
      ? `https://${host}${exchange.target}`
      : undefined;
  const body = exchange.body.join('\n').trim();
  return {
    url,
    method: exchange.method,
    status: exchange.status ?? 0,
    requestHeaders: exchange.requestHeaders,
    responseHeaders: exchange.responseHeaders,
    body: body || undefined,
    responseHeadersComplete: true,
  };
}

/** A capture that cannot be read: the message names the problem and where, never the content. */
export class CaptureFormatError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CaptureFormatError';
  }
}

/** A URL the explainer can read the host of (a scheme-less `host/path` is read as https). */
export function isReadableUrl(url: string): boolean {
  return Boolean(parseUrlShape(url).host);
}

const harHeaders = z.array(z.object({ name: z.string(), value: z.string() })).default([]);

/** The parts of HAR 1.2 (`log.entries[]`) the explainer reads; browsers write more, which is ignored. */
const HAR = z.object({
  log: z.object({
    entries: z.array(
      z.object({
        request: z.object({
          method: z.string(),
          url: z.string().refine(isReadableUrl, { message: 'is not a URL' }),
          headers: harHeaders,
        }),
        response: z.object({
          status: z.number().int(),
          headers: harHeaders,
          content: z.object({ text: z.string().optional(), encoding: z.string().optional() }).optional(),
        }),
      }),
    ),
  }),
});

/**
 * Every entry of a HAR export (`log.entries[]`), in order. Throws `CaptureFormatError` naming the
 * first thing that is wrong (`log.entries[3].request.url is not a URL`) for a file that is not HAR.
 */
export function parseHar(text: string): ClientObservation[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // JSON.parse quotes the text it stopped at; the message must not echo the file's bytes.
    throw new CaptureFormatError('not a HAR file: not JSON', { cause: error });
  }
  const result = HAR.safeParse(parsed);
  if (!result.success) throw new CaptureFormatError(`not a HAR file: ${describeIssues(result.error.issues)}`);
  return result.data.log.entries.map(({ request, response }) => {
    const text = response.content?.text;
    return {
      url: request.url,
      method: request.method,
      status: response.status,
      requestHeaders: headerRecord(request.headers),
      responseHeaders: headerRecord(response.headers),
      body:
        text && response.content?.encoding === 'base64' ? Buffer.from(text, 'base64').toString('utf8') : text,
      responseHeadersComplete: true,
    };
  });
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const [first] = issues;
  if (!first) return 'unreadable';
  const path = first.path
    .map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`))
    .join('');
  const message =
    first.code === 'custom' ? first.message : `${first.message.replace(/^Invalid input: /, '')}`;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return `${path || 'the document'} ${message}${more}`;
}

function headerRecord(headers: readonly { name: string; value: string }[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const { name, value } of headers) result[name] = value;
  return result;
}
