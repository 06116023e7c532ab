import { describe, expect, it } from 'vitest';
import {
  type Category,
  type Confidence,
  classifyDocuments,
  type Finding,
  type FindingReason,
  type LogsDocument,
} from '../../lambda/core/index.js';
import {
  A1,
  A1_TAIL,
  A2,
  A3,
  A4,
  A5,
  ACCESS_GROUP,
  accessLine,
  DEFAULT_HTTP_CLF,
  DEFAULT_HTTP_CSV,
  DEFAULT_HTTP_JSON,
  DEFAULT_HTTP_XML,
  DEFAULT_REST_CLF,
  DEFAULT_REST_CSV,
  DEFAULT_REST_JSON,
  DEFAULT_REST_XML,
  documentOf,
  E1,
  E2,
  E3,
  E4,
  E5,
  E6,
  E7,
  E8,
  E9,
  E10,
  E11,
  E12,
  E13,
  E14,
  E15,
  E16_E18,
  E19_E24,
  E25_BODY,
  E28,
  E29,
  E30_E32,
  E33_E36,
  E37,
  E38,
  E39,
  E39_NO_SPACE,
  E40_E46,
  E47_E51,
  E52,
  E53,
  E54,
  EXECUTION_GROUP,
  MESSAGES,
  TRUNCATED_LINE,
  withRequestId,
} from '../fixtures/evidence.js';

interface Expected {
  readonly category: Category;
  readonly confidence: Confidence;
  readonly reason?: FindingReason;
  readonly status?: number;
  readonly candidates?: readonly Category[];
}

const only = (documents: LogsDocument[]): Finding => {
  const { findings } = classifyDocuments(documents);
  expect(findings).toHaveLength(1);
  return findings[0] as Finding;
};

const expectFinding = (finding: Finding, expected: Expected): void => {
  expect(finding.category).toBe(expected.category);
  expect(finding.confidence).toBe(expected.confidence);
  expect(finding.reason).toBe(expected.reason);
  expect(finding.status).toBe(expected.status ?? 403);
  if (expected.candidates) expect(finding.candidates?.map((c) => c.category)).toEqual(expected.candidates);
  if (expected.confidence === 'low' && expected.category !== 'UNCLASSIFIED') {
    expect(finding.candidates?.length).toBeGreaterThanOrEqual(2);
    expect(finding.candidates?.[0]?.category).toBe(finding.category);
  }
};

const access = (overrides: Record<string, unknown>) => documentOf(ACCESS_GROUP, [accessLine(overrides)]);
const error = (message: string, responseType = '-') => ({ error: { message, responseType } });

