/**
 * WebSocket APIs' 403s, table-driven from line shapes built from the documented WebSocket variables
 * (`test/fixtures/websocket-lines.ts`: documented formats, not quoted lines).
 */
import { describe, expect, it } from 'vitest';
import {
  analyzeAccessLogFormat,
  type Category,
  type Confidence,
  classifyRequest,
  describeCategory,
  type Finding,
  parseAccessLine,
  recommendedAccessLogFormat,
} from '../../lambda/core/index.js';
import { MESSAGES } from '../fixtures/evidence.js';
import {
  WS_API,
  WS_MESSAGES,
  WS_STAGE,
  webSocketLine,
  webSocketMessageLine,
} from '../fixtures/websocket-lines.js';

function classify(line: string): Finding | undefined {
  const access = parseAccessLine(line);
  if (!access) throw new Error(`not an access line: ${line}`);
  return classifyRequest({ access, context: { timestamp: 1_796_984_267_186 } });
}

interface Row {
  readonly name: string;
  readonly line: string;
  readonly category: Category;
  readonly confidence: Confidence;
  readonly signals?: readonly string[];
  readonly candidates?: readonly Category[];
  readonly missing?: readonly string[];
}

/** A `$connect` format without `$context.eventType`: only the route key says the event. */
const NO_EVENT_TYPE =
  '{"requestId":"$context.requestId","status":"$context.status","routeKey":"$context.routeKey","error":{"message":"$context.error.message"}}';
/** A format that logs the connection id and nothing that names the event. */
const CONNECTION_ONLY =
  '{"requestId":"$context.requestId","status":"$context.status","connectionId":"$context.connectionId","error":{"message":"$context.error.message"}}';

