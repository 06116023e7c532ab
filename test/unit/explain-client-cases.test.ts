import { describe, expect, it } from 'vitest';
import type { Category, Confidence } from '../../lambda/core/categories.js';
import { CATEGORIES } from '../../lambda/core/categories.js';
import {
  type ClientFacts,
  type ClientObservation,
  explainObservation,
  factsFromControlPlane,
  parseUrlShape,
} from '../../lambda/core/explain/index.js';
import { MESSAGES } from '../fixtures/evidence.js';

/**
 * Real response strings: the shared evidence messages (§2.6) plus the wordings only a caller sees
 * (knowledge-center 403 table, seed 000; the backend body of §2.4 A2).
 */
const MSG = {
  ...MESSAGES,
  iamExplicit:
    'User: arn:aws:iam::123456789012:user/alice is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/orders with an explicit deny',
  iamNotAllowed:
    'User: arn:aws:iam::123456789012:user/alice is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/orders',
  incompleteAllow:
    "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=allow",
  missingEqualSign:
    "abc123 not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer abc123'",
  backend: 'Access denied: admin group required',
} as const;

const EXECUTE_API = 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/orders';
const WAF_URL = 'https://4lltecsznk.execute-api.us-west-2.amazonaws.com/prod/PythonResource';
const HYP3_URL = 'https://vd2gh6uqw3.execute-api.us-west-2.amazonaws.com/api/';
const VPCE_URL = 'https://vpce-0123456789abcdef0-abcd1234.execute-api.us-east-1.vpce.amazonaws.com/prod/pets';
const CUSTOM = 'https://api.timewarptravels.com';
const WSS = 'wss://w1s2o3c4k5.execute-api.us-east-1.amazonaws.com/production';
const WS_UPGRADE = {
  Connection: 'upgrade',
  Upgrade: 'websocket',
  'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
  'Sec-WebSocket-Version': '13',
};
const SIGV4 =
  'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20200707/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123456789abcdef0123456789abcdef';

interface Case {
  readonly name: string;
  readonly row: Category;
  readonly url: string;
  readonly method?: string;
  readonly status?: number;
  readonly errorType?: string;
  readonly message?: string;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  /** True for a curl -v or HAR capture: every response header is known. */
  readonly complete?: boolean;
  readonly facts?: ClientFacts;
  readonly expect: { readonly top?: Category; readonly confidence?: Confidence; readonly among?: Category[] };
}