describe('access-log lines, one per category (recommended nested format unless noted)', () => {
  const cases: ReadonlyArray<readonly [string, LogsDocument, Expected]> = [
    [
      'explicit deny (authorizer)',
      access(error(MESSAGES.explicitDeny, 'ACCESS_DENIED')),
      { category: 'AUTHORIZER_EXPLICIT_DENY', confidence: 'high' },
    ],
    [
      'explicit deny, identity-based wording',
      access(error(MESSAGES.explicitDenyIdentityPolicy, 'ACCESS_DENIED')),
      { category: 'AUTHORIZER_EXPLICIT_DENY', confidence: 'high' },
    ],
    [
      'no matching Allow',
      access(error(MESSAGES.implicitDeny, 'ACCESS_DENIED')),
      { category: 'AUTHORIZER_POLICY_MISMATCH', confidence: 'high' },
    ],
    [
      'IAM explicit deny',
      access({
        ...error(MESSAGES.iamExplicitDeny, 'ACCESS_DENIED'),
        identity: { userArn: 'arn:aws:iam::123456789012:user/alice' },
      }),
      { category: 'IAM_EXPLICIT_DENY', confidence: 'high' },
    ],
    [
      'IAM no Allow',
      access(error(MESSAGES.iamNotAuthorized, 'ACCESS_DENIED')),
      { category: 'IAM_NOT_AUTHORIZED', confidence: 'high' },
    ],
    [
      'anonymous, not allowed',
      access(error(MESSAGES.anonymous, 'ACCESS_DENIED')),
      { category: 'RESOURCE_POLICY_DENY', confidence: 'high', reason: 'not-allowed' },
    ],
    [
      'anonymous, explicit deny',
      access(error(MESSAGES.anonymousExplicit, 'ACCESS_DENIED')),
      { category: 'RESOURCE_POLICY_DENY', confidence: 'high', reason: 'explicit' },
    ],
    [
      'invalid security token',
      access(error(MESSAGES.invalidToken)),
      { category: 'INVALID_SECURITY_TOKEN', confidence: 'high' },
    ],
    [
      'expired token by response type',
      access(error('-', 'EXPIRED_TOKEN')),
      { category: 'SECURITY_TOKEN_EXPIRED', confidence: 'high' },
    ],
    [
      'expired token by message',
      access(error(MESSAGES.expiredToken, 'EXPIRED_TOKEN')),
      { category: 'SECURITY_TOKEN_EXPIRED', confidence: 'high' },
    ],
    [
      'signature expired',
      access(error(MESSAGES.signatureExpired, 'INVALID_SIGNATURE')),
      { category: 'SIGNATURE_EXPIRED', confidence: 'high' },
    ],
    [
      'signature mismatch',
      access(error(MESSAGES.signatureMismatch, 'INVALID_SIGNATURE')),
      { category: 'SIGNATURE_MISMATCH', confidence: 'high' },
    ],
    [
      'INVALID_SIGNATURE without its message',
      access(error('-', 'INVALID_SIGNATURE')),
      {
        category: 'SIGNATURE_MISMATCH',
        confidence: 'low',
        candidates: ['SIGNATURE_MISMATCH', 'SIGNATURE_EXPIRED', 'INCOMPLETE_SIGNATURE'],
      },
    ],
    [
      'Bearer header, Credential wording',
      access({ ...error(MESSAGES.incompleteBearer, 'MISSING_AUTHENTICATION_TOKEN'), resourcePath: '-' }),
      { category: 'INCOMPLETE_SIGNATURE', confidence: 'high' },
    ],
    [
      'Bearer header, key=value wording',
      access({ ...error(MESSAGES.incompleteKeyValue, 'MISSING_AUTHENTICATION_TOKEN'), resourcePath: '-' }),
      { category: 'INCOMPLETE_SIGNATURE', confidence: 'high' },
    ],
    [
      'API key missing',
      access(error(MESSAGES.forbidden, 'INVALID_API_KEY')),
      { category: 'INVALID_API_KEY', confidence: 'high', reason: 'missing' },
    ],
    [
      'API key sent, reason unknown from the access log',
      access({ ...error(MESSAGES.forbidden, 'INVALID_API_KEY'), identity: { apiKeyId: 'k9v8w7x6y5' } }),
      { category: 'INVALID_API_KEY', confidence: 'high', reason: 'unknown' },
    ],
    [
      'legacy invalid key message',
      access(error(MESSAGES.legacyInvalidKey)),
      { category: 'INVALID_API_KEY', confidence: 'high', reason: 'missing' },
    ],
    ['A1: real WAF block', documentOf(ACCESS_GROUP, [A1]), { category: 'WAF_FILTERED', confidence: 'high' }],
    [
      'WAF by nested response code',
      access({ ...error(MESSAGES.forbidden), waf: { responseCode: 'WAF_BLOCK' } }),
      { category: 'WAF_FILTERED', confidence: 'high' },
    ],
    [
      'WAF by response type only',
      access(error('-', 'WAF_FILTERED')),
      { category: 'WAF_FILTERED', confidence: 'high' },
    ],
    [
      'IAM method unsigned',
      access(error(MESSAGES.missingToken, 'MISSING_AUTHENTICATION_TOKEN')),
      { category: 'MISSING_AUTHENTICATION_TOKEN', confidence: 'high' },
    ],
    [
      'no route',
      access({
        ...error(MESSAGES.missingToken, 'MISSING_AUTHENTICATION_TOKEN'),
        resourcePath: '-',
        path: '/prod/v1/bookings',
      }),
      { category: 'ROUTE_NOT_FOUND', confidence: 'high' },
    ],
    [
      'stage in custom-domain path',
      access({
        ...error(MESSAGES.missingToken, 'MISSING_AUTHENTICATION_TOKEN'),
        resourcePath: '-',
        domainName: 'api.example.com',
        path: '/prod/v1/booking-service',
      }),
      { category: 'STAGE_IN_CUSTOM_DOMAIN_PATH', confidence: 'high' },
    ],
    [
      'custom domain, other path',
      access({
        ...error(MESSAGES.missingToken, 'MISSING_AUTHENTICATION_TOKEN'),
        resourcePath: '-',
        domainName: 'api.example.com',
        path: '/v2/unknown',
      }),
      { category: 'ROUTE_NOT_FOUND', confidence: 'high' },
    ],
    [
      'OPTIONS preflight without an OPTIONS method',
      access({
        ...error(MESSAGES.missingToken, 'MISSING_AUTHENTICATION_TOKEN'),
        httpMethod: 'OPTIONS',
        resourcePath: '-',
      }),
      { category: 'CORS_PREFLIGHT_REJECTED', confidence: 'high' },
    ],
    [
      'mTLS fields set',
      access({
        ...error(MESSAGES.forbidden),
        identity: { clientCert: { subjectDN: 'CN=client', issuerDN: 'CN=Unknown CA' } },
      }),
      { category: 'MTLS_CERTIFICATE_INVALID', confidence: 'high' },
    ],
    ['A2: backend 403', documentOf(ACCESS_GROUP, [A2]), { category: 'INTEGRATION_403', confidence: 'high' }],
    [
      'nested integration 403',
      access({ integration: { status: '403' } }),
      { category: 'INTEGRATION_403', confidence: 'high' },
    ],
    [
      'Forbidden with WAF and mTLS ruled out',
      access(error(MESSAGES.forbidden)),
      { category: 'INVALID_API_KEY', confidence: 'medium', reason: 'missing' },
    ],
    [
      'ACCESS_DENIED without its message',
      access(error('-', 'ACCESS_DENIED')),
      {
        category: 'AUTHORIZER_EXPLICIT_DENY',
        confidence: 'low',
        candidates: ['AUTHORIZER_EXPLICIT_DENY', 'AUTHORIZER_POLICY_MISMATCH', 'RESOURCE_POLICY_DENY'],
      },
    ],
    [
      'ACCESS_DENIED, signed caller, no message',
      access({ ...error('-', 'ACCESS_DENIED'), identity: { userArn: 'arn:aws:iam::123456789012:user/bob' } }),
      { category: 'IAM_NOT_AUTHORIZED', confidence: 'low' },
    ],
  ];
  it.each(cases)('%s', (_name, document, expected) => {
    expectFinding(only([document]), expected);
  });
});

