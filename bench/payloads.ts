/**
 * Deterministic CloudWatch Logs subscription payloads (`{"awslogs":{"data":"<base64 gzip>"}}`) built
 * from the line shapes API Gateway writes (the same shapes as the test fixtures):
 *
 * - access logs, three JSON formats: a flat Terraform-sorted format (§2.4 A1/A2 of the evidence
 *   notes), a nested format (§2.4 A4, with 403 values), and the format this app recommends
 *   (`recommendedAccessLogFormat`);
 * - REST execution logs: the §1.2 sequences E1-E7 (usage plan), E28 (policy deny), E37 (mTLS),
 *   E40-E46 (backend 403), plus the 429 (E52/E53) and 200 (E8-E10) negatives.
 *
 * Two mixes. `403-only` is what production delivers: every generated line passes through the
 * subscription-filter pattern the stack deploys for its format (lib/filter-patterns.ts, evaluated
 * offline), so the negatives and the execution lines no filter term selects never arrive. `mixed`
 * keeps every generated line, as an unfiltered subscription (or `apigw403 classify` on an export)
 * would see them.
 */
import { gzipSync } from 'node:zlib';
import { ACCESS_FIELDS, type AccessField } from '../lambda/core/access-fields.js';
import { recommendedAccessLogFormat } from '../lambda/core/access-log-format.js';
import type { LogEvent, LogsDocument } from '../lambda/core/model.js';
import {
  accessLogFilterPattern,
  compileFilterPattern,
  executionLogFilterPattern,
} from '../lib/filter-patterns.js';

export interface SubscriptionEvent {
  readonly awslogs: { readonly data: string };
}

export type PayloadKind = 'access-flat' | 'access-nested' | 'access-recommended' | 'execution';

/** `403-only`: what the deployed subscription filters deliver; `mixed`: every line, unfiltered. */
export type PayloadMix = '403-only' | 'mixed';
export const PAYLOAD_MIXES: readonly PayloadMix[] = ['403-only', 'mixed'];

/**
 * The pattern the stack would deploy for each generated format: the flat format logs `status` and no
 * response type, the nested one `httpStatusCode` and `error.errorResponseType`.
 */
const FILTERS: Readonly<Record<PayloadKind, (message: string) => boolean>> = {
  'access-flat': compileFilterPattern(accessLogFilterPattern({ responseTypeKey: null })),
  'access-nested': compileFilterPattern(
    accessLogFilterPattern({ statusKey: 'httpStatusCode', responseTypeKey: 'error.errorResponseType' }),
  ),
  'access-recommended': compileFilterPattern(accessLogFilterPattern()),
  execution: compileFilterPattern(executionLogFilterPattern()),
};

export interface Payload {
  readonly kind: PayloadKind;
  readonly event: SubscriptionEvent;
  readonly logGroup: string;
  readonly events: number;
  readonly compressedBytes: number;
  readonly inflatedBytes: number;
}

/** mulberry32: small, fast and good enough to vary ids; the same seed gives the same bytes. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const int = (rng: Rng, n: number): number => Math.floor(rng() * n);
const pick = <T>(rng: Rng, items: readonly T[]): T => items[int(rng, items.length)] as T;
const hex = (rng: Rng, n: number): string => {
  let out = '';
  for (let i = 0; i < n; i++) out += '0123456789abcdef'[int(rng, 16)];
  return out;
};
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const uuid = (rng: Rng): string =>
  `${hex(rng, 8)}-${hex(rng, 4)}-4${hex(rng, 3)}-${'89ab'[int(rng, 4)]}${hex(rng, 3)}-${hex(rng, 12)}`;
/** `x-amz-apigw-id`, e.g. `A463pHJGPHcEQGQ=`. */
const extendedId = (rng: Rng): string => {
  let out = '';
  for (let i = 0; i < 15; i++) out += B64[int(rng, 64)];
  return `${out}=`;
};
const apiIdOf = (rng: Rng): string => {
  let out = '';
  for (let i = 0; i < 10; i++) out += 'abcdefghijklmnopqrstuvwxyz0123456789'[int(rng, 36)];
  return out;
};
/**
 * CloudWatch event ids: 56-digit decimal strings that ascend with a stream's events (the real
 * subscription documents of the evidence notes list them in that order). Each call gives the next
 * id of one document, a random step above the last.
 */