const CASES: readonly Case[] = [
  {
    name: 'authorizer explicit deny',
    row: 'AUTHORIZER_EXPLICIT_DENY',
    url: EXECUTE_API,
    errorType: 'AccessDeniedException',
    message: MSG.explicitDeny,
    headers: { Authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc' },
    expect: { top: 'AUTHORIZER_EXPLICIT_DENY', confidence: 'high' },
  },
  {
    name: 'explicit deny, newest KC wording, IAM-style "Message" body',
    row: 'AUTHORIZER_EXPLICIT_DENY',
    url: EXECUTE_API,
    errorType: 'AccessDeniedException',
    body: JSON.stringify({ Message: MSG.explicitDenyIdentityPolicy }),
    complete: true,
    expect: { top: 'AUTHORIZER_EXPLICIT_DENY', confidence: 'high' },
  },
  {
    name: 'authorizer policy without an Allow',
    row: 'AUTHORIZER_POLICY_MISMATCH',
    url: EXECUTE_API,
    errorType: 'AccessDeniedException',
    message: MSG.implicitDeny,
    expect: { top: 'AUTHORIZER_POLICY_MISMATCH', confidence: 'high' },
  },
  {
    name: 'IAM explicit deny',
    row: 'IAM_EXPLICIT_DENY',
    url: EXECUTE_API,
    errorType: 'AccessDeniedException',
    message: MSG.iamExplicit,
    headers: { Authorization: SIGV4 },
    expect: { top: 'IAM_EXPLICIT_DENY', confidence: 'high' },
  },
  {
    name: 'IAM caller without an Allow',
    row: 'IAM_NOT_AUTHORIZED',
    url: EXECUTE_API,
    errorType: 'AccessDeniedException',
    message: MSG.iamNotAllowed,
    expect: { top: 'IAM_NOT_AUTHORIZED', confidence: 'high' },
  },
  {
    name: 'AccessDeniedException with no message, signed caller',
    row: 'IAM_NOT_AUTHORIZED',
    url: EXECUTE_API,
    errorType: 'AccessDeniedException',
    headers: { Authorization: SIGV4 },
    expect: { top: 'IAM_NOT_AUTHORIZED', confidence: 'low', among: ['IAM_EXPLICIT_DENY'] },
  },
  {
    name: 'anonymous caller denied by the resource policy (hyp3)',
    row: 'RESOURCE_POLICY_DENY',
    url: HYP3_URL,
    errorType: 'AccessDeniedException',
    body: JSON.stringify({ Message: MSG.anonymous }),
    complete: true,
    expect: { top: 'RESOURCE_POLICY_DENY', confidence: 'high' },
  },
  {
    name: 'AccessDeniedException with no message, unsigned caller',
    row: 'RESOURCE_POLICY_DENY',
    url: EXECUTE_API,
    errorType: 'AccessDeniedException',
    expect: { top: 'RESOURCE_POLICY_DENY', confidence: 'low' },
  },
  {
    name: 'invalid security token',
    row: 'INVALID_SECURITY_TOKEN',
    url: EXECUTE_API,
    errorType: 'AccessDeniedException',
    message: MSG.invalidToken,
    expect: { top: 'INVALID_SECURITY_TOKEN', confidence: 'high' },
  },
  {
    name: 'UnrecognizedClientException alone',
    row: 'INVALID_SECURITY_TOKEN',
    url: EXECUTE_API,
    errorType: 'UnrecognizedClientException',
    headers: { Authorization: SIGV4 },
    expect: { top: 'INVALID_SECURITY_TOKEN', confidence: 'medium' },
  },
  {
    name: 'expired security token',
    row: 'SECURITY_TOKEN_EXPIRED',
    url: EXECUTE_API,
    message: MSG.expiredToken,
    expect: { top: 'SECURITY_TOKEN_EXPIRED', confidence: 'high' },
  },
  {
    name: 'signature expired (clock skew)',
    row: 'SIGNATURE_EXPIRED',
    url: EXECUTE_API,
    errorType: 'InvalidSignatureException',
    message: MSG.signatureExpired,
    expect: { top: 'SIGNATURE_EXPIRED', confidence: 'high' },
  },
  {
    name: 'signature mismatch',
    row: 'SIGNATURE_MISMATCH',
    url: EXECUTE_API,
    errorType: 'InvalidSignatureException',
    message: MSG.signatureMismatch,
    expect: { top: 'SIGNATURE_MISMATCH', confidence: 'high' },
  },
  {
    name: 'InvalidSignatureException with no message',
    row: 'SIGNATURE_MISMATCH',
    url: EXECUTE_API,
    errorType: 'InvalidSignatureException',
    expect: { top: 'SIGNATURE_MISMATCH', confidence: 'low', among: ['SIGNATURE_EXPIRED'] },
  },
  {
    name: 'Bearer token on a path that does not exist',
    row: 'INCOMPLETE_SIGNATURE',
    url: EXECUTE_API,
    errorType: 'IncompleteSignatureException',
    message: MSG.incompleteBearer,
    headers: { Authorization: 'Bearer abc123' },
    expect: { top: 'INCOMPLETE_SIGNATURE', confidence: 'high' },
  },
  {
    name: 'KC row: Authorization=allow',
    row: 'INCOMPLETE_SIGNATURE',
    url: EXECUTE_API,
    errorType: 'IncompleteSignatureException',
    message: MSG.incompleteAllow,
    expect: { top: 'INCOMPLETE_SIGNATURE', confidence: 'high' },
  },
  {
    name: 'missing equal-sign variant',
    row: 'INCOMPLETE_SIGNATURE',
    url: EXECUTE_API,
    errorType: 'IncompleteSignatureException',
    message: MSG.missingEqualSign,
    expect: { top: 'INCOMPLETE_SIGNATURE', confidence: 'high' },
  },
  {
    name: 'IncompleteSignatureException alone',
    row: 'INCOMPLETE_SIGNATURE',
    url: EXECUTE_API,
    errorType: 'IncompleteSignatureException',
    headers: { Authorization: 'Bearer abc123' },
    expect: { top: 'INCOMPLETE_SIGNATURE', confidence: 'high' },
  },
  {
    name: 'Forbidden with an x-api-key header',
    row: 'INVALID_API_KEY',
    url: EXECUTE_API,
    errorType: 'ForbiddenException',
    message: MSG.forbidden,
    headers: { 'x-api-key': 'abcdefghij0123456789' },
    expect: { top: 'INVALID_API_KEY', confidence: 'medium' },
  },
  {
    name: 'legacy invalid key message',
    row: 'INVALID_API_KEY',
    url: EXECUTE_API,
    errorType: 'ForbiddenException',
    message: MSG.legacyInvalidKey,
    expect: { top: 'INVALID_API_KEY', confidence: 'high' },
  },
  {
    name: 'WAF block as the client saw it (A1), nothing settled',
    row: 'WAF_FILTERED',
    url: WAF_URL,
    body: '{"message":"Forbidden"}',
    complete: true,
    headers: { 'User-Agent': 'curl/8.10.1' },
    expect: { confidence: 'low', among: ['WAF_FILTERED', 'INVALID_API_KEY', 'DEFAULT_ENDPOINT_DISABLED'] },
  },
  {
    name: 'WAF block with the stage web ACL settled',
    row: 'WAF_FILTERED',
    url: WAF_URL,
    errorType: 'ForbiddenException',
    message: MSG.forbidden,
    facts: { webAclAttached: true, stageExists: true, defaultEndpointDisabled: false, privateApi: false },
    expect: { top: 'WAF_FILTERED', confidence: 'medium' },
  },
  {
    name: 'unsigned call to an IAM route or a missing route',
    row: 'MISSING_AUTHENTICATION_TOKEN',
    url: EXECUTE_API,
    errorType: 'MissingAuthenticationTokenException',
    message: MSG.missingToken,
    facts: { stageExists: true },
    expect: { confidence: 'low', among: ['ROUTE_NOT_FOUND', 'MISSING_AUTHENTICATION_TOKEN'] },
  },
  {
    name: 'signed call, no route',
    row: 'ROUTE_NOT_FOUND',
    url: EXECUTE_API,
    errorType: 'MissingAuthenticationTokenException',
    message: MSG.missingToken,
    headers: { Authorization: SIGV4 },
    expect: { top: 'ROUTE_NOT_FOUND', confidence: 'medium' },
  },
  {
    name: 'custom domain path repeating a stage-like segment',
    row: 'STAGE_IN_CUSTOM_DOMAIN_PATH',
    url: `${CUSTOM}/prod/v1/booking-service`,
    errorType: 'MissingAuthenticationTokenException',
    message: MSG.missingToken,
    expect: { top: 'STAGE_IN_CUSTOM_DOMAIN_PATH', confidence: 'low', among: ['ROUTE_NOT_FOUND'] },
  },
  {
    name: 'custom domain path repeating the mapped stage',
    row: 'STAGE_IN_CUSTOM_DOMAIN_PATH',
    url: `${CUSTOM}/main/v1/booking-service`,
    errorType: 'MissingAuthenticationTokenException',
    message: MSG.missingToken,
    facts: { basePathMapped: true, mappedStage: 'main', mtlsRequired: false },
    expect: { top: 'STAGE_IN_CUSTOM_DOMAIN_PATH', confidence: 'high' },
  },
  {
    name: 'OPTIONS preflight without an OPTIONS method',
    row: 'CORS_PREFLIGHT_REJECTED',
    url: EXECUTE_API,
    method: 'OPTIONS',
    errorType: 'MissingAuthenticationTokenException',
    message: MSG.missingToken,
    headers: { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'POST' },
    expect: { top: 'CORS_PREFLIGHT_REJECTED', confidence: 'high' },
  },
  {
    name: 'OPTIONS preflight refused for a missing key',
    row: 'CORS_PREFLIGHT_REJECTED',
    url: EXECUTE_API,
    method: 'OPTIONS',
    errorType: 'ForbiddenException',
    message: MSG.forbidden,
    expect: { top: 'CORS_PREFLIGHT_REJECTED', confidence: 'high' },
  },
  {
    name: 'mTLS domain, mapping fine',
    row: 'MTLS_CERTIFICATE_INVALID',
    url: `${CUSTOM}/v1/booking-service`,
    errorType: 'ForbiddenException',
    message: MSG.forbidden,
    facts: { mtlsRequired: true, basePathMapped: true, webAclAttached: false },
    expect: { top: 'MTLS_CERTIFICATE_INVALID', confidence: 'medium' },
  },
  {
    name: 'backend 403 passed through (A2 body, no errortype header)',
    row: 'INTEGRATION_403',
    url: WAF_URL,
    body: JSON.stringify({ message: MSG.backend }),
    complete: true,
    expect: { top: 'INTEGRATION_403', confidence: 'medium' },
  },
  {
    name: 'a bare 403 with nothing else known',
    row: 'UNCLASSIFIED',
    url: EXECUTE_API,
    expect: { top: 'UNCLASSIFIED', confidence: 'low' },
  },
  {
    name: 'VPC endpoint DNS name without Host or x-apigw-api-id',
    row: 'PRIVATE_API_DNS',
    url: VPCE_URL,
    errorType: 'ForbiddenException',
    message: MSG.forbidden,
    headers: { Host: 'vpce-0123456789abcdef0-abcd1234.execute-api.us-east-1.vpce.amazonaws.com' },
    expect: { top: 'PRIVATE_API_DNS', confidence: 'medium' },
  },
  {
    name: 'private API called by its execute-api name, settled',
    row: 'PRIVATE_API_DNS',
    url: EXECUTE_API,
    errorType: 'ForbiddenException',
    message: MSG.forbidden,
    facts: { privateApi: true, defaultEndpointDisabled: false, stageExists: true, webAclAttached: false },
    expect: { top: 'PRIVATE_API_DNS', confidence: 'medium' },
  },
  {
    name: 'execute-api Forbidden with no key: the default endpoint first',
    row: 'DEFAULT_ENDPOINT_DISABLED',
    url: EXECUTE_API,
    errorType: 'ForbiddenException',
    message: MSG.forbidden,
    expect: {
      top: 'DEFAULT_ENDPOINT_DISABLED',
      confidence: 'low',
      among: ['INVALID_API_KEY', 'INVALID_STAGE', 'WAF_FILTERED'],
    },
  },
  {
    name: 'default endpoint disabled, settled',
    row: 'DEFAULT_ENDPOINT_DISABLED',
    url: EXECUTE_API,
    errorType: 'ForbiddenException',
    message: MSG.forbidden,
    facts: { defaultEndpointDisabled: true },
    expect: { top: 'DEFAULT_ENDPOINT_DISABLED', confidence: 'high' },
  },
  {
    name: 'custom domain Forbidden',
    row: 'NO_BASE_PATH_MAPPING',
    url: `${CUSTOM}/v1/booking-service`,
    errorType: 'ForbiddenException',
    message: MSG.forbidden,
    expect: {
      top: 'NO_BASE_PATH_MAPPING',
      confidence: 'low',
      among: ['MTLS_CERTIFICATE_INVALID', 'INVALID_API_KEY'],
    },
  },
  {
    name: 'custom domain with no matching mapping, settled',
    row: 'NO_BASE_PATH_MAPPING',
    url: `${CUSTOM}/v2/booking-service`,
    errorType: 'ForbiddenException',
    message: MSG.forbidden,
    facts: { basePathMapped: false, mtlsRequired: false },
    expect: { top: 'NO_BASE_PATH_MAPPING', confidence: 'high' },
  },
  {
    name: 'execute-api URL with no stage segment',
    row: 'INVALID_STAGE',
    url: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/',
    errorType: 'ForbiddenException',
    message: MSG.forbidden,
    expect: { top: 'INVALID_STAGE', confidence: 'low' },
  },
  {
    name: 'first segment is not the expected stage',
    row: 'INVALID_STAGE',
    url: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/Prod/orders',
    errorType: 'ForbiddenException',
    message: MSG.forbidden,
    facts: { expectedStage: 'prod' },
    expect: { top: 'INVALID_STAGE', confidence: 'medium' },
  },
  {
    name: 'Missing Authentication Token on a misspelled stage',
    row: 'INVALID_STAGE',
    url: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prd/orders',
    errorType: 'MissingAuthenticationTokenException',
    message: MSG.missingToken,
    facts: { expectedStage: 'prod' },
    expect: { top: 'INVALID_STAGE', confidence: 'medium' },
  },
  {
    name: 'stage missing, settled',
    row: 'INVALID_STAGE',
    url: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prd/orders',
    errorType: 'ForbiddenException',
    message: MSG.forbidden,
    facts: { stageExists: false, defaultEndpointDisabled: false },
    expect: { top: 'INVALID_STAGE', confidence: 'high' },
  },
  // WebSocket handshakes: shapes from the developer guide's `$connect` examples (wscat prints only the status).
  {
    name: 'WebSocket handshake refused, token in the query string',
    row: 'WEBSOCKET_CONNECT_AUTHORIZER_DENY',
    url: `${WSS}?token=opaque-session-token`,
    headers: WS_UPGRADE,
    expect: { top: 'WEBSOCKET_CONNECT_AUTHORIZER_DENY', among: ['WEBSOCKET_CONNECT_IAM_DENY'] },
  },
  {
    name: 'WebSocket handshake with the explicit-deny message (an https client)',
    row: 'WEBSOCKET_CONNECT_AUTHORIZER_DENY',
    url: 'https://w1s2o3c4k5.execute-api.us-east-1.amazonaws.com/production',
    headers: WS_UPGRADE,
    errorType: 'AccessDeniedException',
    message: MSG.explicitDeny,
    expect: { top: 'WEBSOCKET_CONNECT_AUTHORIZER_DENY', confidence: 'high' },
  },
  {
    name: 'presigned (SigV4 query string) WebSocket handshake refused',
    row: 'WEBSOCKET_CONNECT_IAM_DENY',
    url: `${WSS}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261213%2Fus-east-1%2Fexecute-api%2Faws4_request&X-Amz-Date=20261213T101747Z&X-Amz-SignedHeaders=host&X-Amz-Signature=0123456789abcdef`,
    headers: WS_UPGRADE,
    expect: { top: 'WEBSOCKET_CONNECT_IAM_DENY' },
  },
  {
    name: 'WebSocket handshake with the IAM message on its $connect ARN',
    row: 'WEBSOCKET_CONNECT_IAM_DENY',
    url: WSS,
    errorType: 'AccessDeniedException',
    message:
      'User: arn:aws:iam::123456789012:user/alice is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:123456789012:w1s2o3c4k5/production/$connect',
    expect: { top: 'WEBSOCKET_CONNECT_IAM_DENY', confidence: 'high' },
  },
];

function observation(testCase: Case): ClientObservation {
  const responseHeaders: Record<string, string> =
    testCase.complete && testCase.errorType ? { 'x-amzn-ErrorType': testCase.errorType } : {};
  return {
    url: testCase.url,
    method: testCase.method ?? 'GET',
    status: testCase.status ?? 403,
    requestHeaders: testCase.headers ?? {},
    responseHeaders,
    ...(testCase.body === undefined ? {} : { body: testCase.body }),
    ...(testCase.message === undefined ? {} : { message: testCase.message }),
    ...(testCase.complete || testCase.errorType === undefined ? {} : { errorType: testCase.errorType }),
    responseHeadersComplete: testCase.complete ?? false,
  };
}

describe('explain: client-side cases, one or more per taxonomy row', () => {
  it('covers every row of the taxonomy', () => {
    expect(new Set(CASES.map((testCase) => testCase.row))).toEqual(new Set(CATEGORIES));
  });

  it.each(CASES.map((testCase) => [testCase.row, testCase.name, testCase] as const))(
    '%s: %s',
    (_row, _name, testCase) => {
      const result = explainObservation(observation(testCase), testCase.facts);
      if (result.kind !== 'explained') throw new Error(`not explained: ${result.why}`);
      const ranked = result.candidates.map((candidate) => candidate.category);
      if (testCase.expect.top) expect(result.category).toBe(testCase.expect.top);
      if (testCase.expect.confidence) expect(result.confidence).toBe(testCase.expect.confidence);
      expect(ranked[0]).toBe(result.category);
      for (const category of [testCase.row, ...(testCase.expect.among ?? [])])
        expect(ranked).toContain(category);
      for (const candidate of result.candidates) expect(candidate.reasons.length).toBeGreaterThan(0);
    },
  );
});

describe('explain: scope and settled facts', () => {
  it.each([
    [401, 'UnauthorizedException', 'Unauthorized'],
    [429, 'TooManyRequestsException', 'Too Many Requests'],
    [404, 'NotFoundException', 'Not Found'],
    [200, undefined, undefined],
  ])('a %s answer is not a 403', (status, errorType, message) => {
    const result = explainObservation({
      url: EXECUTE_API,
      status,
      requestHeaders: {},
      responseHeaders: errorType ? { 'x-amzn-ErrorType': errorType } : {},
      ...(message ? { body: JSON.stringify({ message }) } : {}),
      responseHeadersComplete: true,
    });
    expect(result.kind).toBe('not-403');
  });

  it('keeps the real status of a 403 remapped by a gateway response', () => {
    const result = explainObservation({
      url: EXECUTE_API,
      status: 401,
      requestHeaders: {},
      responseHeaders: {},
      message: MSG.explicitDeny,
      responseHeadersComplete: false,
    });
    expect(result).toMatchObject({ kind: 'explained', status: 401, category: 'AUTHORIZER_EXPLICIT_DENY' });
  });

  it('takes the request ids from the response headers and redacts what it echoes', () => {
    const result = explainObservation({
      url: `${WAF_URL}?x-api-key=abcdefghij0123456789`,
      status: 403,
      requestHeaders: {},
      responseHeaders: {
        'x-amzn-RequestId': 'eed63f63-e960-4d89-ade7-39a0bf8f6740',
        'x-amz-apigw-id': 'A463pHJGPHcEQGQ=',
        'x-amzn-ErrorType': 'IncompleteSignatureException',
      },
      body: JSON.stringify({ message: MSG.missingEqualSign }),
      responseHeadersComplete: true,
    });
    expect(result).toMatchObject({
      requestId: 'eed63f63-e960-4d89-ade7-39a0bf8f6740',
      extendedRequestId: 'A463pHJGPHcEQGQ=',
      apiId: '4lltecsznk',
      stage: 'prod',
      region: 'us-west-2',
    });
    expect(JSON.stringify(result)).not.toContain('abc123');
    expect(JSON.stringify(result)).not.toContain('abcdefghij0123456789');
  });

  it('derives mapping facts from the control plane: longest base path wins', () => {
    const shape = parseUrlShape(`${CUSTOM}/v1/prod/orders`);
    const mappings = [
      { basePath: '(none)', apiId: 'aaaaaaaaaa', stage: 'live' },
      { basePath: 'v1', apiId: 'yb628s4k9t', stage: 'prod' },
    ];
    expect(factsFromControlPlane(shape, { domain: { mtlsRequired: false, mappings } })).toEqual({
      mtlsRequired: false,
      basePathMapped: true,
      mappedApiId: 'yb628s4k9t',
      mappedStage: 'prod',
      segmentAfterBasePath: 'prod',
    });
    expect(
      factsFromControlPlane(parseUrlShape(`${CUSTOM}/v2/x`), {
        domain: { mtlsRequired: true, mappings: mappings.slice(1) },
      }),
    ).toMatchObject({
      basePathMapped: false,
    });
  });
});

describe('explain: URL shapes', () => {
  it.each([
    [EXECUTE_API, { hostKind: 'execute-api', apiId: 'a1b2c3d4e5', region: 'us-east-1' }],
    [
      'https://3i95y1yx06.execute-api.cn-northwest-1.amazonaws.com.cn/prod',
      { hostKind: 'execute-api', apiId: '3i95y1yx06' },
    ],
    [VPCE_URL, { hostKind: 'vpc-endpoint', vpceId: 'vpce-0123456789abcdef0', region: 'us-east-1' }],
    [
      'https://a1b2c3d4e5-vpce-0123456789abcdef0.execute-api.us-east-1.amazonaws.com/prod',
      { hostKind: 'execute-api', apiId: 'a1b2c3d4e5', vpceId: 'vpce-0123456789abcdef0' },
    ],
    [`${CUSTOM}/v1/booking-service`, { hostKind: 'custom-domain', segments: ['v1', 'booking-service'] }],
    ['https://lambda.us-east-1.amazonaws.com/x', { hostKind: 'unknown' }],
  ])('%s', (url, expected) => {
    expect(parseUrlShape(url)).toMatchObject(expected);
  });
});

describe('explain: a WebSocket handshake is never blamed on AWS WAF (it protects REST API stages only)', () => {
  it.each([
    ['a Forbidden body', { errorType: 'ForbiddenException', message: 'Forbidden' }],
    ['no body', {}],
  ])('%s', (_name, answer: { errorType?: string; message?: string }) => {
    const result = explainObservation({
      url: WSS,
      status: 403,
      requestHeaders: { Upgrade: 'websocket', Connection: 'Upgrade' },
      responseHeaders: answer.errorType ? { 'x-amzn-ErrorType': answer.errorType } : {},
      ...(answer.message ? { message: answer.message } : {}),
      responseHeadersComplete: answer.errorType !== undefined,
    });
    if (result.kind !== 'explained') throw new Error(`not explained: ${result.why}`);
    expect(result.candidates.length).toBeGreaterThan(0);
    expect(result.candidates.map((candidate) => candidate.category)).not.toContain('WAF_FILTERED');
    expect(result.candidates.flatMap((candidate) => candidate.reasons).join('\n')).not.toMatch(/\bWAF\b/);
  });
});