describe('formats that cannot decide stay UNCLASSIFIED and name the fields to add', () => {
  const formats = {
    DEFAULT_REST_CLF,
    DEFAULT_REST_JSON,
    DEFAULT_REST_XML,
    DEFAULT_REST_CSV,
    DEFAULT_HTTP_CLF,
    DEFAULT_HTTP_JSON,
    DEFAULT_HTTP_XML,
    DEFAULT_HTTP_CSV,
  };
  it.each(Object.entries(formats))('%s', (_name, line) => {
    const finding = only([documentOf(ACCESS_GROUP, [line])]);
    expectFinding(finding, { category: 'UNCLASSIFIED', confidence: 'low' });
    expect(finding.missingFields).toEqual(
      expect.arrayContaining(['$context.error.message', '$context.error.responseType']),
    );
    expect(finding.requestId).toMatch(/^(eed63f63|Mc7UVioPPHcEKPA=)/);
  });

  it('a Forbidden message without a response type or WAF fields lists every candidate it could be', () => {
    const finding = only([
      documentOf(ACCESS_GROUP, ['{"status":"403","errorMessage":"Forbidden","requestId":"r1"}']),
    ]);
    expectFinding(finding, {
      category: 'INVALID_API_KEY',
      confidence: 'low',
      reason: 'unknown',
      candidates: ['INVALID_API_KEY', 'WAF_FILTERED', 'MTLS_CERTIFICATE_INVALID'],
    });
    expect(finding.missingFields).toContain('$context.error.responseType');
  });

  it('Missing Authentication Token without $context.resourcePath cannot tell a missing route from an unsigned call', () => {
    const finding = only([
      documentOf(ACCESS_GROUP, [
        '{"status":"403","errorMessage":"Missing Authentication Token","requestId":"r1"}',
      ]),
    ]);
    expectFinding(finding, { category: 'ROUTE_NOT_FOUND', confidence: 'low' });
    expect(finding.missingFields).toEqual(['$context.resourcePath']);
  });

  it('a path starting with the stage, without $context.domainName, may be a custom domain', () => {
    const line =
      '{"requestId":"r1","status":"403","errorMessage":"Missing Authentication Token","resourcePath":"-","path":"/prod/orders","stage":"prod"}';
    const finding = only([documentOf(ACCESS_GROUP, [line])]);
    expectFinding(finding, {
      category: 'ROUTE_NOT_FOUND',
      confidence: 'low',
      candidates: ['ROUTE_NOT_FOUND', 'STAGE_IN_CUSTOM_DOMAIN_PATH'],
    });
    expect(finding.missingFields).toEqual(['$context.domainName']);
  });

  it('an HTTP API Forbidden points at its authorizer', () => {
    const finding = only([
      documentOf(ACCESS_GROUP, [
        '{"requestId":"Mc7UVioPPHcEKPA=","routeKey":"GET /pets","status":"403","errorMessage":"Forbidden"}',
      ]),
    ]);
    expectFinding(finding, { category: 'AUTHORIZER_EXPLICIT_DENY', confidence: 'medium' });
  });
});

