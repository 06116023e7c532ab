import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExplain } from '../../cli/commands/explain.js';
import { type AwsPeers, captureIo, startAwsPeers } from '../../cli/peers/aws-env.js';
import { recommendedAccessLogFormat } from '../../lambda/core/index.js';

const CURL = 'test/fixtures/explain/waf-block.curl.txt';
const HAR = 'test/fixtures/explain/browser.har';
const WAF_API = '4lltecsznk';
const ACCESS_GROUP = '/aws/apigateway/4lltecsznk/prod';
const DOMAIN = 'api.timewarptravels.com';
const NOW = Date.now();
let peers: AwsPeers;

const base = { since: '24h', output: 'json' as const };

async function explainJson(options: Parameters<typeof runExplain>[0]) {
  const io = captureIo();
  const code = await runExplain(options, io, NOW);
  return { code, io, result: io.out() ? JSON.parse(io.out()) : undefined };
}

beforeAll(async () => {
  peers = await startAwsPeers({ apiGatewayPageSize: 1 });
  peers.apiGateway.addRestApi({ id: WAF_API });
  peers.apiGateway.addStage(WAF_API, {
    stageName: 'prod',
    webAclArn:
      'arn:aws:wafv2:us-west-2:015195098145:regional/webacl/taaops-lambda-waf-cf-waf01/093db73c-178f-4525-9411-0fac714569ef',
    accessLogSettings: {
      destinationArn: `arn:aws:logs:us-west-2:015195098145:log-group:${ACCESS_GROUP}:*`,
      format: recommendedAccessLogFormat('rest'),
    },
  });
  peers.apiGateway.addRestApi({ id: 'a1b2c3d4e5', disableExecuteApiEndpoint: true });
  peers.apiGateway.addStage('a1b2c3d4e5', { stageName: 'prod' });
  peers.apiGateway.addRestApi({ id: 'yb628s4k9t' });
  peers.apiGateway.addStage('yb628s4k9t', { stageName: 'main' });
  peers.apiGateway.addDomainName(
    { domainName: DOMAIN, mutualTlsAuthentication: { truststoreUri: 's3://truststore/bundle.pem' } },
    [
      { basePath: 'v0', restApiId: 'yb628s4k9t', stage: 'main' },
      { basePath: 'v1', restApiId: 'yb628s4k9t', stage: 'main' },
    ],
  );
  // The A1 access line (evidence §2.4) for the request id the curl capture shows.
  peers.logs.putLogEvents(ACCESS_GROUP, '891a9806c75fe6bfb98283b857441f2f', [
    {
      timestamp: NOW - 60_000,
      message: JSON.stringify({
        requestId: 'eed63f63-e960-4d89-ade7-39a0bf8f6740',
        extendedRequestId: 'A463pHJGPHcEQGQ=',
        apiId: WAF_API,
        stage: 'prod',
        httpMethod: 'GET',
        resourcePath: '/PythonResource',
        status: '403',
        error: { message: 'Forbidden', responseType: 'WAF_FILTERED' },
        wafResponseCode: 'WAF_BLOCK',
      }),
    },
  ]);
});

afterAll(async () => {
  await peers?.close();
});

