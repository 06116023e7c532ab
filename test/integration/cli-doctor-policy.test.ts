import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../cli/commands/doctor.js';
import { type AwsPeers, captureIo, startAwsPeers } from '../../cli/peers/aws-env.js';
import { type LambdaServer, startLambdaServer } from '../../cli/peers/lambda-server.js';
import { recommendedAccessLogFormat } from '../../lambda/core/index.js';
import { NOISE_POLICY_ENV } from '../../lambda/core/noise-policy.js';
import { plainTempDir } from '../fixtures/temp-dir.js';

const FUNCTION = 'apigw403-monitor-function';
const POLICY = {
  categories: {
    WAF_FILTERED: { action: 'digest' },
    INVALID_API_KEY: { action: 'page', quietPeriodMinutes: 90 },
  },
  overrides: [{ stage: 'prod', category: 'INVALID_API_KEY', escalationFactor: 3, notifyResolved: true }],
  mute: [
    { userAgentContains: 'zgrab', reason: 'scanner' },
    { sourceIp: '203.0.113.0/24', stage: 'test' },
    { pathPrefix: '/wp-admin', category: 'WAF_FILTERED' },
  ],
  digestSchedule: 'cron(0 7 ? * MON-FRI *)',
  digestTimezone: 'Europe/Paris',
};
let peers: AwsPeers;
let lambda: LambdaServer;
let dir: string;

beforeAll(async () => {
  peers = await startAwsPeers();
  lambda = await startLambdaServer({}, { [FUNCTION]: { [NOISE_POLICY_ENV]: JSON.stringify(POLICY) } });
  process.env.AWS_ENDPOINT_URL_LAMBDA = lambda.endpoint;
  peers.apiGateway.addRestApi({ id: 'a1b2c3d4e5' });
  peers.apiGateway.addStage('a1b2c3d4e5', {
    stageName: 'prod',
    accessLogSettings: {
      destinationArn: 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/a1b2c3d4e5/prod',
      format: recommendedAccessLogFormat('rest'),
    },
    methodSettings: { '*/*': { loggingLevel: 'INFO' } },
  });
  peers.logs.createLogGroup('/aws/apigateway/a1b2c3d4e5/prod');
  dir = plainTempDir('doctor-policy-');
});

afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_LAMBDA;
  await lambda?.close();
  await peers?.close();
});

const doctor = async (extra: { function?: string; config?: string }, output: 'text' | 'json' = 'json') => {
  const io = captureIo();
  const code = await runDoctor(
    { api: 'a1b2c3d4e5', stage: 'prod', monitorFunction: 'Apigw403Monitor', output, ...extra },
    io,
  );
  return { code, io, report: output === 'json' && io.out() ? JSON.parse(io.out()) : undefined };
};

type Row = {
  category: string;
  action: string;
  quietPeriodMinutes: number;
  escalationFactor: number;
  notifyResolved: boolean;
  mute: { reason?: string }[];
};

describe('apigw403 doctor: the noise policy', () => {
  it("shows the deployed function's policy per category, with the mute rules that apply to the stage", async () => {
    const { code, report, io } = await doctor({ function: FUNCTION });
    expect(code, io.err()).toBe(0);
    expect(lambda.invocations).toEqual([]);
    const rows = Object.fromEntries((report.policy.categories as Row[]).map((row) => [row.category, row]));
    expect(report.policy.source).toBe(`function ${FUNCTION}`);
    expect(rows.WAF_FILTERED).toMatchObject({ action: 'digest', quietPeriodMinutes: 1440 });
    // Category, then the prod override: later settings win key by key.
    expect(rows.INVALID_API_KEY).toMatchObject({
      action: 'page',
      quietPeriodMinutes: 90,
      escalationFactor: 3,
      notifyResolved: true,
    });
    expect(rows.ROUTE_NOT_FOUND).toMatchObject({
      action: 'alert',
      escalationFactor: 5,
      notifyResolved: false,
    });
    // zgrab everywhere, /wp-admin for WAF only; the 203.0.113.0/24 rule is the test stage's.
    expect(rows.WAF_FILTERED?.mute).toEqual([POLICY.mute[0], POLICY.mute[2]]);
    expect(rows.ROUTE_NOT_FOUND?.mute).toEqual([POLICY.mute[0]]);
    expect(report.policy.digest).toEqual({
      enabled: true,
      schedule: 'cron(0 7 ? * MON-FRI *)',
      timezone: 'Europe/Paris',
    });
    expect(rows.INVALID_STAGE).toBeUndefined();
  });

  it('prints it as one line per category in text', async () => {
    const { code, io } = await doctor({ function: FUNCTION }, 'text');
    expect(code).toBe(0);
    expect(io.out()).toContain(`Noise policy (from function ${FUNCTION}):`);
    expect(io.out()).toMatch(
      / {2}INVALID_API_KEY +page {3}quiet 90m {3}escalates x3 and >= 20\/window · resolves after 1h, notify; muted: user agent ~ "zgrab" \(scanner\)\n/,
    );
    expect(io.out()).toContain('  digest: cron(0 7 ? * MON-FRI *) (Europe/Paris)');
  });

  it('reads a --config cdk.json instead, and stops with exit 2 on a bad one', async () => {
    const file = join(dir, 'cdk.json');
    writeFileSync(
      file,
      JSON.stringify({
        context: {
          apigw403: {
            apis: [
              { restApiId: 'a1b2c3d4e5', stage: 'prod', accessLogGroup: '/aws/apigateway/a1b2c3d4e5/prod' },
            ],
            alertEmails: ['ops@example.com'],
            noisePolicy: { action: 'digest', digest: false },
          },
        },
      }),
    );
    const { code, report } = await doctor({ config: file });
    expect(code).toBe(0);
    expect(report.policy.source).toBe(file);
    expect(new Set((report.policy.categories as Row[]).map((row) => row.action))).toEqual(
      new Set(['digest']),
    );
    expect(report.policy.digest.enabled).toBe(false);

    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ apis: [], noisePolicy: { quiet: 1 } }));
    const failed = await doctor({ config: bad });
    expect(failed.code).toBe(2);
    expect(failed.io.err()).toMatch(
      /^apigw403 doctor: --config .*bad\.json: apigw403\.apis: \[\] is not a non-empty list/,
    );
    expect(failed.io.err().trim().split('\n')).toHaveLength(1);
    const missing = await doctor({ config: join(dir, 'none.json') });
    expect([missing.code, missing.io.err().trim()]).toEqual([
      2,
      `apigw403 doctor: --config ${join(dir, 'none.json')}: no such file`,
    ]);
  });

  it('says why when the function is unknown or no source is given, and still checks the stage', async () => {
    const unknown = await doctor({ function: 'not-deployed' });
    expect(unknown.code).toBe(0);
    expect(unknown.report.policy.problem).toMatch(
      /^reading the configuration of function not-deployed failed: ResourceNotFoundException.*give --config cdk\.json instead$/,
    );
    const none = await doctor({});
    expect(none.report.policy.problem).toBe(
      'not shown: give --function NAME (the stack output MonitorFunctionName) or --config cdk.json',
    );
  });
});