describe('key spellings: a field is recognised by the variable it holds', () => {
  const spellings: ReadonlyArray<readonly [string, string]> = [
    [
      'flat camelCase',
      '{"requestId":"r1","status":"403","errorMessage":"Forbidden","errorResponseType":"WAF_FILTERED"}',
    ],
    [
      'snake_case',
      '{"request_id":"r1","status":"403","error_message":"Forbidden","error_response_type":"WAF_FILTERED"}',
    ],
    [
      'keys spelled like the variable',
      '{"requestId":"r1","status":"403","error.message":"Forbidden","error.responseType":"WAF_FILTERED"}',
    ],
    [
      'keys with $context',
      '{"$context.requestId":"r1","$context.status":"403","$context.error.responseType":"WAF_FILTERED"}',
    ],
    [
      'nested like A4',
      '{"requestId":"r1","httpStatusCode":"403","error":{"errorMessage":"Forbidden","errorResponseType":"WAF_FILTERED"}}',
    ],
    [
      'wrapped in a request object',
      '{"request":{"id":"r1","status":"403"},"error":{"responseType":"WAF_FILTERED"}}',
    ],
    ['numbers instead of strings', '{"requestId":"r1","status":403,"error":{"responseType":"WAF_FILTERED"}}'],
    [
      'unknown keys around',
      '{"foo":{"bar":"403","status":"500"},"statusText":"x","requestId":"r1","status":"403","error":{"responseType":"WAF_FILTERED"},"tags":["a"]}',
    ],
  ];
  it.each(spellings)('%s', (_name, line) => {
    const finding = only([documentOf(ACCESS_GROUP, [line])]);
    expect(finding.category).toBe('WAF_FILTERED');
    expect(finding.requestId).toBe('r1');
  });

  it('reads A1 as `aws logs tail` prints it once the viewer prefix is gone (the CLI strips it)', () => {
    expect(A1_TAIL.endsWith(A1)).toBe(true);
  });
});

describe('out of scope: no finding for other statuses', () => {
  const negatives: ReadonlyArray<readonly [string, string]> = [
    ['A3: 401 Unauthorized', A3],
    ['A4: 200', A4],
    ['A5: 400', A5],
    [
      '429 throttled',
      accessLine({ status: '429', error: { message: 'Too Many Requests', responseType: 'THROTTLED' } }),
    ],
    [
      '404 resource not found',
      accessLine({ status: '404', error: { message: 'Not Found', responseType: 'RESOURCE_NOT_FOUND' } }),
    ],
    [
      '500 authorizer failure',
      accessLine({
        status: '500',
        error: { message: 'Internal server error', responseType: 'AUTHORIZER_FAILURE' },
      }),
    ],
    ['200 success', accessLine({ status: '200' })],
  ];
  it.each(negatives)('%s', (_name, line) => {
    const { findings, stats } = classifyDocuments([documentOf(ACCESS_GROUP, [line])]);
    expect(findings).toEqual([]);
    expect(stats.outOfScope).toBe(1);
  });

  it('a 403 remapped to another status keeps its category and reports the real status', () => {
    const finding = only([access({ status: '401', ...error(MESSAGES.forbidden, 'INVALID_API_KEY') })]);
    expectFinding(finding, {
      category: 'INVALID_API_KEY',
      confidence: 'high',
      reason: 'missing',
      status: 401,
    });
    expect(finding.signals).toContain('remapped-status');
  });

  it('unrecognised lines are counted, not classified', () => {
    const { findings, stats } = classifyDocuments([
      documentOf(ACCESS_GROUP, ['not a log line', '{"broken json', '<request>']),
    ]);
    expect(findings).toEqual([]);
    expect(stats.unrecognised).toBe(3);
  });
});

