import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTriage } from '../../cli/commands/triage.js';
import { type AwsPeers, captureIo, startAwsPeers } from '../../cli/peers/aws-env.js';
import { recommendedAccessLogFormat } from '../../lambda/core/index.js';

const API = 'a1b2c3d4e5';
const STAGE = 'prod';
const ACCESS_GROUP = '/aws/apigateway/a1b2c3d4e5/prod';
const EXECUTION_GROUP = `API-Gateway-Execution-Logs_${API}/${STAGE}`;
const NOW = Date.now();
let peers: AwsPeers;

/** An access line in the recommended format's nesting, filled like the evidence file's A1/A2 lines. */
function accessLine(fields: {
  requestId: string;
  status: string;
  responseType?: string;
  message?: string;
  integrationStatus?: string;
  waf?: string;
}) {
  return JSON.stringify({
    requestId: fields.requestId,
    extendedRequestId: `${fields.requestId.slice(0, 8)}=`,
    apiId: API,
    stage: STAGE,
    httpMethod: 'GET',
    resourcePath: '/PythonResource',
    path: '/prod/PythonResource',
    status: fields.status,
    error: { responseType: fields.responseType ?? '-', message: fields.message ?? '-' },
    integration: { status: fields.integrationStatus ?? '-' },
    wafResponseCode: fields.waf ?? '-',
    identity: { sourceIp: '76.33.40.125', userAgent: 'curl/8.10.1', apiKeyId: '-' },
  });
}

beforeAll(async () => {
  peers = await startAwsPeers({ logsPageSize: 3 });
  peers.apiGateway.addRestApi({ id: API });
  peers.apiGateway.addStage(API, {
    stageName: STAGE,
    accessLogSettings: {
      destinationArn: `arn:aws:logs:us-east-1:123456789012:log-group:${ACCESS_GROUP}`,
      format: recommendedAccessLogFormat('rest'),
    },
    methodSettings: { '*/*': { loggingLevel: 'INFO' } },
  });
  const t = NOW - 60_000;
  peers.logs.putLogEvents(ACCESS_GROUP, 'a', [
    ...['w1', 'w2', 'w3', 'w4'].map((id, i) => ({
      timestamp: t + i,
      message: accessLine({
        requestId: `${id}-e960-4d89-ade7-39a0bf8f6740`,
        status: '403',
        responseType: 'WAF_FILTERED',
        message: 'Forbidden',
        waf: 'WAF_BLOCK',
      }),
    })),
    {
      timestamp: t + 5,
      message: accessLine({
        requestId: 'b1-e960-4d89-ade7-39a0bf8f6740',
        status: '403',
        integrationStatus: '403',
      }),
    },
    { timestamp: t + 6, message: accessLine({ requestId: 'ok-e960-4d89-ade7-39a0bf8f6740', status: '200' }) },
    {
      timestamp: t + 7,
      message: accessLine({
        requestId: 'k1-e960-4d89-ade7-39a0bf8f6740',
        status: '403',
        responseType: 'INVALID_API_KEY',
        message: 'Forbidden',
      }),
    },
    {
      timestamp: NOW - 3 * 86_400_000,
      message: accessLine({
        requestId: 'old-e960-4d89-ade7-39a0bf8f6740',
        status: '403',
        responseType: 'WAF_FILTERED',
        message: 'Forbidden',
      }),
    },
  ]);
  // E1/E2/E4/E5-style execution lines for the INVALID_API_KEY request (evidence §1.2 A, §1.4 d).
  const rid = 'k1-e960-4d89-ade7-39a0bf8f6740';
  peers.logs.putLogEvents(EXECUTION_GROUP, '072b030ba126b2f4b2374f342be9ed44', [
    { timestamp: t + 7, message: `(${rid}) Extended Request Id: UBuxiEZSIAMFQ1Q=` },
    {
      timestamp: t + 7,
      message: `(${rid}) Verifying Usage Plan for request: ${rid}. API Key: **********************************ReKPrb API Stage: ${API}/${STAGE}`,
    },
    {
      timestamp: t + 8,
      message: `(${rid}) API Key **********************************ReKPrb not authorized because method 'GET /PythonResource' requires API Key and API Key is not associated with a Usage Plan for API Stage ${API}/${STAGE}: No Usage Plan found for key and API Stage`,
    },
    { timestamp: t + 8, message: `(${rid}) Method completed with status: 403` },
  ]);
});

afterAll(async () => {
  await peers?.close();
});

