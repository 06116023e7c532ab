import type { WatchedStage } from '../../lambda/adapters/env-config.js';
import { type Category, executionLogGroupName, type LogsDocument } from '../../lambda/core/index.js';
import { logsDocument } from './payload.js';

/**
 * The built-in `npm start` scenario: several APIs and stages, access and execution logs, every line
 * built from the shapes in test/fixtures/evidence.ts (the recommended JSON access
 * format, the default CLF format, execution lines E4/E7/E28/E37/E41–E46), with hostile values.
 */

export const REST_API = 'a1b2c3d4e5';
export const OTHER_REST_API = 'k3l4m5n6o7';
export const HTTP_API = 'h7t8p9q0r1';
export const EXEC_ONLY_API = 'x9y8z7w6v5';

export const WATCHED_STAGES: readonly WatchedStage[] = [
  { apiId: REST_API, stage: 'prod', accessLogGroup: `/aws/apigateway/${REST_API}/prod`, executionLogs: true },
  {
    apiId: REST_API,
    stage: 'staging',
    accessLogGroup: `/aws/apigateway/${REST_API}/staging`,
    executionLogs: false,
  },
  {
    apiId: OTHER_REST_API,
    stage: 'dev',
    accessLogGroup: `/aws/apigateway/${OTHER_REST_API}/dev`,
    executionLogs: false,
  },
  {
    apiId: HTTP_API,
    stage: '$default',
    accessLogGroup: `/aws/apigateway/${HTTP_API}/default`,
    executionLogs: false,
  },
  // Execution logs and no access log: its execution lines are the only record of its 403s.
  { apiId: EXEC_ONLY_API, stage: 'v1', executionLogs: true },
];

export const HOSTILE = {
  userAgent: '<!channel> <https://evil.example/login|Click to fix> curl/8.10.1',
  awsKeyAgent: 'aws-cli/2.15.0 key=AKIAIOSFODNN7EXAMPLE',
  bearer: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2VjcmV0LXNpZ25hdHVyZQ',
  secretKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
} as const;

export interface Delivery {
  readonly label: string;
  /** Scenario minutes after the start: the handler's clock for this delivery. */
  readonly minute: number;
  readonly document: LogsDocument;
}

export interface ExecutionSeed {
  readonly logGroup: string;
  readonly events: readonly { timestamp: number; message: string }[];
}

export interface Scenario {
  readonly deliveries: readonly Delivery[];
  /** Execution lines already in CloudWatch Logs, for the join's FilterLogEvents lookup. */
  readonly executionLogs: readonly ExecutionSeed[];
  /** 403s sent per category (what the metric must count). */
  readonly sent: Readonly<Partial<Record<Category, number>>>;
}

type Fields = Record<string, unknown>;