describe('execution logs alone', () => {
  const exec = (lines: string[]) => documentOf(EXECUTION_GROUP, lines);
  const id = 'a1335dfd-5bcc-4e1b-aa45-f6726cb95816';
  const cases: ReadonlyArray<readonly [string, LogsDocument, Expected]> = [
    [
      'E3-E5 (2016, no prefix): stage not in a plan',
      exec([E3, E4, E5]),
      { category: 'INVALID_API_KEY', confidence: 'high', reason: 'stage-not-in-usage-plan' },
    ],
    [
      'E1, E2, E6, E5: key not in a plan',
      exec([E1, E2, ...withRequestId(id, [E6, E5])]),
      { category: 'INVALID_API_KEY', confidence: 'high', reason: 'key-not-in-usage-plan' },
    ],
    [
      'E7: key missing',
      exec(withRequestId(id, [E8.replace('3323ffe5-6ddf-45c8-896a-b45ec2284cc0', id), E7, E5])),
      { category: 'INVALID_API_KEY', confidence: 'high', reason: 'missing' },
    ],
    [
      'E28, E29: resource policy (or cached authorizer policy)',
      exec([E28, E29, '(412e45a2-9321-4077-8b0b-f044a4364918) Method completed with status: 403']),
      {
        category: 'RESOURCE_POLICY_DENY',
        confidence: 'medium',
        candidates: ['RESOURCE_POLICY_DENY', 'AUTHORIZER_POLICY_MISMATCH'],
      },
    ],
    [
      'authorizer Deny policy (E25 body)',
      exec(withRequestId(id, [`Starting authorizer: 62mgrc for request: ${id}`, E25_BODY, E5])),
      { category: 'AUTHORIZER_EXPLICIT_DENY', confidence: 'high' },
    ],
    [
      'authorizer Allow, then not authorized (E19-E24 + E28 line)',
      exec([
        ...E19_E24,
        '(cf101403-4a17-11e7-935f-35dfc4618b7d) The client is not authorized to perform this operation.',
        '(cf101403-4a17-11e7-935f-35dfc4618b7d) Method completed with status: 403',
      ]),
      { category: 'AUTHORIZER_POLICY_MISMATCH', confidence: 'high' },
    ],
    [
      'E16-E18: authorizer ran, body cut before the Effect, 403',
      exec(withRequestId(id, [...E16_E18, E5])),
      {
        category: 'AUTHORIZER_EXPLICIT_DENY',
        confidence: 'low',
        candidates: ['AUTHORIZER_EXPLICIT_DENY', 'AUTHORIZER_POLICY_MISMATCH'],
      },
    ],
    [
      'E37: mTLS unknown issuer',
      exec(withRequestId(id, [E37, E5])),
      { category: 'MTLS_CERTIFICATE_INVALID', confidence: 'high' },
    ],
    [
      'E38: mTLS insecure algorithm',
      exec(withRequestId(id, [E38, E5])),
      { category: 'MTLS_CERTIFICATE_INVALID', confidence: 'high' },
    ],
    [
      'E39: mTLS self-signed',
      exec(withRequestId(id, [E39, E5])),
      { category: 'MTLS_CERTIFICATE_INVALID', confidence: 'high' },
    ],
    [
      'E39 without the space (zh editions)',
      exec(withRequestId(id, [E39_NO_SPACE, E5])),
      { category: 'MTLS_CERTIFICATE_INVALID', confidence: 'high' },
    ],
    [
      'E40-E46: backend 403',
      exec(withRequestId(id, E40_E46)),
      { category: 'INTEGRATION_403', confidence: 'high' },
    ],
  ];
  it.each(cases)('%s', (_name, document, expected) => {
    const finding = only([document]);
    expectFinding(finding, expected);
    expect(finding.sources).toEqual(['execution']);
  });

  it('the taxonomy worked example: ids, api and stage come from the lines and the group', () => {
    const lines = withRequestId(id, [
      `Verifying Usage Plan for request: ${id}. API Key: ****abc API Stage: a1b2c3/prod`,
      "API Key ****abc not authorized because method 'GET /' requires API Key and API Key is not associated with a Usage Plan for API Stage a1b2c3/prod: No Usage Plan found for key and API Stage",
      'Method completed with status: 403',
    ]);
    const finding = only([documentOf('API-Gateway-Execution-Logs_a1b2c3/prod', lines)]);
    expect(finding).toMatchObject({
      requestId: id,
      apiId: 'a1b2c3',
      stage: 'prod',
      category: 'INVALID_API_KEY',
      reason: 'key-not-in-usage-plan',
      confidence: 'high',
    });
    expect(finding.evidence).toContain('usage plan: No Usage Plan found for key and API Stage');
  });

  const negatives: ReadonlyArray<readonly [string, string[]]> = [
    ['E8-E10: no key required, 200', [E8, E9, E10, 'Method completed with status: 200']],
    ['E12, E13: authorizer 401', [E12, E13]],
    ['E14, E15: authorizer success, 200', [E14, E15, 'Method completed with status: 200']],
    ['E30-E32: authorizer returned null (500)', withRequestId(id, E30_E32)],
    [
      'E19-E24: authorizer Allow, 200',
      [...E19_E24, '(cf101403-4a17-11e7-935f-35dfc4618b7d) Method completed with status: 200'],
    ],
    ['E33-E36: configuration error 500', withRequestId(id, E33_E36)],
    ['E47-E51: Lambda service 403 becomes 500', withRequestId(id, E47_E51)],
    ['E52, E53: key throttle 429', [E52, E53]],
    ['E54: quota exhausted', [E54]],
    ['E11: usage plan internal error (served)', withRequestId(id, [E11])],
    [
      'truncated 200 lines',
      [TRUNCATED_LINE, '(515f1e99-39db-11e9-9e96-01e5c04505b9) Method completed with status: 200'],
    ],
  ];
  it.each(negatives)('%s produces nothing', (_name, lines) => {
    expect(classifyDocuments([exec(lines)]).findings).toEqual([]);
  });

  it('correlates interleaved requests in any order, across deliveries, tolerating [TRUNCATED] and double spaces', () => {
    const a = 'aaaaaaaa-0000-4000-8000-000000000001';
    const b = 'bbbbbbbb-0000-4000-8000-000000000002';
    const first = exec([
      `(${b}) Method completed with status: 403`,
      `(${a}) Endpoint request headers: {X-Amz-Security-Token=FQoGZXIvYXdzELj//////////wEaDLalUxm [TRUNCATED]`,
      `(${a}) API Key  not authorized because method 'POST /orders' requires API Key and API Key is not associated with a Usage Plan for API Stage a1b2c3d4e5/prod: API Key was required but not present`,
    ]);
    const second = exec([
      `(${b}) Access denied. Reason: self signed certificate`,
      `(${a}) Method completed with status: 403`,
    ]);
    const { findings } = classifyDocuments([first, second]);
    const byId = new Map(findings.map((finding) => [finding.requestId, finding]));
    expect(findings).toHaveLength(2);
    expect(byId.get(a)).toMatchObject({ category: 'INVALID_API_KEY', reason: 'missing' });
    expect(byId.get(b)).toMatchObject({ category: 'MTLS_CERTIFICATE_INVALID' });
  });
});