describe('apigw403 triage', () => {
  it('reads both groups with 403-only patterns, page by page, through one throttling error', async () => {
    peers.logs.failNext('FilterLogEvents', 1, 'ThrottlingException');
    const before = peers.logs.requests.length;
    const io = captureIo();
    const code = await runTriage({ api: API, stage: STAGE, since: '24h', output: 'json' }, io, { now: NOW });
    expect(code, io.err()).toBe(0);
    const report = JSON.parse(io.out());
    const byCategory = Object.fromEntries(
      (report.groups as { category: string; count: number }[]).map((group) => [group.category, group.count]),
    );
    expect(byCategory).toEqual({ WAF_FILTERED: 4, INTEGRATION_403: 1, INVALID_API_KEY: 1 });
    const keyFinding = report.findings.find(
      (finding: { category: string }) => finding.category === 'INVALID_API_KEY',
    );
    expect(keyFinding.reason).toBe('key-not-in-usage-plan');
    const calls = peers.logs.requests.slice(before).filter((request) => request.target === 'FilterLogEvents');
    const accessCalls = calls.filter((call) => call.body.logGroupName === ACCESS_GROUP);
    // 6 in-window 403 lines at 3 per page: 2 pages, the first asked twice (throttled, then retried).
    expect(accessCalls).toHaveLength(3);
    expect(accessCalls[0]?.body).toMatchObject({ startTime: NOW - 86_400_000, endTime: NOW });
    expect(String(accessCalls[0]?.body.filterPattern)).toMatch(
      /^\{ \$\.status = "403" \|\| \$\.status = 403 \|\| \$\.error\.responseType = "ACCESS_DENIED"/,
    );
    expect(accessCalls[2]?.body.nextToken).toEqual(expect.any(String));
    const executionCall = calls.find((call) => call.body.logGroupName === EXECUTION_GROUP);
    expect(executionCall?.body.filterPattern).toBe(
      '?"status: 403" ?"not authorized" ?"Access denied" ?"Authorizer result body" ?"Received response. Status: 403" ?"Starting authorizer"',
    );
    expect(peers.apiGateway.requestsFor('GetStage')[0]?.path).toBe(`/restapis/${API}/stages/${STAGE}`);
  });

  it('prints the classify summary and, on a terminal, a chart and progress', async () => {
    const io = captureIo(true);
    expect(await runTriage({ api: API, stage: STAGE, since: '24h', output: 'table' }, io, { now: NOW })).toBe(
      0,
    );
    expect(io.out()).toContain('WAF_FILTERED');
    expect(io.out()).toMatch(/WAF_FILTERED\s+█{40} 4/);
    expect(io.err()).toMatch(/\r\/aws\/apigateway\/a1b2c3d4e5\/prod: 3 events, 1 pages/);
  });

  it('prints what was read so far when interrupted', async () => {
    const controller = new AbortController();
    const io = captureIo();
    const tty = {
      ...io,
      stderrIsTTY: true,
      stderr: (text: string) => {
        io.stderr(text);
        if (text.includes('1 pages')) controller.abort();
      },
    };
    const code = await runTriage({ api: API, stage: STAGE, since: '24h', output: 'jsonl' }, tty, {
      now: NOW,
      signal: controller.signal,
    });
    expect(code).toBe(130);
    expect(io.err()).toContain('interrupted; showing the 3 events read so far');
    expect(io.out().trim().split('\n')).toHaveLength(3);
  });

  it('says when the stage does not exist, and that retrying will not help', async () => {
    const io = captureIo();
    expect(await runTriage({ api: API, stage: 'nope', since: '1h', output: 'table' }, io)).toBe(1);
    expect(io.err()).toContain('stage nope not found');
  });

  it('an HTTP API stage without access logging is an error with the fix, not an empty read', async () => {
    peers.apiGateway.addHttpApi({ apiId: 'h1h2h3h4h5' });
    peers.apiGateway.addHttpStage('h1h2h3h4h5', { stageName: '$default' });
    const io = captureIo();
    expect(await runTriage({ api: 'h1h2h3h4h5', stage: '$default', since: '1h', output: 'table' }, io)).toBe(
      1,
    );
    expect(io.out()).toBe('');
    expect(io.err()).toBe(
      "apigw403 triage: HTTP API h1h2h3h4h5 stage $default has no access logging, so it has no 403s to read: turn it on (`apigw403 doctor --api h1h2h3h4h5 --stage '$default'` prints the command), or give --access-log-group\n",
    );
  });

  it('an access log group that does not exist is an error with the fix', async () => {
    const io = captureIo();
    const code = await runTriage(
      { api: API, stage: STAGE, since: '1h', output: 'table', accessLogGroup: '/aws/apigateway/typo' },
      io,
    );
    expect(code).toBe(1);
    expect(io.out()).toBe('');
    expect(io.err()).toBe(
      'apigw403 triage: access log group /aws/apigateway/typo does not exist: check --access-log-group\n',
    );
    peers.apiGateway.addRestApi({ id: 'g1g2g3g4g5' });
    peers.apiGateway.addStage('g1g2g3g4g5', {
      stageName: 'prod',
      accessLogSettings: {
        destinationArn: 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/g1g2g3g4g5/prod',
        format: recommendedAccessLogFormat('rest'),
      },
    });
    const deleted = captureIo();
    expect(await runTriage({ api: 'g1g2g3g4g5', stage: 'prod', since: '1h', output: 'jsonl' }, deleted)).toBe(
      1,
    );
    expect(deleted.err()).toContain(
      'access log group /aws/apigateway/g1g2g3g4g5/prod does not exist: the stage logs to it but nothing was written yet, or it was deleted; `apigw403 doctor --api g1g2g3g4g5 --stage prod` prints the fix',
    );
  });

  it('rejects a bad --since as a usage error', async () => {
    const io = captureIo();
    expect(await runTriage({ api: API, stage: STAGE, since: 'yesterday', output: 'table' }, io)).toBe(2);
  });

  it('runs as a child process through the SDK endpoint variables', async () => {
    const { stdout } = await promisify(execFile)(
      'npx',
      ['tsx', 'cli/main.ts', 'triage', '--api', API, '--stage', STAGE, '--output', 'jsonl'],
      {
        env: { ...process.env, ...peers.env },
        timeout: 30_000,
      },
    );
    expect(
      stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).category)
        .sort(),
    ).toEqual([
      'INTEGRATION_403',
      'INVALID_API_KEY',
      'WAF_FILTERED',
      'WAF_FILTERED',
      'WAF_FILTERED',
      'WAF_FILTERED',
    ]);
  });
});
