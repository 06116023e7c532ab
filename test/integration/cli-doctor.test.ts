import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../cli/commands/doctor.js';
import { type AwsPeers, captureIo, startAwsPeers } from '../../cli/peers/aws-env.js';
import { recommendedAccessLogFormat } from '../../lambda/core/index.js';

/** The REST console's default CLF format (evidence §2.2): no error fields. */
const DEFAULT_CLF =
  '$context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime] "$context.httpMethod $context.resourcePath $context.protocol" $context.status $context.responseLength $context.requestId $context.extendedRequestId';
const MONITOR_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:Apigw403Monitor-MonitorFunction-AbC123';
const DATADOG_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:datadog-forwarder';
const arnOf = (group: string) => `arn:aws:logs:us-east-1:123456789012:log-group:${group}`;
let peers: AwsPeers;

const doctor = async (api: string, stage: string) => {
  const io = captureIo();
  const code = await runDoctor({ api, stage, monitorFunction: 'Apigw403Monitor', output: 'json' }, io);
  return { code, io, report: io.out() ? JSON.parse(io.out()) : undefined };
};
const statusOf = (report: { checks: { id: string; status: string }[] }) =>
  Object.fromEntries(report.checks.map((check) => [check.id, check.status]));

beforeAll(async () => {
  peers = await startAwsPeers();
  const rest = (id: string, stage: string, group: string, format: string, loggingLevel = 'INFO') => {
    peers.apiGateway.addRestApi({ id });
    peers.apiGateway.addStage(id, {
      stageName: stage,
      accessLogSettings: { destinationArn: arnOf(group), format },
      methodSettings: { '*/*': { loggingLevel, metricsEnabled: true } },
    });
  };
  rest('a1b2c3d4e5', 'prod', '/aws/apigateway/a1b2c3d4e5/prod', recommendedAccessLogFormat('rest'));
  peers.logs.createLogGroup('/aws/apigateway/a1b2c3d4e5/prod');
  peers.logs.putSubscriptionFilter(
    '/aws/apigateway/a1b2c3d4e5/prod',
    'Apigw403Monitor-FilterAccess-1X2Y3Z',
    '{ $.status = "403" }',
    MONITOR_ARN,
  );
  peers.logs.putSubscriptionFilter('/aws/apigateway/a1b2c3d4e5/prod', 'datadog', '', DATADOG_ARN);
  peers.logs.createLogGroup('API-Gateway-Execution-Logs_a1b2c3d4e5/prod');
  peers.logs.putSubscriptionFilter('API-Gateway-Execution-Logs_a1b2c3d4e5/prod', 'datadog', '', DATADOG_ARN);
  peers.logs.putSubscriptionFilter(
    'API-Gateway-Execution-Logs_a1b2c3d4e5/prod',
    'splunk',
    '',
    'arn:aws:firehose:us-east-1:123456789012:deliverystream/splunk',
  );

  rest('i01t0vftre', 'staging', '/aws/apigateway/i01t0vftre/staging', DEFAULT_CLF, 'ERROR');
  peers.logs.createLogGroup('/aws/apigateway/i01t0vftre/staging');
  peers.logs.putSubscriptionFilter('/aws/apigateway/i01t0vftre/staging', 'datadog', '', DATADOG_ARN);
  peers.logs.putSubscriptionFilter('/aws/apigateway/i01t0vftre/staging', 'splunk', '', DATADOG_ARN);

  peers.apiGateway.addHttpApi({ apiId: 'd2zxhf2ieg' });
  peers.apiGateway.addHttpStage('d2zxhf2ieg', {
    stageName: '$default',
    defaultRouteSettings: { detailedMetricsEnabled: false },
  });
});

afterAll(async () => {
  await peers?.close();
});

