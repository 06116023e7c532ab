/**
 * `apigw403 doctor` on a WebSocket API's stage: the format it prints is the WebSocket variant (a
 * WebSocket API takes no method, path or client-certificate variables), its command runs with the real
 * AWS CLI against the loopback servers, and doctor then finds the format complete.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Check, runDoctor } from '../../cli/commands/doctor.js';
import { type AwsPeers, captureIo, startAwsPeers } from '../../cli/peers/aws-env.js';
import { recommendedAccessLogFormat } from '../../lambda/core/index.js';
import { pasteIntoBash } from '../fixtures/aws-cli.js';
import { WS_API, WS_STAGE } from '../fixtures/websocket-lines.js';

let peers: AwsPeers;

beforeAll(async () => {
  peers = await startAwsPeers();
  peers.apiGateway.addWebSocketApi({ apiId: WS_API });
  peers.apiGateway.addHttpStage(WS_API, { stageName: WS_STAGE });
  // Any group names the account, as in a real account; doctor takes the account id from its ARN.
  peers.logs.createLogGroup('/aws/lambda/chat-connect');
});

afterAll(async () => {
  await peers?.close();
});

async function doctor(): Promise<Check[]> {
  const io = captureIo();
  await runDoctor({ api: WS_API, stage: WS_STAGE, monitorFunction: 'Apigw403Monitor', output: 'json' }, io);
  return (JSON.parse(io.out()) as { checks: Check[] }).checks;
}

describe('doctor on a WebSocket stage', () => {
  it('prints the WebSocket format, and the command sets it', async () => {
    const before = await doctor();
    // API Gateway's v2 API says WEBSOCKET in its protocol type: the stage line names it so.
    expect(before.find((check) => check.id === 'stage')?.detail).toBe(
      `WebSocket API ${WS_API}, stage ${WS_STAGE}`,
    );
    const logging = before.find((check) => check.id === 'access-logging');
    expect(logging?.status).toBe('fail');
    const commands = logging?.commands ?? [];
    const update = commands.find((command) => command.startsWith('aws apigatewayv2 update-stage'));
    expect(update).toContain('$context.connectionId');
    expect(update).not.toContain('$context.httpMethod');

    await pasteIntoBash(commands, { logs: peers.logs.endpoint, apiGateway: peers.apiGateway.endpoint });
    expect(peers.apiGateway.requestsFor('UpdateStageV2')).toHaveLength(1);

    const after = Object.fromEntries((await doctor()).map((check) => [check.id, check.status]));
    expect(after).toMatchObject({ 'access-logging': 'ok', 'access-log-format': 'ok' });
  });

  it('judges the HTTP variant on a WebSocket stage only by what a WebSocket API can log: no REST-only and no WAF field is asked for', async () => {
    peers.apiGateway.addHttpStage(WS_API, {
      stageName: 'legacy',
      accessLogSettings: {
        destinationArn: 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/chat-connect',
        format: recommendedAccessLogFormat('http'),
      },
    });
    const io = captureIo();
    await runDoctor({ api: WS_API, stage: 'legacy', monitorFunction: 'Apigw403Monitor', output: 'json' }, io);
    const format = (JSON.parse(io.out()) as { checks: Check[] }).checks.find(
      (check) => check.id === 'access-log-format',
    );
    expect(format?.status).toBe('ok');
    expect(format?.detail).not.toContain('$context.waf');
    expect(format?.detail).not.toContain('resourcePath');
  });
});

describe('doctor names the API type as API Gateway does', () => {
  it.each([
    ['an HTTP API', 'h1t2t3p4a5', false, 'HTTP'],
    ['a WebSocket API', 'w5s4o3c2k1', true, 'WebSocket'],
  ])('%s', async (_name, apiId, webSocket, label) => {
    if (webSocket) peers.apiGateway.addWebSocketApi({ apiId });
    else peers.apiGateway.addHttpApi({ apiId });
    peers.apiGateway.addHttpStage(apiId, { stageName: 'live' });
    const io = captureIo();
    await runDoctor({ api: apiId, stage: 'live', monitorFunction: 'Apigw403Monitor', output: 'text' }, io);
    expect(io.out()).toContain(`stage: ${label} API ${apiId}, stage live`);
    const missing = captureIo();
    await runDoctor(
      { api: apiId, stage: 'gone', monitorFunction: 'Apigw403Monitor', output: 'text' },
      missing,
    );
    expect(missing.out()).toContain(`${label} API ${apiId} has no stage gone`);
  });
});
