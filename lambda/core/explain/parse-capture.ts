import type { ClientObservation } from './observation.js';

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

interface HarHeader {
  readonly name?: unknown;
  readonly value?: unknown;
}

/** Every entry of a HAR export (`log.entries[]`), in order; throws on a file that is not HAR. */
export function parseHar(text: string): ClientObservation[] {
  const parsed = JSON.parse(text) as { log?: { entries?: unknown } };
  const entries = parsed.log?.entries;
  if (!Array.isArray(entries)) throw new Error('not a HAR file: no log.entries array');
  return entries.map((entry: Record<string, unknown>) => {
    const request = (entry.request ?? {}) as Record<string, unknown>;
    const response = (entry.response ?? {}) as Record<string, unknown>;
    const content = (response.content ?? {}) as Record<string, unknown>;
    const text = typeof content.text === 'string' ? content.text : undefined;
    return {
      url: typeof request.url === 'string' ? request.url : undefined,
      method: typeof request.method === 'string' ? request.method : undefined,
      status: typeof response.status === 'number' ? response.status : 0,
      requestHeaders: harHeaders(request.headers),
      responseHeaders: harHeaders(response.headers),
      body: text && content.encoding === 'base64' ? Buffer.from(text, 'base64').toString('utf8') : text,
      responseHeadersComplete: true,
    };
  });
}

function harHeaders(headers: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  if (!Array.isArray(headers)) return result;
  for (const { name, value } of headers as HarHeader[]) {
    if (typeof name === 'string' && typeof value === 'string') result[name] = value;
  }
  return result;
}
