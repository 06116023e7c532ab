/**
 * Every command `apigw403 doctor` prints runs as printed: each is run by bash with the real AWS CLI
 * (Debian's v2, and the pip-installed v1 where this machine has one) against the loopback API
 * Gateway and CloudWatch Logs servers, and doctor is run again to see the change it made.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Check, runDoctor } from '../../cli/commands/doctor.js';
import { type AwsPeers, captureIo, startAwsPeers } from '../../cli/peers/aws-env.js';
import { AWS_CLI_V2, awsCliV1, pasteIntoBash } from '../fixtures/aws-cli.js';

const run = promisify(execFile);
const DEFAULT_CLF =
  '$context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime] "$context.httpMethod $context.resourcePath $context.protocol" $context.status $context.responseLength $context.requestId $context.extendedRequestId';
const arnOf = (group: string) => `arn:aws:logs:us-east-1:123456789012:log-group:${group}`;
let peers: AwsPeers;

async function doctor(api: string, stage: string): Promise<{ code: number; checks: Check[]; text: string }> {
  const io = captureIo();
  const code = await runDoctor({ api, stage, monitorFunction: 'Apigw403Monitor', output: 'json' }, io);
  const text = captureIo();
  await runDoctor({ api, stage, monitorFunction: 'Apigw403Monitor', output: 'text' }, text);
  return { code, checks: (JSON.parse(io.out()) as { checks: Check[] }).checks, text: text.out() };
}

/** Runs the commands as a user pastes them into bash, `aws` being the CLI under test. */
const paste = (binary: string, commands: readonly string[]) =>
  pasteIntoBash(commands, { binary, logs: peers.logs.endpoint, apiGateway: peers.apiGateway.endpoint });

const statusOf = (checks: readonly Check[]) =>
  Object.fromEntries(checks.map((check) => [check.id, check.status]));
const commandsOf = (checks: readonly Check[], ids: readonly string[]) =>
  checks.filter((check) => ids.includes(check.id)).flatMap((check) => check.commands ?? []);

/** One broken REST stage, one REST stage with a console format, one HTTP API stage, per CLI version. */
function addStages(suffix: string): { rest: string; clf: string; http: string } {
  const rest = `rest${suffix}aaaaa`.slice(0, 10);
  const clf = `clf${suffix}bbbbbb`.slice(0, 10);
  const http = `http${suffix}cccccc`.slice(0, 10);
  peers.apiGateway.addRestApi({ id: rest });
  peers.apiGateway.addStage(rest, { stageName: 'prod', methodSettings: {} });
  peers.apiGateway.addRestApi({ id: clf });
  const clfGroup = `/aws/apigateway/${clf}/staging`;
  peers.apiGateway.addStage(clf, {
    stageName: 'staging',
    accessLogSettings: { destinationArn: arnOf(clfGroup), format: DEFAULT_CLF },
    methodSettings: { '*/*': { loggingLevel: 'ERROR' } },
  });
  peers.logs.createLogGroup(clfGroup);
  peers.logs.putSubscriptionFilter(
    clfGroup,
    'datadog',
    '',
    'arn:aws:lambda:us-east-1:123456789012:function:dd',
  );
  peers.logs.putSubscriptionFilter(
    clfGroup,
    "splunk's",
    '',
    'arn:aws:firehose:us-east-1:123456789012:deliverystream/s',
  );
  peers.apiGateway.addHttpApi({ apiId: http });
  peers.apiGateway.addHttpStage(http, { stageName: '$default' });
  return { rest, clf, http };
}

beforeAll(async () => {
  peers = await startAwsPeers();
});

afterAll(async () => {
  await peers?.close();
});