const ROWS: readonly Row[] = [
  {
    name: 'authorizer explicit deny on $connect',
    line: webSocketLine({ 'error.message': MESSAGES.explicitDeny, 'error.responseType': 'ACCESS_DENIED' }),
    category: 'WEBSOCKET_CONNECT_AUTHORIZER_DENY',
    confidence: 'high',
    signals: ['websocket-api', 'explicit-deny'],
  },
  {
    name: 'authorizer policy without an Allow for the $connect ARN',
    line: webSocketLine({ 'error.message': MESSAGES.implicitDeny, 'error.responseType': 'ACCESS_DENIED' }),
    category: 'WEBSOCKET_CONNECT_AUTHORIZER_DENY',
    confidence: 'high',
    signals: ['no-matching-allow'],
  },
  {
    name: 'bare Forbidden on CONNECT after the authorizer ran',
    line: webSocketLine({
      'error.message': MESSAGES.forbidden,
      'authorizer.status': '403',
      'authorizer.error': MESSAGES.forbidden,
    }),
    category: 'WEBSOCKET_CONNECT_AUTHORIZER_DENY',
    confidence: 'medium',
    signals: ['authorizer-ran', 'unsigned-caller'],
    candidates: ['WEBSOCKET_CONNECT_AUTHORIZER_DENY', 'WEBSOCKET_CONNECT_IAM_DENY', 'INVALID_API_KEY'],
  },
  {
    name: 'bare Forbidden on CONNECT, nothing else set',
    line: webSocketLine({ 'error.message': MESSAGES.forbidden }),
    category: 'WEBSOCKET_CONNECT_AUTHORIZER_DENY',
    confidence: 'low',
    candidates: ['WEBSOCKET_CONNECT_AUTHORIZER_DENY', 'WEBSOCKET_CONNECT_IAM_DENY', 'INVALID_API_KEY'],
  },
  {
    name: 'bare Forbidden on CONNECT from a signed caller',
    line: webSocketLine({
      'error.message': MESSAGES.forbidden,
      'identity.userArn': 'arn:aws:iam::123456789012:user/alice',
    }),
    category: 'WEBSOCKET_CONNECT_IAM_DENY',
    confidence: 'medium',
    signals: ['signed-caller'],
    candidates: ['WEBSOCKET_CONNECT_IAM_DENY', 'WEBSOCKET_CONNECT_AUTHORIZER_DENY', 'INVALID_API_KEY'],
  },
  {
    name: 'IAM: no Allow for execute-api:Invoke on $connect',
    line: webSocketLine({
      'error.message': WS_MESSAGES.iamNotAuthorized,
      'error.responseType': 'ACCESS_DENIED',
      'identity.userArn': 'arn:aws:iam::123456789012:user/alice',
    }),
    category: 'WEBSOCKET_CONNECT_IAM_DENY',
    confidence: 'high',
    signals: ['signed-caller', 'no-matching-allow'],
  },
  {
    name: 'IAM: explicit deny on $connect',
    line: webSocketLine({ 'error.message': WS_MESSAGES.iamExplicitDeny }),
    category: 'WEBSOCKET_CONNECT_IAM_DENY',
    confidence: 'high',
    signals: ['explicit-deny'],
  },
  {
    name: 'IAM: anonymous (no resource policy on WebSocket APIs: an unsigned handshake)',
    line: webSocketLine({ 'error.message': WS_MESSAGES.anonymous }),
    category: 'WEBSOCKET_CONNECT_IAM_DENY',
    confidence: 'high',
    signals: ['anonymous-caller', 'unsigned-caller'],
  },
  {
    name: 'Missing Authentication Token on CONNECT: an unsigned handshake to an IAM $connect',
    line: webSocketLine({
      'error.message': MESSAGES.missingToken,
      'error.responseType': 'MISSING_AUTHENTICATION_TOKEN',
    }),
    category: 'WEBSOCKET_CONNECT_IAM_DENY',
    confidence: 'medium',
    signals: ['unsigned-caller'],
  },
  {
    name: 'ACCESS_DENIED without a message',
    line: webSocketLine({ 'error.responseType': 'ACCESS_DENIED' }),
    category: 'WEBSOCKET_CONNECT_AUTHORIZER_DENY',
    confidence: 'low',
    candidates: ['WEBSOCKET_CONNECT_AUTHORIZER_DENY', 'WEBSOCKET_CONNECT_IAM_DENY', 'INVALID_API_KEY'],
  },
  {
    name: 'a signature mismatch keeps its row (same cause, same checks)',
    line: webSocketLine({ 'error.message': MESSAGES.signatureMismatch }),
    category: 'SIGNATURE_MISMATCH',
    confidence: 'high',
    signals: ['websocket-api', 'signed-caller'],
  },
  {
    name: 'an expired token keeps its row',
    line: webSocketLine({ 'error.message': MESSAGES.expiredToken }),
    category: 'SECURITY_TOKEN_EXPIRED',
    confidence: 'high',
  },
  {
    name: 'an API key refused on $connect keeps its row',
    line: webSocketLine({ 'error.message': MESSAGES.forbidden, 'error.responseType': 'INVALID_API_KEY' }),
    category: 'INVALID_API_KEY',
    confidence: 'high',
    signals: ['websocket-api', 'reason-missing'],
  },
  {
    name: 'the $connect integration answered 403 (the handshake fails with it)',
    line: webSocketLine({ 'integration.status': '403' }),
    category: 'INTEGRATION_403',
    confidence: 'high',
    signals: ['websocket-api', 'integration-403'],
  },
  {
    name: 'Forbidden on a MESSAGE event: no authorization runs there',
    line: webSocketMessageLine('sendmessage', { 'error.message': MESSAGES.forbidden }),
    category: 'UNCLASSIFIED',
    confidence: 'low',
    signals: ['websocket-message'],
  },
  {
    name: 'Missing Authentication Token on a MESSAGE event: no REST resource or IAM check applies',
    line: webSocketMessageLine('sendmessage', { 'error.message': MESSAGES.missingToken }),
    category: 'UNCLASSIFIED',
    confidence: 'low',
    signals: ['websocket-message'],
  },
  {
    name: 'Missing Authentication Token, no event logged: IAM at low confidence, and what to log',
    line: webSocketLine({ 'error.message': MESSAGES.missingToken }, CONNECTION_ONLY),
    category: 'WEBSOCKET_CONNECT_IAM_DENY',
    confidence: 'low',
    missing: ['$context.eventType'],
  },
  {
    name: 'a format without eventType: the $connect route key says the event',
    line: webSocketLine({ 'error.message': MESSAGES.forbidden }, NO_EVENT_TYPE),
    category: 'WEBSOCKET_CONNECT_AUTHORIZER_DENY',
    confidence: 'low',
    signals: ['websocket-api'],
    missing: ['$context.authorizer.status', '$context.identity.userArn', '$context.identity.apiKeyId'],
  },
  {
    name: 'a format that names no event: low, and says what to log',
    line: webSocketLine({ 'error.message': MESSAGES.forbidden }, CONNECTION_ONLY),
    category: 'WEBSOCKET_CONNECT_AUTHORIZER_DENY',
    confidence: 'low',
    missing: ['$context.eventType'],
  },
];