describe('access and execution lines of one request make one finding', () => {
  const requestId = 'c0ffee00-1111-4222-8333-444455556666';
  const executionFor = (id: string, lines: string[]) => documentOf(EXECUTION_GROUP, withRequestId(id, lines));

  it('takes the usage-plan reason from the execution line', () => {
    const accessDocument = access({
      requestId,
      ...error(MESSAGES.forbidden, 'INVALID_API_KEY'),
      identity: { apiKeyId: 'k9v8w7x6y5' },
    });
    const execution = executionFor(requestId, [E4, E5]);
    for (const order of [
      [accessDocument, execution],
      [execution, accessDocument],
    ]) {
      const finding = only(order);
      expect(finding).toMatchObject({
        requestId,
        category: 'INVALID_API_KEY',
        reason: 'stage-not-in-usage-plan',
        confidence: 'high',
        apiKeyId: '****x6y5',
      });
      expect(finding.sources).toEqual(['access', 'execution']);
    }
  });

  it('joins on the extended request id when the request id was replaced', () => {
    const accessDocument = access({
      requestId: 'UUID_REPLACED_INVALID_REQUEST_ID',
      extendedRequestId: 'TnAbCdEfGhIjKlM=',
      ...error('-', 'ACCESS_DENIED'),
    });
    const execution = executionFor('412e45a2-9321-4077-8b0b-f044a4364918', [
      'Extended Request Id: TnAbCdEfGhIjKlM=',
      'Starting authorizer: 62mgrc for request: x',
      E25_BODY,
      E5,
    ]);
    const finding = only([accessDocument, execution]);
    expect(finding).toMatchObject({ category: 'AUTHORIZER_EXPLICIT_DENY', confidence: 'high' });
    expect(finding.sources).toEqual(['access', 'execution']);
  });
});