describe('apigw403 explain, client side only', () => {
  it('reads a curl -v capture: Forbidden on execute-api stays ranked and low', async () => {
    const { code, result } = await explainJson({ ...base, curl: CURL });
    expect(code).toBe(0);
    expect(result).toMatchObject({
      category: 'DEFAULT_ENDPOINT_DISABLED',
      confidence: 'low',
      requestId: 'eed63f63-e960-4d89-ade7-39a0bf8f6740',
    });
    expect(result.candidates.map((candidate: { category: string }) => candidate.category)).toEqual(
      expect.arrayContaining(['WAF_FILTERED', 'INVALID_API_KEY', 'INVALID_STAGE']),
    );
    expect(peers.apiGateway.requests).toHaveLength(0);
  });

  it('explains every 403 entry of a HAR export and skips the rest', async () => {
    const { code, result } = await explainJson({ ...base, har: HAR });
    expect(code).toBe(0);
    expect(result.map((entry: { category: string }) => entry.category)).toEqual([
      'CORS_PREFLIGHT_REJECTED',
      'NO_BASE_PATH_MAPPING',
    ]);
  });

  it('takes the flags: error type, message and headers', async () => {
    const { result } = await explainJson({
      ...base,
      url: 'https://vpce-0123456789abcdef0-abcd1234.execute-api.us-east-1.vpce.amazonaws.com/prod/pets',
      errorType: 'ForbiddenException',
      message: 'Forbidden',
      header: ['Accept: */*'],
    });
    expect(result).toMatchObject({ category: 'PRIVATE_API_DNS', confidence: 'medium' });
  });

  it('prints a readable answer with the checks and how to settle it', async () => {
    const io = captureIo();
    expect(
      await runExplain(
        {
          since: '24h',
          output: 'text',
          url: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/x',
          message: 'Missing Authentication Token',
          errorType: 'MissingAuthenticationTokenException',
        },
        io,
        NOW,
      ),
    ).toBe(0);
    expect(io.out()).toMatch(/^403 GET https:\/\/a1b2c3d4e5/);
    expect(io.out()).toContain('Candidates, most likely first:');
    expect(io.out()).toContain('--aws');
  });

  it('explains a refused WebSocket handshake with the $connect rows and apigatewayv2 checks', async () => {
    const url = 'wss://w1s2o3c4k5.execute-api.us-east-1.amazonaws.com/production?token=opaque';
    const { code, result } = await explainJson({
      ...base,
      url,
      status: '403',
      header: ['Upgrade: websocket'],
    });
    expect(code).toBe(0);
    expect(result).toMatchObject({ category: 'WEBSOCKET_CONNECT_AUTHORIZER_DENY', stage: 'production' });
    expect(result.signals).toContain('websocket-api');
    const io = captureIo();
    expect(await runExplain({ since: '24h', output: 'text', url, status: '403' }, io, NOW)).toBe(0);
    expect(io.out()).toContain(
      'WEBSOCKET_CONNECT_AUTHORIZER_DENY: WebSocket $connect refused by its Lambda authorizer',
    );
    expect(io.out()).toContain('aws apigatewayv2 get-authorizers --api-id w1s2o3c4k5 --region us-east-1');
    expect(io.out()).not.toContain('--rest-api-id');
  });

  // The whole text passed redaction, which read the CLI's own `INCOMPLETE_SIGNATURE: Authorization
  // header …` as a key and its value: now only what the caller sent is redacted, value by value.
  it("redacts what the caller sent, not the category's own text", async () => {
    const io = captureIo();
    await runExplain(
      {
        since: '24h',
        output: 'text',
        url: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/x?access_token=abc123Secret\u001b[31m',
        errorType: 'IncompleteSignatureException',
        message: "Authorization header requires 'Credential' parameter. Authorization=Bearer abc123Secret",
        header: ['Authorization: Bearer abc123Secret'],
      },
      io,
      NOW,
    );
    expect(io.out()).toContain('INCOMPLETE_SIGNATURE: Authorization header is not a SigV4 signature');
    expect(io.out()).toContain('access_token=[redacted]');
    expect(io.out()).not.toContain('abc123Secret');
    expect(io.out()).not.toContain('\u001b');
  });

  it('exits 1 for an answer that is not a 403, 2 for conflicting inputs', async () => {
    expect(
      (
        await explainJson({
          ...base,
          url: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod',
          status: '401',
          message: 'Unauthorized',
        })
      ).code,
    ).toBe(1);
    expect((await explainJson({ ...base, curl: CURL, har: HAR })).code).toBe(2);
    expect((await explainJson({ ...base, curl: 'test/fixtures/explain/missing.txt' })).code).toBe(2);
  });
});

describe('apigw403 explain --aws', () => {
  it('settles a disabled default endpoint from GetRestApi, through one throttling error', async () => {
    peers.apiGateway.failNext('GetRestApi', 1);
    const before = peers.apiGateway.requestsFor('GetRestApi').length;
    const { result } = await explainJson({
      ...base,
      aws: true,
      url: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/orders',
      errorType: 'ForbiddenException',
      message: 'Forbidden',
    });
    expect(result).toMatchObject({ category: 'DEFAULT_ENDPOINT_DISABLED', confidence: 'high' });
    expect(peers.apiGateway.requestsFor('GetRestApi').length - before).toBe(2);
    expect(peers.apiGateway.requestsFor('GetStage').at(-1)?.path).toBe('/restapis/a1b2c3d4e5/stages/prod');
  });

  it("names the causes no stage logs when the request is not in the stage's logs", async () => {
    const { result } = await explainJson({
      ...base,
      aws: true,
      url: `https://${WAF_API}.execute-api.us-west-2.amazonaws.com/prod/PythonResource`,
      errorType: 'ForbiddenException',
      message: 'Forbidden',
      requestId: '00000000-0000-4000-8000-00000000dead',
    });
    const note = (result.notes as string[]).find((text) => text.includes('is not in the stage'));
    expect(note).toMatch(
      /PRIVATE_API_DNS, .*DEFAULT_ENDPOINT_DISABLED.* are answered before any stage logs the request$/,
    );
    expect(note).not.toMatch(/rows/);
  });

  it('settles a stage that does not exist', async () => {
    const { result } = await explainJson({
      ...base,
      aws: true,
      url: `https://${WAF_API}.execute-api.us-west-2.amazonaws.com/prd/PythonResource`,
      errorType: 'ForbiddenException',
      message: 'Forbidden',
    });
    expect(result).toMatchObject({ category: 'INVALID_STAGE', confidence: 'high' });
    expect(peers.apiGateway.requestsFor('GetStage').at(-1)?.path).toBe(`/restapis/${WAF_API}/stages/prd`);
  });

  it('settles a custom domain path no mapping matches, reading every mapping page', async () => {
    const { result } = await explainJson({
      ...base,
      aws: true,
      url: `https://${DOMAIN}/v2/booking-service`,
      errorType: 'ForbiddenException',
      message: 'Forbidden',
    });
    expect(result).toMatchObject({ category: 'NO_BASE_PATH_MAPPING', confidence: 'high' });
    const pages = peers.apiGateway.requestsFor('GetBasePathMappings').slice(-2);
    expect(pages.map((page) => page.query.position)).toEqual([undefined, '1']);
  });

  it('ranks mTLS first on a mapped mTLS domain', async () => {
    const { result } = await explainJson({
      ...base,
      aws: true,
      url: `https://${DOMAIN}/v1/booking-service`,
      errorType: 'ForbiddenException',
      message: 'Forbidden',
    });
    expect(result).toMatchObject({
      category: 'MTLS_CERTIFICATE_INVALID',
      apiId: 'yb628s4k9t',
      stage: 'main',
    });
  });

  it("looks the request id up in the stage's logs and lets them decide", async () => {
    const before = peers.logs.requestsFor('FilterLogEvents').length;
    const { result } = await explainJson({ ...base, aws: true, curl: CURL });
    expect(result).toMatchObject({ category: 'WAF_FILTERED', confidence: 'high' });
    expect(result.notes).toContain("request eed63f63-e960-4d89-ade7-39a0bf8f6740 found in the stage's logs");
    const lookups = peers.logs.requestsFor('FilterLogEvents').slice(before);
    expect(lookups[0]?.body).toMatchObject({
      logGroupName: ACCESS_GROUP,
      filterPattern: '"eed63f63-e960-4d89-ade7-39a0bf8f6740"',
    });
    expect(lookups.map((lookup) => lookup.body.logGroupName)).toContain(
      'API-Gateway-Execution-Logs_4lltecsznk/prod',
    );
  });

  it('runs as a child process through the SDK endpoint variables', async () => {
    const { stdout } = await promisify(execFile)(
      'npx',
      ['tsx', 'cli/main.ts', 'explain', '--curl', CURL, '--aws', '--output', 'json'],
      {
        env: { ...process.env, ...peers.env },
        timeout: 30_000,
      },
    );
    expect(JSON.parse(stdout)).toMatchObject({ category: 'WAF_FILTERED', confidence: 'high' });
  });
});