// Runs first: the account has no log group yet.
describe('doctor without any log group in the account', () => {
  it('asks STS for the account id in the command instead of printing a placeholder', async () => {
    peers.apiGateway.addRestApi({ id: 'zzzzzzzzzz' });
    peers.apiGateway.addStage('zzzzzzzzzz', { stageName: 'prod' });
    {
      const io = captureIo();
      await runDoctor(
        { api: 'zzzzzzzzzz', stage: 'prod', monitorFunction: 'Apigw403Monitor', output: 'json' },
        io,
      );
      const checks = (JSON.parse(io.out()) as { checks: Check[] }).checks;
      const [command] = commandsOf(checks, ['access-logging']).slice(-1);
      expect(command).toContain(
        `arn:aws:logs:us-east-1:'"$(aws sts get-caller-identity --query Account --output text)"':log-group:`,
      );
      // The shell joins the halves into one argument holding the account the caller is in.
      const { stdout } = await run('bash', [
        '-c',
        `aws() { echo 123456789012; }; printf '%s\\n' ${command?.split(' --patch-operations ')[1]}`,
      ]);
      expect(JSON.parse(stdout)[0].value).toBe(
        'arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/zzzzzzzzzz/prod',
      );
    }
  });
});

const v1 = awsCliV1();
const clis: [string, string][] = [
  ['v2 (Debian)', AWS_CLI_V2],
  ...(v1 ? [['v1 (pip)', v1] as [string, string]] : []),
];

describe('every fix doctor prints runs with the AWS CLI', () => {
  beforeAll(() => {
    // Any group names the account, as in a real account; doctor takes the account id from its ARN.
    peers.logs.createLogGroup('/aws/lambda/something');
  });

  // Both versions at once: each AWS CLI start costs about a second of CPU.
  it.concurrent.each(clis)('%s, and each makes the change it promises', async (_name, cli) => {
    const { rest, clf, http } = addStages(cli === AWS_CLI_V2 ? '2' : '1');
    const before = await Promise.all([
      doctor(rest, 'prod'),
      doctor(clf, 'staging'),
      doctor(http, '$default'),
    ]);
    const [restBefore, clfBefore, httpBefore] = before;
    expect(statusOf(restBefore.checks)).toMatchObject({
      'access-logging': 'fail',
      'execution-logging': 'warn',
    });
    expect(statusOf(clfBefore.checks)).toMatchObject({
      'access-log-format': 'fail',
      'execution-logging': 'warn',
      'access-subscription': 'fail',
    });
    expect(statusOf(httpBefore.checks)).toMatchObject({ 'access-logging': 'fail' });
    for (const { text } of before) expect(text).not.toMatch(/<[a-z-]+>/);
    const httpCommands = commandsOf(httpBefore.checks, ['access-logging']);
    expect(httpCommands.join('\n')).toContain('--log-group-name /aws/apigateway/');
    expect(httpCommands.join('\n')).not.toContain('/$default');

    const clfSlot = commandsOf(clfBefore.checks, ['access-subscription']);
    expect(clfSlot).toHaveLength(2);
    expect(clfSlot[0]).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(clfSlot[0]).toContain('--filter-name');
    await paste(cli, [
      ...commandsOf(restBefore.checks, ['access-logging', 'execution-logging']),
      ...commandsOf(clfBefore.checks, ['access-log-format', 'execution-logging']),
      clfSlot[1] as string,
      ...httpCommands,
    ]);

    const [restAfter, clfAfter, httpAfter] = await Promise.all([
      doctor(rest, 'prod'),
      doctor(clf, 'staging'),
      doctor(http, '$default'),
    ]);
    expect(statusOf(restAfter.checks)).toMatchObject({
      'access-logging': 'ok',
      'access-log-format': 'ok',
      'execution-logging': 'ok',
      'access-log-group': 'ok',
    });
    expect(statusOf(clfAfter.checks)).toMatchObject({
      'access-log-format': 'ok',
      'execution-logging': 'ok',
      'access-subscription': 'warn',
    });
    expect(statusOf(httpAfter.checks)).toMatchObject({
      'access-logging': 'ok',
      'access-log-format': 'ok',
      'access-log-group': 'ok',
    });
    expect(peers.logs.requestsFor('DescribeSubscriptionFilters').length).toBeGreaterThan(0);
  });
});