describe('precedence: one request never gets two answers', () => {
  it('a decisive message outranks the response type (Bearer on a missing route)', () => {
    const finding = only([
      access({ ...error(MESSAGES.incompleteBearer, 'MISSING_AUTHENTICATION_TOKEN'), resourcePath: '-' }),
    ]);
    expect(finding.category).toBe('INCOMPLETE_SIGNATURE');
    expect(finding.signals).toContain('bearer-token');
  });

  it('OPTIONS comes first and keeps what was underneath for ranking', () => {
    const finding = only([access({ ...error(MESSAGES.forbidden, 'WAF_FILTERED'), httpMethod: 'OPTIONS' })]);
    expect(finding.category).toBe('CORS_PREFLIGHT_REJECTED');
    expect(finding.signals).toContain('preflight-WAF_FILTERED');
  });

  it('WAF outranks the client certificate and the response type', () => {
    const finding = only([
      access({
        ...error(MESSAGES.forbidden, 'INVALID_API_KEY'),
        waf: { status: '403' },
        identity: { clientCert: { subjectDN: 'CN=x' } },
      }),
    ]);
    expect(finding.category).toBe('WAF_FILTERED');
  });

  it('the client certificate outranks the response type', () => {
    const finding = only([
      access({
        ...error(MESSAGES.forbidden, 'INVALID_API_KEY'),
        identity: { clientCert: { subjectDN: 'CN=x' } },
      }),
    ]);
    expect(finding.category).toBe('MTLS_CERTIFICATE_INVALID');
  });

  it('the Missing Authentication Token split outranks an integration status', () => {
    const finding = only([
      access({
        ...error(MESSAGES.missingToken, 'MISSING_AUTHENTICATION_TOKEN'),
        resourcePath: '-',
        integration: { status: '403' },
      }),
    ]);
    expect(finding.category).toBe('ROUTE_NOT_FOUND');
  });
});

describe('what a finding carries', () => {
  it('masks API key ids and redacts secrets echoed in messages, paths and user agents', () => {
    const finding = only([
      access({
        ...error(MESSAGES.incompleteKeyValue, 'MISSING_AUTHENTICATION_TOKEN'),
        resourcePath: '-',
        path: '/prod/login?token=x',
        identity: { apiKeyId: 'abcdefgh1234', userAgent: 'bot AKIAIOSFODNN7EXAMPLE Bearer abc.def.ghi' },
      }),
    ]);
    const text = JSON.stringify(finding);
    expect(text).not.toContain('eyJhbGciOiJIUzI1NiJ9');
    expect(text).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(text).not.toContain('abc.def.ghi');
    expect(text).not.toContain('abcdefgh1234');
    expect(finding.apiKeyId).toBe('****1234');
  });

  it('uses the event time, or requestTimeEpoch for exported lines that have none', () => {
    expect(only([documentOf(ACCESS_GROUP, [A1], 1_700_000_000_000)]).timestamp).toBe(1_700_000_000_000);
    expect(only([documentOf(ACCESS_GROUP, [A1], 0)]).timestamp).toBe(1_784_692_374_821);
  });
});