describe('WebSocket access lines', () => {
  it.each(ROWS.map((row) => [row.name, row] as const))('%s', (_name, row) => {
    const finding = classify(row.line);
    expect(finding?.category).toBe(row.category);
    expect(finding?.confidence).toBe(row.confidence);
    expect(finding?.signals).toContain('websocket-api');
    for (const signal of row.signals ?? []) expect(finding?.signals).toContain(signal);
    if (row.candidates) expect(finding?.candidates?.map((c) => c.category)).toEqual(row.candidates);
    for (const variable of row.missing ?? []) expect(finding?.missingFields).toContain(variable);
    expect(finding?.apiId).toBe(row.line.includes(WS_API) ? WS_API : 'unknown');
  });

  it('names the route key where a REST finding has its resource path', () => {
    const finding = classify(webSocketLine({ 'error.message': MESSAGES.explicitDeny }));
    expect(finding).toMatchObject({ resourcePath: '$connect', stage: WS_STAGE, apiId: WS_API });
  });

  it('leaves successful events and other statuses alone', () => {
    expect(classify(webSocketLine({ status: '200' }))).toBeUndefined();
    expect(
      classify(webSocketLine({ status: '401', 'error.message': MESSAGES.unauthorized })),
    ).toBeUndefined();
    expect(classify(webSocketMessageLine('$default', { status: '200' }))).toBeUndefined();
  });

  it('an UNCLASSIFIED WebSocket 403 names only variables a WebSocket API can log', () => {
    const finding = classify(
      webSocketLine(
        {},
        '{"requestId":"$context.requestId","status":"$context.status","eventType":"$context.eventType"}',
      ),
    );
    expect(finding?.category).toBe('UNCLASSIFIED');
    expect(finding?.missingFields).toEqual(
      expect.arrayContaining(['$context.error.message', '$context.error.responseType']),
    );
    for (const restOnly of ['resourcePath', 'wafResponseCode', 'identity.clientCert.subjectDN'])
      expect(finding?.missingFields).not.toContain(`$context.${restOnly}`);
  });

  it('does not take HTTP or REST lines for WebSocket ones', () => {
    const http = parseAccessLine(
      JSON.stringify({
        requestId: 'r',
        status: '403',
        routeKey: 'GET /orders',
        error: { message: 'Forbidden' },
      }),
    );
    const rest = parseAccessLine(
      JSON.stringify({
        requestId: 'r',
        status: '403',
        resourcePath: '/orders',
        error: { message: MESSAGES.explicitDeny },
      }),
    );
    const httpFinding = http && classifyRequest({ access: http, context: { timestamp: 1 } });
    const restFinding = rest && classifyRequest({ access: rest, context: { timestamp: 1 } });
    expect(httpFinding).toMatchObject({ category: 'AUTHORIZER_EXPLICIT_DENY', confidence: 'medium' });
    expect(httpFinding?.signals).toContain('http-api');
    expect(restFinding?.category).toBe('AUTHORIZER_EXPLICIT_DENY');
    for (const finding of [httpFinding, restFinding]) expect(finding?.signals).not.toContain('websocket-api');
  });

  // An attacker pass found REST lines taken for WebSocket ones through keys that read as WebSocket fields.
  it.each([
    ['message_id', { message_id: 'm-1' }],
    ['event.type', { event: { type: 'api-call' } }],
    ['request.messageId', { request: { messageId: '-' } }],
    ['connectionId', { connectionId: 'c-1' }],
  ])('a REST line that also logs %s stays a REST line', (_name, extra) => {
    const finding = classify(
      JSON.stringify({
        requestId: 'r',
        status: '403',
        httpMethod: 'GET',
        resourcePath: '/orders',
        error: { message: MESSAGES.explicitDeny, responseType: 'AUTHORIZER_FAILURE' },
        ...extra,
      }),
    );
    expect(finding?.category).toBe('AUTHORIZER_EXPLICIT_DENY');
    expect(finding?.signals).not.toContain('websocket-api');
  });
});