function uuid(seed: number): string {
  const hex = (seed * 2654435761 + 0x9e3779b9).toString(16).padStart(12, '0').slice(-12);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(1, 4)}-8${hex.slice(5, 8)}-${hex}`;
}

const ACCESS_DEFAULTS = (apiId: string, stage: string): Fields => ({
  extendedRequestId: 'A463pHJGPHcEQGQ=',
  status: '403',
  error: { message: '-', messageString: '-', responseType: '-' },
  waf: { responseCode: '-', status: '-', error: '-' },
  authorizer: { error: '-', status: '-' },
  integration: { status: '-', error: '-' },
  resourcePath: '/orders',
  path: `/${stage}/orders`,
  httpMethod: 'GET',
  domainName: `${apiId}.execute-api.us-east-1.amazonaws.com`,
  stage,
  apiId,
  identity: { sourceIp: '203.0.113.10', userAgent: 'curl/8.10.1', apiKeyId: '-', caller: '-', userArn: '-' },
  protocol: 'HTTP/1.1',
});

const gateway = (responseType: string, message: string): Fields => ({
  error: { message, messageString: `"${message}"`, responseType },
});

const explicitIam = (who: string, deny: boolean): string =>
  `User: ${who} is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:123456789012:${REST_API}/staging/GET/orders${deny ? ' with an explicit deny' : ''}`;

interface Plan {
  readonly category: Category;
  readonly count: number;
  readonly fields: Fields;
}

export function buildScenario(start: number): Scenario {
  let seed = 0;
  const sent: Partial<Record<Category, number>> = {};
  const count = (category: Category, n: number): void => {
    sent[category] = (sent[category] ?? 0) + n;
  };
  const accessDocument = (apiId: string, stage: string, minute: number, plans: readonly Plan[]) => {
    const group =
      WATCHED_STAGES.find((entry) => entry.apiId === apiId && entry.stage === stage)?.accessLogGroup ?? '';
    const events: { timestamp: number; message: string; requestId: string; category: Category }[] = [];
    for (const plan of plans) {
      count(plan.category, plan.count);
      for (let i = 0; i < plan.count; i += 1) {
        seed += 1;
        const requestId = uuid(seed);
        const timestamp = start + minute * 60_000 + seed * 37;
        const defaults = ACCESS_DEFAULTS(apiId, stage);
        const identity = {
          ...(defaults.identity as Fields),
          sourceIp: `203.0.113.${10 + (seed % 4)}`,
          ...((plan.fields.identity as Fields) ?? {}),
        };
        const message = JSON.stringify({
          requestId,
          ...defaults,
          ...plan.fields,
          identity,
          requestTimeEpoch: String(timestamp),
        });
        events.push({ timestamp, message, requestId, category: plan.category });
      }
    }
    return { document: logsDocument(group, events), events };
  };

  // Wave 1, minute 0: a bad deploy on a1b2c3d4e5/prod (both log kinds), probing on staging.
  const prod = accessDocument(REST_API, 'prod', 0, [
    {
      category: 'INVALID_API_KEY',
      count: 24,
      fields: {
        ...gateway('INVALID_API_KEY', 'Forbidden'),
        identity: { userAgent: HOSTILE.userAgent, apiKeyId: 'k7x2q9w8e1' },
      },
    },
    {
      category: 'AUTHORIZER_EXPLICIT_DENY',
      count: 6,
      fields: gateway(
        'ACCESS_DENIED',
        'User is not authorized to access this resource with an explicit deny',
      ),
    },
    {
      category: 'AUTHORIZER_POLICY_MISMATCH',
      count: 4,
      fields: {
        ...gateway('ACCESS_DENIED', 'User is not authorized to access this resource'),
        resourcePath: '/orders/{id}',
        path: '/prod/orders/42',
        httpMethod: 'DELETE',
      },
    },
    {
      category: 'WAF_FILTERED',
      count: 9,
      fields: {
        ...gateway('WAF_FILTERED', 'Forbidden'),
        waf: { responseCode: 'WAF_BLOCK', status: '403', error: '-' },
        webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:regional/webacl/edge/093db73c',
      },
    },
    { category: 'INTEGRATION_403', count: 3, fields: { integration: { status: '403', error: '-' } } },
  ]);
  const prodExecution = prod.events.flatMap((event) =>
    executionLines(event.requestId, event.category, event.timestamp),
  );
  const staging = accessDocument(REST_API, 'staging', 0, [
    {
      category: 'IAM_EXPLICIT_DENY',
      count: 2,
      fields: gateway('ACCESS_DENIED', explicitIam('arn:aws:iam::123456789012:user/ci-deployer', true)),
    },
    {
      category: 'IAM_NOT_AUTHORIZED',
      count: 3,
      fields: {
        ...gateway(
          'ACCESS_DENIED',
          explicitIam('arn:aws:sts::123456789012:assumed-role/reporting/job', false),
        ),
        identity: { userAgent: HOSTILE.awsKeyAgent },
      },
    },
    {
      category: 'RESOURCE_POLICY_DENY',
      count: 5,
      fields: gateway('ACCESS_DENIED', explicitIam('anonymous', false)),
    },
    {
      category: 'INVALID_SECURITY_TOKEN',
      count: 2,
      fields: gateway('UNRECOGNIZED_CLIENT', 'The security token included in the request is invalid.'),
    },
    {
      category: 'SECURITY_TOKEN_EXPIRED',
      count: 2,
      fields: gateway('EXPIRED_TOKEN', 'The security token included in the request is expired'),
    },
    {
      category: 'SIGNATURE_EXPIRED',
      count: 2,
      fields: gateway(
        'INVALID_SIGNATURE',
        'Signature expired: 20260722T035254Z is now earlier than 20260722T040812Z (20260722T042312Z - 15 min.)',
      ),
    },
    {
      category: 'SIGNATURE_MISMATCH',
      count: 2,
      fields: gateway(
        'INVALID_SIGNATURE',
        `The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. secretAccessKey=${HOSTILE.secretKey}`,
      ),
    },
  ]);
  const dev = accessDocument(OTHER_REST_API, 'dev', 0, [
    {
      category: 'INCOMPLETE_SIGNATURE',
      count: 4,
      fields: gateway(
        'MISSING_AUTHENTICATION_TOKEN',
        `${HOSTILE.bearer} not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer ${HOSTILE.bearer}'`,
      ),
    },
    {
      category: 'MISSING_AUTHENTICATION_TOKEN',
      count: 3,
      fields: gateway('MISSING_AUTHENTICATION_TOKEN', 'Missing Authentication Token'),
    },
    {
      category: 'ROUTE_NOT_FOUND',
      count: 7,
      fields: {
        ...gateway('MISSING_AUTHENTICATION_TOKEN', 'Missing Authentication Token'),
        resourcePath: '-',
        path: '/dev/ordres',
      },
    },
    {
      category: 'STAGE_IN_CUSTOM_DOMAIN_PATH',
      count: 3,
      fields: {
        ...gateway('MISSING_AUTHENTICATION_TOKEN', 'Missing Authentication Token'),
        resourcePath: '-',
        domainName: 'api.example.com',
        path: '/dev/orders',
      },
    },
    {
      category: 'CORS_PREFLIGHT_REJECTED',
      count: 5,
      fields: {
        ...gateway('MISSING_AUTHENTICATION_TOKEN', 'Missing Authentication Token'),
        httpMethod: 'OPTIONS',
      },
    },
    {
      category: 'MTLS_CERTIFICATE_INVALID',
      count: 2,
      fields: {
        ...gateway('ACCESS_DENIED', 'Forbidden'),
        identity: { clientCert: { subjectDN: 'CN=partner-client', issuerDN: 'CN=Unknown Partner CA' } },
      },
    },
  ]);
  // The HTTP API keeps the console's default CLF format: a 403 it cannot explain.
  const httpEvents = [0, 1, 2].map((i) => {
    seed += 1;
    const timestamp = start + seed * 37;
    return {
      timestamp,
      message: `198.51.100.${20 + i} - - [22/Jul/2026:03:52:5${i} +0000] "GET /reports HTTP/1.1" 403 23 ${uuid(seed)}`,
    };
  });
  count('UNCLASSIFIED', httpEvents.length);
  const httpApi = logsDocument(WATCHED_STAGES[3]?.accessLogGroup ?? '', httpEvents);

  // A stage that ships only execution logs: its execution findings are counted and alerted.
  seed += 1;
  const execOnlyId = uuid(seed);
  const execOnly = logsDocument(executionLogGroupName(EXEC_ONLY_API, 'v1'), [
    { timestamp: start + 1000, message: `(${execOnlyId}) Extended Request Id: UBuxiEZSIAMFQ1Q=` },
    {
      timestamp: start + 1001,
      message: `(${execOnlyId}) Verifying Usage Plan for request: ${execOnlyId}. API Key: **********************************gE96dR API Stage: ${EXEC_ONLY_API}/v1`,
    },
    {
      timestamp: start + 1002,
      message: `(${execOnlyId}) API Key **********************************gE96dR not authorized because method 'GET /' requires API Key and API Key is not associated with a Usage Plan for API Stage ${EXEC_ONLY_API}/v1: API Stage is not in a Usage Plan`,
    },
    { timestamp: start + 1003, message: `(${execOnlyId}) Method completed with status: 403` },
  ]);
  count('INVALID_API_KEY', 1);

  // Wave 2 (minute 3, the first window: escalated, inside realertMinutes) and wave 3 (minute 20,
  // ongoing): the key incident goes on, counted, alerted once as new.
  const prodLater = accessDocument(REST_API, 'prod', 3, [
    {
      category: 'INVALID_API_KEY',
      count: 30,
      fields: {
        ...gateway('INVALID_API_KEY', 'Forbidden'),
        identity: { userAgent: HOSTILE.userAgent, apiKeyId: 'k7x2q9w8e1' },
      },
    },
  ]);
  const prodLast = accessDocument(REST_API, 'prod', 20, [
    {
      category: 'INVALID_API_KEY',
      count: 5,
      fields: { ...gateway('INVALID_API_KEY', 'Forbidden'), identity: { apiKeyId: 'k7x2q9w8e1' } },
    },
  ]);
  const laterExecution = [...prodLater.events, ...prodLast.events].flatMap((event) =>
    executionLines(event.requestId, event.category, event.timestamp),
  );
  const executionGroup = executionLogGroupName(REST_API, 'prod');

  return {
    deliveries: [
      // Execution lines may arrive before the access lines: they are evidence only for this stage.
      {
        label: `${REST_API}/prod execution log`,
        minute: 0,
        document: logsDocument(executionGroup, prodExecution, '072b030ba126b2f4b2374f342be9ed44'),
      },
      { label: `${REST_API}/prod access log`, minute: 1, document: prod.document },
      { label: `${REST_API}/staging access log`, minute: 1, document: staging.document },
      { label: `${OTHER_REST_API}/dev access log`, minute: 1, document: dev.document },
      { label: `${HTTP_API}/$default access log (CLF)`, minute: 1, document: httpApi },
      { label: `${EXEC_ONLY_API}/v1 execution log only`, minute: 1, document: execOnly },
      { label: `${REST_API}/prod access log, 2 minutes later`, minute: 3, document: prodLater.document },
      { label: `${REST_API}/prod access log, 20 minutes later`, minute: 20, document: prodLast.document },
    ],
    executionLogs: [{ logGroup: executionGroup, events: [...prodExecution, ...laterExecution] }],
    sent,
  };
}

