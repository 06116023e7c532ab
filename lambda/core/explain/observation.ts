/** What a caller saw of one request and its answer: the only evidence for 403s no stage logs. */
export interface ClientObservation {
  readonly url?: string;
  readonly method?: string;
  readonly status: number;
  /** Header names are compared case-insensitively; values as sent. */
  readonly requestHeaders: Readonly<Record<string, string>>;
  readonly responseHeaders: Readonly<Record<string, string>>;
  /** The response body, when known (the gateway's is `{"message":"..."}`, IAM-style denies use `"Message"`). */
  readonly body?: string;
  /** The message as the caller read it, when given without a body. */
  readonly message?: string;
  /** `x-amzn-errortype`, when given without response headers. */
  readonly errorType?: string;
  /**
   * True when every response header is known (a curl -v or HAR capture), so a missing
   * `x-amzn-errortype` means API Gateway did not produce the error.
   */
  readonly responseHeadersComplete: boolean;
}

export type HostKind = 'execute-api' | 'vpc-endpoint' | 'custom-domain' | 'unknown';

/** The parts of the URL that decide where a request was routed before any stage saw it. */
export interface UrlShape {
  readonly hostKind: HostKind;
  readonly host?: string;
  readonly apiId?: string;
  readonly region?: string;
  readonly vpceId?: string;
  /** The path's segments, decoded, without empty ones. */
  readonly segments: readonly string[];
  readonly path: string;
}

const EXECUTE_API_HOST = /^([a-z0-9]{10})\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;
/** Endpoint-specific public DNS (`{api-id}-{vpce-id}.execute-api...`), a Route 53 alias of a private API. */
const API_VPCE_ALIAS_HOST =
  /^([a-z0-9]{10})-(vpce-[a-z0-9]+)\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;
const VPC_ENDPOINT_HOST =
  /^(vpce-[a-z0-9]+)-[a-z0-9]+(?:-[a-z0-9-]+)?\.execute-api\.([a-z0-9-]+)\.vpce\.amazonaws\.com(?:\.cn)?$/;

export function parseUrlShape(url: string | undefined): UrlShape {
  if (!url) return { hostKind: 'unknown', segments: [], path: '' };
  let parsed: URL;
  try {
    parsed = new URL(/^[a-z]+:\/\//i.test(url) ? url : `https://${url}`);
  } catch {
    return { hostKind: 'unknown', segments: [], path: url };
  }
  const host = parsed.hostname.toLowerCase();
  const segments = parsed.pathname
    .split('/')
    .filter((segment) => segment !== '')
    .map(safeDecode);
  const base = { host, segments, path: parsed.pathname };
  const alias = API_VPCE_ALIAS_HOST.exec(host);
  if (alias) return { ...base, hostKind: 'execute-api', apiId: alias[1], vpceId: alias[2], region: alias[3] };
  const executeApi = EXECUTE_API_HOST.exec(host);
  if (executeApi) return { ...base, hostKind: 'execute-api', apiId: executeApi[1], region: executeApi[2] };
  const vpce = VPC_ENDPOINT_HOST.exec(host);
  if (vpce) return { ...base, hostKind: 'vpc-endpoint', vpceId: vpce[1], region: vpce[2] };
  if (host.endsWith('.amazonaws.com') || host.endsWith('.amazonaws.com.cn'))
    return { ...base, hostKind: 'unknown' };
  return { ...base, hostKind: 'custom-domain' };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function header(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

export type AuthorizationKind = 'none' | 'sigv4' | 'bearer' | 'basic' | 'other';

export function authorizationKind(headers: Readonly<Record<string, string>>): AuthorizationKind {
  const value = header(headers, 'authorization')?.trim();
  if (!value) return header(headers, 'x-amz-security-token') ? 'sigv4' : 'none';
  if (value.startsWith('AWS4-HMAC-SHA256')) return 'sigv4';
  if (/^bearer\s/i.test(value)) return 'bearer';
  if (/^basic\s/i.test(value)) return 'basic';
  return 'other';
}

/** The message a gateway error body carries (`message` or, for IAM-style denies, `Message`). */
export function bodyMessage(body: string | undefined): string | undefined {
  if (!body) return undefined;
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed && typeof parsed === 'object') {
      const record = parsed as Record<string, unknown>;
      const value = record.message ?? record.Message;
      if (typeof value === 'string') return value;
    }
  } catch {
    // a non-JSON body is the backend's own text, returned as is below
  }
  return body.trim() || undefined;
}