describe('the recommended WebSocket access-log format', () => {
  const format = recommendedAccessLogFormat('websocket');

  it('logs the WebSocket variables and none a WebSocket API rejects', () => {
    for (const variable of ['connectionId', 'eventType', 'messageId', 'routeKey', 'error.message'])
      expect(format).toContain(`"$context.${variable}"`);
    for (const restOnly of ['httpMethod', 'resourcePath', 'path', 'wafResponseCode', 'webaclArn', 'protocol'])
      expect(format).not.toContain(`"$context.${restOnly}"`);
    expect(format).not.toContain('clientCert');
    expect(format).not.toContain('identity.apiKey"');
    // AWS WAF cannot be associated with a WebSocket API (docs/403-taxonomy.md): its fields stay empty.
    expect(format).not.toContain('$context.waf');
    expect(analyzeAccessLogFormat(format, 'websocket')).toMatchObject({
      kind: 'json',
      classifiable: true,
      missingVariables: [],
    });
  });

  it('is what the other kinds lack for a WebSocket stage, and the reverse', () => {
    expect(analyzeAccessLogFormat(format, 'rest').missingVariables).toContain('$context.resourcePath');
    // Every decisive WebSocket variable is in the HTTP format too (WAF's are no WebSocket variable).
    expect(analyzeAccessLogFormat(recommendedAccessLogFormat('http'), 'websocket').missingVariables).toEqual(
      [],
    );
  });

  it('parses back to the fields its line holds', () => {
    const record = parseAccessLine(webSocketMessageLine('sendmessage'));
    expect(record?.values).toMatchObject({
      connectionId: 'XfGLwfPmoAMCEnw=',
      eventType: 'MESSAGE',
      messageId: 'XfGMCdfPoAMCEnw=',
      routeKey: 'sendmessage',
    });
  });
});

