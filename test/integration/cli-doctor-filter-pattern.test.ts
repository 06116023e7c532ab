/**
 * doctor reads the monitor's subscription filter against the stage's access-log format: a filter that
 * is subscribed but selects none of the stage's 403 lines leaves the monitor silent, so doctor fails it
 * and names the settings to deploy with. Each stage here has the monitor's filter as the construct
 * deploys it, on the loopback API Gateway and CloudWatch Logs servers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Check, runDoctor } from '../../cli/commands/doctor.js';
import { type AwsPeers, captureIo, startAwsPeers } from '../../cli/peers/aws-env.js';
import { recommendedAccessLogFormat } from '../../lambda/core/index.js';
import { accessLogFilterPattern } from '../../lib/filter-patterns.js';
import { DEFAULT_CLF_FORMAT as DEFAULT_CLF, FLAT_REST_FORMAT as FLAT } from '../fixtures/access-formats.js';

const MONITOR_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:Apigw403Monitor-MonitorFunction-AbC123';
interface Case {
  readonly label: string;
  readonly api: string;
  readonly format: string;
  readonly pattern: string;
  readonly status: Check['status'];
  readonly fix?: string;
}

const CASES: readonly Case[] = [
  {
    label: 'a flat format under the default pattern',
    api: 'flatdefalt',
    format: FLAT,
    pattern: accessLogFilterPattern(),
    status: 'fail',
    fix: 'apis[].statusKey "statusCode" and apis[].responseTypeKey "responseType"',
  },
  {
    label: 'a flat format under the pattern its keys call for',
    api: 'flatkeysok',
    format: FLAT,
    pattern: accessLogFilterPattern({ statusKey: 'statusCode', responseTypeKey: 'responseType' }),
    status: 'ok',
  },
  {
    label: 'the console CLF format under the default JSON pattern',
    api: 'clfjsonpat',
    format: DEFAULT_CLF,
    pattern: accessLogFilterPattern(),
    status: 'fail',
    fix: 'apis[].accessLogFormat "text"',
  },
  {
    label: 'the console CLF format under the text pattern',
    api: 'clftextpat',
    format: DEFAULT_CLF,
    pattern: accessLogFilterPattern({ format: 'text' }),
    status: 'ok',
  },
  {
    label: 'the recommended format under the default pattern',
    api: 'recommendd',
    format: recommendedAccessLogFormat('rest'),
    pattern: accessLogFilterPattern(),
    status: 'ok',
  },
  {
    label: 'a pattern the evaluator cannot read (no guess)',
    api: 'regexpattn',
    format: FLAT,
    pattern: '%403%',
    status: 'ok',
  },
];

let peers: AwsPeers;

beforeAll(async () => {
  peers = await startAwsPeers();
  for (const { api, format, pattern } of CASES) {
    const group = `/aws/apigateway/${api}/prod`;
    peers.apiGateway.addRestApi({ id: api });
    peers.apiGateway.addStage(api, {
      stageName: 'prod',
      accessLogSettings: { destinationArn: `arn:aws:logs:us-east-1:123456789012:log-group:${group}`, format },
      methodSettings: { '*/*': { loggingLevel: 'INFO', metricsEnabled: true } },
    });
    peers.logs.createLogGroup(group);
    peers.logs.createLogGroup(`API-Gateway-Execution-Logs_${api}/prod`);
    peers.logs.putSubscriptionFilter(group, 'Apigw403Monitor-FilterAccess-1X2Y3Z', pattern, MONITOR_ARN);
  }
});

afterAll(async () => {
  await peers?.close();
});

describe('doctor checks the monitor filter selects the stage 403 lines', () => {
  it.each(CASES)('$label: access-subscription $status', async ({ api, status, fix }) => {
    const io = captureIo();
    const code = await runDoctor(
      { api, stage: 'prod', monitorFunction: 'Apigw403Monitor', output: 'json' },
      io,
    );
    const { checks } = JSON.parse(io.out()) as { checks: Check[] };
    const subscription = checks.find((check) => check.id === 'access-subscription');
    expect(subscription?.status, JSON.stringify(subscription)).toBe(status);
    if (status === 'fail') {
      expect(code).toBe(1);
      expect(subscription?.detail).toContain('selects no 403 line');
      expect(subscription?.fix).toContain(fix);
    }
  });
});
