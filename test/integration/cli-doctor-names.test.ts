/**
 * Names AWS returned (stage names, subscription filter names, the log groups named after a stage)
 * are printed by `apigw403 doctor` as AWS spells them, in its text, its JSON and the commands it
 * prints (attack findings 03 and 06): full redaction's entropy rule took ordinary names people and
 * CloudFormation give (`feat-AddUserOAuth2Login`, `Apigw403Monitor-FilterAccess-1X2Y3ZAbCdEf`) for
 * tokens and printed `[redacted]`, and a command naming `[redacted]` changes nothing. A name that
 * is a credential by its shape (an access key id) is still redacted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Check, runDoctor } from '../../cli/commands/doctor.js';
import { type AwsPeers, captureIo, startAwsPeers } from '../../cli/peers/aws-env.js';
import { recommendedAccessLogFormat, redact, redactName } from '../../lambda/core/index.js';
import { AWS_CLI_V2, pasteIntoBash } from '../fixtures/aws-cli.js';

const API = 'n4m3s5t6u7';
const arnOf = (group: string) => `arn:aws:logs:us-east-1:123456789012:log-group:${group}`;
const MONITOR_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:Apigw403Monitor-MonitorFunction-AbC123';
const OTHER_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:datadog';

/** Ordinary names full redaction takes for tokens (checked below, so the test cannot pass vacuously). */
const STAGE = 'feat-AddUserOAuth2Login';
const MONITOR_FILTER = 'Apigw403Monitor-FilterAccess-1X2Y3ZAbCdEf9';
const OTHER_FILTERS = ['Datadog-LogsForwarder-Q7xK2mP9vL4sT8', 'Splunk-Subscription-Rz3Wq8Nf5Kd2Hj7'];
/** A stage API Gateway accepts that is an access key id's shape: it stays redacted. */
const KEY_STAGE = 'AKIAIOSFODNN7EXAMPLE';

let peers: AwsPeers;

async function doctor(stage: string): Promise<{ code: number; checks: Check[]; text: string }> {
  const json = captureIo();
  const code = await runDoctor({ api: API, stage, monitorFunction: 'Apigw403Monitor', output: 'json' }, json);
  const text = captureIo();
  await runDoctor({ api: API, stage, monitorFunction: 'Apigw403Monitor', output: 'text' }, text);
  return { code, checks: (JSON.parse(json.out()) as { checks: Check[] }).checks, text: text.out() };
}

beforeAll(async () => {
  peers = await startAwsPeers();
  peers.apiGateway.addRestApi({ id: API });
  const group = `/aws/apigateway/${API}/${STAGE}`;
  peers.apiGateway.addStage(API, {
    stageName: STAGE,
    accessLogSettings: { destinationArn: arnOf(group), format: recommendedAccessLogFormat('rest') },
    methodSettings: { '*/*': { loggingLevel: 'ERROR' } },
  });
  peers.logs.createLogGroup(group);
  peers.logs.putSubscriptionFilter(group, MONITOR_FILTER, '{ $.status = "403" }', MONITOR_ARN);
  const execution = `API-Gateway-Execution-Logs_${API}/${STAGE}`;
  peers.logs.createLogGroup(execution);
  for (const name of OTHER_FILTERS) peers.logs.putSubscriptionFilter(execution, name, '', OTHER_ARN);
  peers.apiGateway.addStage(API, { stageName: KEY_STAGE, methodSettings: {} });
});

afterAll(async () => {
  await peers?.close();
});

describe('apigw403 doctor prints the names AWS returned', () => {
  it('the names are ones full redaction hides and redactName keeps', () => {
    for (const name of [STAGE, MONITOR_FILTER, ...OTHER_FILTERS]) {
      expect(redact(name)).not.toBe(name);
      expect(redactName(name)).toBe(name);
    }
  });

  it('stage and subscription filter names, as spelled, in the text and the JSON', async () => {
    const { checks, text } = await doctor(STAGE);
    const detail = (id: string) => checks.find((check) => check.id === id)?.detail;
    expect(detail('stage')).toBe(`REST API ${API}, stage ${STAGE}`);
    expect(detail('access-logging')).toContain(`/aws/apigateway/${API}/${STAGE}`);
    expect(detail('access-subscription')).toContain(`the monitor's filter ${MONITOR_FILTER} is subscribed`);
    for (const name of OTHER_FILTERS) expect(detail('execution-subscription')).toContain(`${name} -> `);
    expect(text).toContain(`[ok  ] stage: REST API ${API}, stage ${STAGE}\n`);
    expect(text).toContain(`the monitor's filter ${MONITOR_FILTER} is subscribed`);
    expect(text).toContain(`log group API-Gateway-Execution-Logs_${API}/${STAGE} exists`);
    for (const name of OTHER_FILTERS) expect(text).toContain(`${name} -> `);
    expect(text).toContain(`The monitor can classify ${API}/${STAGE}.`);
    expect(text).not.toContain('[redacted]');
  });

  it('the commands name the stage as spelled, and the AWS CLI applies them to it', async () => {
    const { checks } = await doctor(STAGE);
    const commands = checks.find((check) => check.id === 'execution-logging')?.commands ?? [];
    expect(commands).toHaveLength(1);
    expect(commands[0]).toContain(`--stage-name ${STAGE}`);
    await pasteIntoBash(commands, {
      binary: AWS_CLI_V2,
      logs: peers.logs.endpoint,
      apiGateway: peers.apiGateway.endpoint,
    });
    const after = await doctor(STAGE);
    expect(after.checks.find((check) => check.id === 'execution-logging')?.status).toBe('ok');
  });

  it('a stage shaped like an access key id stays redacted', async () => {
    const { checks, text } = await doctor(KEY_STAGE);
    expect(text).not.toContain(KEY_STAGE);
    expect(JSON.stringify(checks)).not.toContain(KEY_STAGE);
    expect(checks[0]?.detail).toBe(`REST API ${API}, stage [redacted]`);
  });
});