describe('checks printed for WebSocket groups', () => {
  const context = { apiId: WS_API, stage: WS_STAGE, region: 'us-east-1' };

  it.each(['WEBSOCKET_CONNECT_AUTHORIZER_DENY', 'WEBSOCKET_CONNECT_IAM_DENY'] as const)(
    '%s prints apigatewayv2 commands with --api-id, never REST ones',
    (category) => {
      const { checks } = describeCategory(category, context);
      const commands = checks.filter((check) => check.startsWith('aws apigateway'));
      expect(commands.length).toBeGreaterThanOrEqual(2);
      for (const command of commands) {
        expect(command).toMatch(/^aws apigatewayv2 /);
        expect(command).toContain(`--api-id ${WS_API}`);
        expect(command).not.toContain('--rest-api-id');
      }
      expect(checks.join('\n')).toContain(`${WS_API}/${WS_STAGE}/$connect`);
    },
  );

  it('UNCLASSIFIED, INTEGRATION_403 and INCOMPLETE_SIGNATURE print apigatewayv2 checks only for a WebSocket group', () => {
    for (const category of ['UNCLASSIFIED', 'INTEGRATION_403', 'INCOMPLETE_SIGNATURE'] as const) {
      const webSocket = describeCategory(category, { ...context, signals: ['websocket-api'] }).checks;
      const rest = describeCategory(category, context).checks;
      expect(webSocket.join('\n')).toContain('aws apigatewayv2 ');
      expect(webSocket.join('\n')).not.toContain('--rest-api-id');
      expect(rest.join('\n')).not.toContain('apigatewayv2');
    }
  });

  it('ranks the causes by the finding signals', () => {
    const first = (category: Category, signals: string[]) =>
      describeCategory(category, { ...context, signals }).causes[0];
    expect(first('WEBSOCKET_CONNECT_AUTHORIZER_DENY', ['no-matching-allow'])).toMatch(/REST-style Resource/);
    expect(first('WEBSOCKET_CONNECT_IAM_DENY', ['explicit-deny'])).toMatch(/A Deny in/);
    expect(first('WEBSOCKET_CONNECT_IAM_DENY', ['unsigned-caller'])).toMatch(/not signed/);
    expect(first('WEBSOCKET_CONNECT_IAM_DENY', ['no-matching-allow'])).toMatch(
      /no execute-api:Connect action/,
    );
    expect(describeCategory('INVALID_API_KEY', { ...context, signals: ['websocket-api'] }).causes[0]).toMatch(
      /browser cannot add an x-api-key header/,
    );
  });
});

describe('AWS WAF and WebSocket APIs (WAF associates with REST API stages only)', () => {
  const wafFields = { 'waf.status': '403', 'waf.error': 'WAF_BLOCK', 'error.responseType': 'WAF_FILTERED' };
  const restWaf = JSON.stringify({
    requestId: 'r-1',
    apiId: WS_API,
    stage: WS_STAGE,
    status: '403',
    httpMethod: 'GET',
    resourcePath: '/orders',
    error: { message: 'Forbidden', responseType: 'WAF_FILTERED' },
    waf: { status: '403' },
  });

  it.each([
    ['a $connect with WAF fields and no message', webSocketLine(wafFields), 'UNCLASSIFIED'],
    [
      'a $connect with WAF fields and a bare Forbidden',
      webSocketLine({ ...wafFields, 'error.message': 'Forbidden' }),
      'WEBSOCKET_CONNECT_AUTHORIZER_DENY',
    ],
    [
      'a $connect with WAF fields and an IAM message',
      webSocketLine({ ...wafFields, 'error.message': WS_MESSAGES.iamNotAuthorized }),
      'WEBSOCKET_CONNECT_IAM_DENY',
    ],
    ['a message event with WAF fields', webSocketMessageLine('sendmessage', wafFields), 'UNCLASSIFIED'],
    [
      'a $connect whose integration answered 403',
      webSocketLine({ 'integration.status': '403', 'error.message': '-' }),
      'INTEGRATION_403',
    ],
  ])('%s is never WAF_FILTERED, and its alert names no WAF', (_name, line, category) => {
    const finding = classify(line);
    expect(finding?.category).toBe(category);
    for (const candidate of [finding?.category, ...(finding?.candidates ?? []).map((c) => c.category)]) {
      expect(candidate).not.toBe('WAF_FILTERED');
      if (!candidate) continue;
      const described = describeCategory(candidate, {
        apiId: WS_API,
        stage: WS_STAGE,
        signals: finding?.signals ?? [],
      });
      expect([...described.causes, ...described.checks, described.summary].join('\n')).not.toMatch(
        /\bWAF\b|web ACL|wafv2/i,
      );
    }
  });

  it('the same WAF fields on a REST line are WAF_FILTERED (the WebSocket rule is not a blanket one)', () => {
    expect(classify(restWaf)?.category).toBe('WAF_FILTERED');
  });
});