/** The execution lines API Gateway writes for a request of each kind (evidence §1.2). */
function executionLines(requestId: string, category: Category, timestamp: number) {
  const line = (offset: number, text: string) => ({
    timestamp: timestamp + offset,
    message: `(${requestId}) ${text}`,
  });
  const head = line(1, 'Extended Request Id: A463pHJGPHcEQGQ=');
  switch (category) {
    case 'INVALID_API_KEY':
      return [
        head,
        line(
          2,
          `Verifying Usage Plan for request: ${requestId}. API Key: **********************************ReKPrb API Stage: ${REST_API}/prod`,
        ),
        line(
          3,
          `API Key **********************************ReKPrb not authorized because method 'GET /orders' requires API Key and API Key is not associated with a Usage Plan for API Stage ${REST_API}/prod: No Usage Plan found for key and API Stage`,
        ),
        line(4, 'Method completed with status: 403'),
      ];
    case 'AUTHORIZER_EXPLICIT_DENY':
      return [
        head,
        line(2, `Starting authorizer: 62mgrc for request: ${requestId}`),
        line(
          3,
          `Authorizer result body before parsing: {"principalId":"user-42","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Deny","Resource":["arn:aws:execute-api:us-east-1:123456789012:${REST_API}/prod/*/*"]}]}}`,
        ),
        line(4, 'The client is not authorized to perform this operation.'),
      ];
    case 'INTEGRATION_403':
      return [
        head,
        line(2, 'Received response. Status: 403, Integration latency: 19 ms'),
        line(3, 'Endpoint response body before transformations: {"message":"Forbidden"}'),
        line(4, 'Method completed with status: 403'),
      ];
    default:
      return [head];
  }
}