function eventIds(rng: Rng): () => string {
  let id = BigInt(`3${digits(rng, 55)}`);
  return () => {
    id += BigInt(digits(rng, 40)) + 1n;
    return id.toString();
  };
}
const digits = (rng: Rng, n: number): string => {
  let out = '';
  for (let i = 0; i < n; i++) out += String(int(rng, 10));
  return out;
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** `$context.requestTime`: `22/Jul/2026:03:52:54 +0000`. */
function requestTime(epochMs: number): string {
  const d = new Date(epochMs);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(
    d.getUTCMinutes(),
  )}:${p(d.getUTCSeconds())} +0000`;
}

const USER_AGENTS = [
  'curl/8.10.1',
  'Mozilla/5.0 (apple-x86_64-darwin20.4.0) Siege/4.1.6',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'python-requests/2.32.3',
  'okhttp/4.12.0',
  'aws-sdk-js/3.600.0 ua/2.0 os/linux#5.10 lang/js md/nodejs#20.15.0 api/execute-api#3.600.0',
  'PostmanRuntime/7.39.0',
  'Go-http-client/2.0',
];
const ROUTES: readonly (readonly [string, string])[] = [
  ['GET', '/PythonResource'],
  ['GET', '/v1/booking-service'],
  ['POST', '/v1/booking-service'],
  ['GET', '/orders/{orderId}'],
  ['PUT', '/orders/{orderId}'],
  ['GET', '/admin/users'],
  ['DELETE', '/admin/users/{userId}'],
  ['POST', '/verifyReceipt'],
  ['GET', '/health'],
];
/** Browsers' preflights are a small share of refused requests. */
const route = (rng: Rng): readonly [string, string] =>
  rng() < 0.02 ? ['OPTIONS', '/orders/{orderId}'] : pick(rng, ROUTES);

/** One API stage: the context its lines share. */
interface Stage {
  readonly apiId: string;
  readonly stage: string;
  readonly domainName: string;
  readonly account: string;
  readonly webAclArn: string;
  readonly ipPool: readonly string[];
}

function makeStage(rng: Rng, index: number): Stage {
  const apiId = apiIdOf(rng);
  const account = String(100000000000 + int(rng, 899999999999));
  const custom = index % 2 === 0;
  const ipPool: string[] = [];
  // A few hot sources (a scanner, a broken client) and a long tail.
  for (let i = 0; i < 40; i++)
    ipPool.push(`${1 + int(rng, 222)}.${int(rng, 256)}.${int(rng, 256)}.${int(rng, 256)}`);
  return {
    apiId,
    stage: pick(rng, ['prod', 'main', 'dev', 'staging', 'v1']),
    domainName: custom ? `api${index}.timewarptravels.com` : `${apiId}.execute-api.us-west-2.amazonaws.com`,
    account,
    webAclArn: `arn:aws:wafv2:us-west-2:${account}:regional/webacl/edge-waf-${index}/${uuid(rng)}`,
    ipPool,
  };
}

const sourceIp = (rng: Rng, stage: Stage): string =>
  rng() < 0.5
    ? (stage.ipPool[int(rng, 4)] as string)
    : (stage.ipPool[int(rng, stage.ipPool.length)] as string);

/** Field values of one request (`-` for unset, as API Gateway writes them). */
type Values = Partial<Record<AccessField, string>> & {
  latency?: string;
  integrationLatency?: string;
  responseLength?: string;
};

/** 403 causes as an access line shows them (§2.4, §2.5, §2.6), with relative weights. */
const ACCESS_CASES: readonly { readonly weight: number; readonly values: (rng: Rng, s: Stage) => Values }[] =
  [
    {
      weight: 18, // A1: WAF block
      values: (_rng, s) => ({
        status: '403',
        errorMessage: 'Forbidden',
        errorResponseType: 'WAF_FILTERED',
        wafResponseCode: 'WAF_BLOCK',
        wafStatus: '403',
        webAclArn: s.webAclArn,
        responseLength: '23',
      }),
    },
    {
      weight: 10, // A2: the backend answered 403
      values: (rng) => ({
        status: '403',
        integrationStatus: '403',
        integrationLatency: String(5 + int(rng, 60)),
        wafResponseCode: 'WAF_ALLOW',
        wafStatus: '200',
        responseLength: '50',
      }),
    },
    {
      weight: 16, // missing or unknown API key
      values: (rng) => ({
        status: '403',
        errorMessage: 'Forbidden',
        errorResponseType: 'INVALID_API_KEY',
        ...(rng() < 0.5 ? {} : { apiKeyId: `${apiIdOf(rng)}` }),
        responseLength: '23',
      }),
    },
    {
      weight: 16, // wrong path or method
      values: (rng) => ({
        status: '403',
        errorMessage: 'Missing Authentication Token',
        errorResponseType: 'MISSING_AUTHENTICATION_TOKEN',
        resourcePath: '-',
        path: pick(rng, ['/prod/orders', '/wp-login.php', '/.env', '/v2/booking-service', '/prod/admin']),
        responseLength: '42',
      }),
    },
    {
      weight: 10, // Lambda authorizer explicit deny
      values: () => ({
        status: '403',
        errorMessage: 'User is not authorized to access this resource with an explicit deny',
        errorResponseType: 'ACCESS_DENIED',
        authorizerStatus: '200',
        responseLength: '82',
      }),
    },
    {
      weight: 6, // cached authorizer policy without an Allow
      values: () => ({
        status: '403',
        errorMessage: 'User is not authorized to access this resource',
        errorResponseType: 'ACCESS_DENIED',
        authorizerStatus: '200',
        responseLength: '60',
      }),
    },
    {
      weight: 6, // resource policy, unsigned caller
      values: (_rng, s) => ({
        status: '403',
        errorMessage: `User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-west-2:${s.account}:${s.apiId}/${s.stage}/GET/`,
        errorResponseType: 'ACCESS_DENIED',
        responseLength: '170',
      }),
    },
    {
      weight: 4, // IAM explicit deny
      values: (rng, s) => ({
        status: '403',
        errorMessage: `User: arn:aws:iam::${s.account}:user/ci-${int(rng, 9)} is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-west-2:${s.account}:${s.apiId}/${s.stage}/GET/orders with an explicit deny`,
        errorResponseType: 'ACCESS_DENIED',
        userArn: `arn:aws:iam::${s.account}:user/ci`,
        responseLength: '190',
      }),
    },
    {
      weight: 4, // signature mismatch
      values: () => ({
        status: '403',
        errorMessage:
          'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
        errorResponseType: 'INVALID_SIGNATURE',
        responseLength: '190',
      }),
    },
    {
      weight: 2, // clock skew
      values: () => ({
        status: '403',
        errorMessage:
          'Signature expired: 20200706T195306Z is now earlier than 20200707T071347Z (20200707T072847Z - 15 min.)',
        errorResponseType: 'INVALID_SIGNATURE',
        responseLength: '120',
      }),
    },
    {
      weight: 2, // mTLS: the certificate fields are logged only when the handshake check fails
      values: (rng) => ({
        status: '403',
        errorMessage: 'Forbidden',
        clientCertSubjectDN: `CN=device-${int(rng, 999)}.example.com,O=Example Corp`,
        clientCertIssuerDN: 'CN=Example Device CA,O=Example Corp',
        clientCertSerialNumber: hex(rng, 32),
        clientCertNotBefore: 'Jan 1 00:00:00 2025 GMT',
        clientCertNotAfter: 'Jan 1 00:00:00 2026 GMT',
        responseLength: '23',
      }),
    },
    {
      weight: 2, // remapped: INVALID_API_KEY answered 401 through a custom gateway response
      values: () => ({
        status: '401',
        errorMessage: 'Forbidden',
        errorResponseType: 'INVALID_API_KEY',
        responseLength: '23',
      }),
    },
    // Negatives a loose filter lets through (§1.2 G, §2.4 A4).
    {
      weight: 4,
      values: () => ({
        status: '429',
        errorMessage: 'Too Many Requests',
        errorResponseType: 'THROTTLED',
        responseLength: '35',
      }),
    },
    {
      weight: 2,
      values: (rng) => ({
        status: '200',
        integrationStatus: '200',
        integrationLatency: String(20 + int(rng, 80)),
        authorizerStatus: '200',
        wafResponseCode: 'WAF_ALLOW',
        wafStatus: '200',
        responseLength: String(9 + int(rng, 900)),
      }),
    },
  ];
const ACCESS_WEIGHT = ACCESS_CASES.reduce((sum, c) => sum + c.weight, 0);

function accessValues(rng: Rng, s: Stage, epochMs: number): Values {
  let roll = rng() * ACCESS_WEIGHT;
  let chosen = ACCESS_CASES[0] as (typeof ACCESS_CASES)[number];
  for (const c of ACCESS_CASES) {
    roll -= c.weight;
    if (roll < 0) {
      chosen = c;
      break;
    }
  }
  const [method, resourcePath] = route(rng);
  const path = `/${s.stage}${resourcePath.replace(/\{[^}]+\}/g, () => String(1000 + int(rng, 9000)))}`;
  return {
    requestId: uuid(rng),
    extendedRequestId: extendedId(rng),
    apiId: s.apiId,
    stage: s.stage,
    domainName: s.domainName,
    httpMethod: method,
    resourcePath,
    path,
    protocol: 'HTTP/1.1',
    requestTime: requestTime(epochMs),
    requestTimeEpoch: String(epochMs),
    sourceIp: sourceIp(rng, s),
    userAgent: pick(rng, USER_AGENTS),
    latency: String(1 + int(rng, 40)),
    ...chosen.values(rng, s),
  };
}

const v = (values: Values, key: keyof Values): string => values[key] ?? '-';

/** §2.4 A1/A2: flat keys, sorted by Terraform's `jsonencode`. */
function flatLine(x: Values): string {
  return JSON.stringify({
    apiId: v(x, 'apiId'),
    dynamoDBErrorMessage: '-',
    dynamoDBItemId: '-',
    dynamoDBOperation: '-',
    dynamoDBTableName: '-',
    errorMessage: v(x, 'errorMessage'),
    extendedRequestId: v(x, 'extendedRequestId'),
    httpMethod: v(x, 'httpMethod'),
    integrationLatency: v(x, 'integrationLatency'),
    integrationStatus: v(x, 'integrationStatus'),
    path: v(x, 'path'),
    protocol: v(x, 'protocol'),
    requestId: v(x, 'requestId'),
    requestTime: v(x, 'requestTime'),
    requestTimeEpoch: v(x, 'requestTimeEpoch'),
    resourcePath: v(x, 'resourcePath'),
    responseLength: v(x, 'responseLength'),
    sourceIp: v(x, 'sourceIp'),
    stage: v(x, 'stage'),
    status: v(x, 'status'),
    userAgent: v(x, 'userAgent'),
    wafLatency: x.wafResponseCode ? v(x, 'latency') : '-',
    wafResponseCode: v(x, 'wafResponseCode'),
    wafStatus: v(x, 'wafStatus'),
    webAclArn: v(x, 'webAclArn'),
  });
}

/** §2.4 A4: the nested format, key order as captured. */
function nestedLine(x: Values, s: Stage, rng: Rng): string {
  return JSON.stringify({
    requestId: v(x, 'requestId'),
    accountId: s.account,
    httpStatusCode: v(x, 'status'),
    apiId: v(x, 'apiId'),
    domainName: v(x, 'domainName'),
    extendedRequestId: v(x, 'extendedRequestId'),
    httpMethod: v(x, 'httpMethod'),
    resourcePath: v(x, 'resourcePath'),
    protocol: v(x, 'protocol'),
    requestTimeEpoch: v(x, 'requestTimeEpoch'),
    stage: v(x, 'stage'),
    responseLatency: v(x, 'latency'),
    responseLength: v(x, 'responseLength'),
    xrayTraceId: rng() < 0.3 ? `Root=1-${hex(rng, 8)}-${hex(rng, 24)}` : '-',
    webaclArn: v(x, 'webAclArn'),
    authorizer: {
      principalId: x.authorizerStatus ? uuid(rng) : '-',
      error: v(x, 'authorizerError'),
      latency: x.authorizerStatus ? String(int(rng, 30)) : '-',
      requestId: '-',
      status: v(x, 'authorizerStatus'),
    },
    authorize: { error: '-', latency: '0', status: x.authorizerStatus ?? '-' },
    error: { errorMessage: v(x, 'errorMessage'), errorResponseType: v(x, 'errorResponseType') },
    identity: { sourceIp: v(x, 'sourceIp'), userAgent: v(x, 'userAgent') },
    authenticate: { error: '-', latency: '-', status: '-' },
    integration: {
      error: '-',
      integrationStatus: v(x, 'integrationStatus'),
      latency: v(x, 'integrationLatency'),
      requestId: x.integrationStatus ? uuid(rng) : '-',
      status: v(x, 'integrationStatus'),
    },
    waf: {
      error: '-',
      latency: x.wafResponseCode ? v(x, 'latency') : '-',
      status: v(x, 'wafStatus'),
      responseCode: v(x, 'wafResponseCode'),
    },
  });
}

/** The format this app deploys: `recommendedAccessLogFormat('rest')` with each variable filled in. */
const FIELD_BY_VARIABLE = new Map(ACCESS_FIELDS.map((entry) => [`$context.${entry.variable}`, entry.field]));
const RECOMMENDED_TEMPLATE = JSON.parse(recommendedAccessLogFormat('rest')) as Record<string, unknown>;
function recommendedLine(x: Values): string {
  const fill = (node: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (typeof value === 'string') {
        const field = FIELD_BY_VARIABLE.get(value);
        out[key] = field ? v(x, field) : '-';
      } else {
        out[key] = fill(value as Record<string, unknown>);
      }
    }
    return out;
  };
  return JSON.stringify(fill(RECOMMENDED_TEMPLATE));
}

/** Execution-log sequences of one request (§1.2), without the `(<requestId>) ` prefix. */
const EXECUTION_CASES: readonly {
  readonly weight: number;
  readonly lines: (rng: Rng, s: Stage, id: string, ext: string) => string[];
}[] = [
  {
    weight: 14, // E1, E2, E4, E5: key not in a usage plan
    lines: (rng, s, id, ext) => {
      const key = `**********************************${extendedId(rng).slice(0, 6)}`;
      return [
        `Extended Request Id: ${ext}`,
        `Verifying Usage Plan for request: ${id}. API Key: ${key} API Stage: ${s.apiId}/${s.stage}`,
        `API Key ${key} not authorized because method 'GET /' requires API Key and API Key is not associated with a Usage Plan for API Stage ${s.apiId}/${s.stage}: ${pick(
          rng,
          ['API Stage is not in a Usage Plan', 'No Usage Plan found for key and API Stage'],
        )}`,
        'Method completed with status: 403',
      ];
    },
  },
  {
    weight: 8, // E7: no key at all
    lines: (_rng, s, id, ext) => [
      `Extended Request Id: ${ext}`,
      `Verifying Usage Plan for request: ${id}. API Key:  API Stage: ${s.apiId}/${s.stage}`,
      `API Key not authorized because method 'GET /' requires API Key and API Key is not associated with a Usage Plan for API Stage ${s.apiId}/${s.stage}: API Key was required but not present`,
      'Method completed with status: 403',
    ],
  },
  {
    weight: 12, // E28, E29: resource or cached-authorizer policy deny
    lines: (rng, _s, id, ext) => {
      const [method, path] = route(rng);
      return [
        `Extended Request Id: ${ext}`,
        `Starting execution for request: ${id}`,
        `HTTP Method: ${method}, Resource Path: ${path.replace(/\{[^}]+\}/g, '42')}`,
        'The client is not authorized to perform this operation.',
        'Method completed with status: 403',
      ];
    },
  },
  {
    weight: 4, // E37-E39: mTLS
    lines: (rng, _s, _id, ext) => [
      `Extended Request Id: ${ext}`,
      `Access denied. Reason: ${pick(rng, ['Could not find issuer for certificate', 'Client cert using an insecure Signature Algorithm', 'self signed certificate'])}`,
      'Method completed with status: 403',
    ],
  },
  {
    weight: 10, // E40-E46: the backend answered 403
    lines: (rng, s, id, ext) => [
      `Extended Request Id: ${ext}`,
      `Starting execution for request: ${id}`,
      'HTTP Method: GET, Resource Path: /orders/42',
      'Method request path: {orderId=42}',
      'Method request query string: {}',
      `Method request headers: {Accept=application/json, Host=${s.domainName}, User-Agent=${pick(rng, USER_AGENTS)}, X-Forwarded-For=${sourceIp(rng, s)}}`,
      'Method request body before transformations: ',
      'Endpoint request URI: https://3i95y1yx06.execute-api.cn-northwest-1.amazonaws.com.cn/orders/42',
      'Sending request to https://3i95y1yx06.execute-api.cn-northwest-1.amazonaws.com.cn',
      `Received response. Status: 403, Integration latency: ${5 + int(rng, 40)} ms`,
      `Endpoint response headers: {Server=Server, Date=Tue, 23 Jun 2020 05:56:11 GMT, Content-Type=application/json, Content-Length=23, Connection=keep-alive, x-amzn-RequestId=${uuid(rng)}, x-amzn-ErrorType=ForbiddenException, x-amz-apigw-id=${extendedId(rng)}}`,
      'Endpoint response body before transformations: {"message":"Forbidden"}',
      'Method response body after transformations: {"message":"Forbidden"}',
      'Successfully completed execution',
      'Method completed with status: 403',
    ],
  },
  {
    weight: 3, // E52, E53: throttled (negative)
    lines: (_rng, s) => [
      `Key throttle limit exceeded for RestApi ${s.apiId}, Stage ${s.stage}, Resource k0w8mc, HttpMethod POST. Limit: 1.00 Burst: 1`,
      'Method completed with status: 429',
    ],
  },
  {
    weight: 2, // E8-E10 and lifecycle lines: served (negative)
    lines: (rng, s, id, ext) => [
      `Extended Request Id: ${ext}`,
      `Verifying Usage Plan for request: ${id}. API Key: API Stage: ${s.apiId}/${s.stage}`,
      "API Key authorized because method 'GET /' does not require API Key. Request will not contribute to throttle or quota limits",
      `Usage Plan check succeeded for API Key and API Stage ${s.apiId}/${s.stage}`,
      `Starting execution for request: ${id}`,
      'HTTP Method: GET, Resource Path: /health',
      `Received response. Integration latency: ${10 + int(rng, 60)} ms`,
      'Successfully completed execution',
      'Method completed with status: 200',
    ],
  },
];
const EXECUTION_WEIGHT = EXECUTION_CASES.reduce((sum, c) => sum + c.weight, 0);

function executionLines(rng: Rng, s: Stage): string[] {
  let roll = rng() * EXECUTION_WEIGHT;
  let chosen = EXECUTION_CASES[0] as (typeof EXECUTION_CASES)[number];
  for (const c of EXECUTION_CASES) {
    roll -= c.weight;
    if (roll < 0) {
      chosen = c;
      break;
    }
  }
  const id = uuid(rng);
  return chosen.lines(rng, s, id, extendedId(rng)).map((line) => `(${id}) ${line}`);
}

/** The CloudWatch document for `events` log events of one log group (one stream). */
function buildDocument(
  kind: PayloadKind,
  mix: PayloadMix,
  rng: Rng,
  s: Stage,
  events: number,
  startMs: number,
): LogsDocument {
  const logEvents: LogEvent[] = [];
  let now = startMs;
  const filter = FILTERS[kind];
  const nextId = eventIds(rng);
  const push = (message: string) => {
    now += int(rng, 40);
    if (mix === '403-only' && !filter(message)) return;
    logEvents.push({ id: nextId(), timestamp: now, message });
  };
  while (logEvents.length < events) {
    if (kind === 'execution') {
      for (const line of executionLines(rng, s)) push(line);
      continue;
    }
    const x = accessValues(rng, s, now);
    push(
      kind === 'access-flat'
        ? flatLine(x)
        : kind === 'access-nested'
          ? nestedLine(x, s, rng)
          : recommendedLine(x),
    );
  }
  logEvents.length = Math.min(logEvents.length, events);
  return {
    messageType: 'DATA_MESSAGE',
    owner: s.account,
    logGroup: accessLogGroup(kind, s),
    logStream: hex(rng, 32),
    subscriptionFilters: ['apigw-403-monitor'],
    logEvents,
  };
}

const accessLogGroup = (kind: PayloadKind, s: Stage): string =>
  kind === 'execution'
    ? `API-Gateway-Execution-Logs_${s.apiId}/${s.stage}`
    : `/aws/apigateway/${s.apiId}/${s.stage}/access`;

function encode(kind: PayloadKind, document: LogsDocument): Payload {
  const json = Buffer.from(JSON.stringify(document), 'utf8');
  const compressed = gzipSync(json);
  return {
    kind,
    event: { awslogs: { data: compressed.toString('base64') } },
    logGroup: document.logGroup,
    events: document.logEvents.length,
    compressedBytes: compressed.length,
    inflatedBytes: json.length,
  };
}

export interface PayloadSet {
  readonly mix: PayloadMix;
  readonly payloads: readonly Payload[];
  /** Access log group → its API and stage, as the Lambda's configuration maps them. */
  readonly stages: ReadonlyMap<string, { apiId: string; stage: string }>;
}

/**
 * `count` payloads, three access payloads (one per format) for each execution payload, of 300 to
 * 1000 events each.
 */
export function buildPayloadSet(count: number, mix: PayloadMix, seed = 403): PayloadSet {
  const rng = prng(seed);
  const stages = new Map<string, { apiId: string; stage: string }>();
  const stageList = Array.from({ length: 6 }, (_, i) => makeStage(rng, i));
  const kinds: PayloadKind[] = ['access-nested', 'access-flat', 'access-recommended', 'execution'];
  const payloads: Payload[] = [];
  let start = Date.UTC(2026, 6, 22, 3, 0, 0);
  for (let i = 0; i < count; i++) {
    const kind = kinds[i % kinds.length] as PayloadKind;
    const s = stageList[i % stageList.length] as Stage;
    const events = 300 + int(rng, 701);
    const document = buildDocument(kind, mix, rng, s, events, start);
    start += 60_000;
    if (kind !== 'execution') stages.set(document.logGroup, { apiId: s.apiId, stage: s.stage });
    payloads.push(encode(kind, document));
  }
  return { mix, payloads, stages };
}

/**
 * One access-log payload (the format this app deploys, 403-only as its filter delivers it) whose
 * gzip is about `targetCompressed` bytes, for the memory run. Returns the event and its sizes.
 */
export function buildLargePayload(targetCompressed: number, seed = 1403): Payload {
  const attempt = (events: number) => {
    const rng = prng(seed);
    const s = makeStage(rng, 1);
    return encode(
      'access-recommended',
      buildDocument('access-recommended', '403-only', rng, s, events, Date.UTC(2026, 6, 22)),
    );
  };
  const sample = attempt(2000);
  let events = Math.round((2000 * targetCompressed) / sample.compressedBytes);
  let payload = attempt(events);
  // One correction step lands within a fraction of a percent.
  events = Math.round((events * targetCompressed) / payload.compressedBytes);
  payload = attempt(events);
  return payload;
}