describe('apigw403 doctor', () => {
  it('passes a well set-up REST stage, counting filter slots, through one throttling error', async () => {
    peers.logs.failNext('DescribeSubscriptionFilters', 1);
    const { code, report, io } = await doctor('a1b2c3d4e5', 'prod');
    expect(code, io.err()).toBe(0);
    expect(statusOf(report)).toEqual({
      stage: 'ok',
      'access-logging': 'ok',
      'access-log-format': 'ok',
      'execution-logging': 'ok',
      'access-log-group': 'ok',
      'access-subscription': 'ok',
      'execution-log-group': 'ok',
      'execution-subscription': 'warn',
    });
    const execution = report.checks.find((check: { id: string }) => check.id === 'execution-subscription');
    expect(execution.detail).toContain('2 of 2 subscription filter slots used');
    const describeCalls = peers.logs.requestsFor('DescribeSubscriptionFilters');
    expect(describeCalls[0]?.body).toEqual({ logGroupName: '/aws/apigateway/a1b2c3d4e5/prod' });
    expect(peers.logs.requestsFor('DescribeLogGroups')[0]?.body).toEqual({
      logGroupNamePrefix: '/aws/apigateway/a1b2c3d4e5/prod',
    });
  });

  it('fails a default CLF format, naming the missing fields and printing the format to set', async () => {
    const io = captureIo();
    const code = await runDoctor(
      { api: 'i01t0vftre', stage: 'staging', monitorFunction: 'Apigw403Monitor', output: 'text' },
      io,
    );
    expect(code).toBe(1);
    expect(io.out()).toMatch(/\[FAIL\] access-log-format: .*\$context\.error\.responseType/);
    // JSON patch operations: the shorthand syntax cannot hold the format's quotes and commas.
    expect(io.out()).toContain(
      `{"op":"replace","path":"/accessLogSettings/format","value":${JSON.stringify(recommendedAccessLogFormat('rest'))}}]'`,
    );
    expect(io.out()).toMatch(/\[warn\] execution-logging: execution logging at ERROR/);
    expect(io.out()).toMatch(/\[FAIL\] access-subscription: no filter to the monitor .* 2 of 2/);
    expect(io.out()).toContain('The monitor cannot classify i01t0vftre/staging');
  });

  it('fails an HTTP API stage without access logging, with the apigatewayv2 fix', async () => {
    const { code, report } = await doctor('d2zxhf2ieg', '$default');
    expect(code).toBe(1);
    expect(statusOf(report)).toEqual({ stage: 'ok', 'access-logging': 'fail' });
    expect(report.checks[1].commands).toEqual([
      'aws logs create-log-group --log-group-name /aws/apigateway/d2zxhf2ieg/default --region us-east-1',
      expect.stringContaining(
        `aws apigatewayv2 update-stage --api-id d2zxhf2ieg --stage-name '$default' --region us-east-1 --access-log-settings '{"DestinationArn":"arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/d2zxhf2ieg/default",`,
      ),
    ]);
    expect(peers.apiGateway.requestsFor('GetStageV2').at(-1)?.path).toBe(
      '/v2/apis/d2zxhf2ieg/stages/%24default',
    );
  });

  it('says when the stage does not exist', async () => {
    const { code, report } = await doctor('a1b2c3d4e5', 'Prod');
    expect(code).toBe(1);
    expect(report.checks[0]).toMatchObject({ id: 'stage', status: 'fail' });
  });

  it('--version prints the package version (exit 0), a bad option is a usage error (exit 2)', async () => {
    const run = promisify(execFile);
    const { stdout } = await run('node', ['cli/bin.js', '--version'], { timeout: 30_000 });
    expect(stdout).toBe(`${JSON.parse(readFileSync('package.json', 'utf8')).version}\n`);
    await expect(
      run('node', ['cli/bin.js', 'classify', '--output', 'xml', 'x'], { timeout: 30_000 }),
    ).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("error: option '-o, --output <format>' argument 'xml' is invalid"),
    });
  });

  it('runs as a child process and exits non-zero when the monitor cannot classify', async () => {
    const run = promisify(execFile)(
      'npx',
      ['tsx', 'cli/main.ts', 'doctor', '--api', 'i01t0vftre', '--stage', 'staging'],
      {
        env: { ...process.env, ...peers.env },
        timeout: 30_000,
      },
    );
    await expect(run).rejects.toMatchObject({
      code: 1,
      stdout: expect.stringContaining('[FAIL] access-log-format'),
    });
  });
});
