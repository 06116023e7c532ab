/**
 * A WebSocket API's 403s through the real monitor on the peers: one subscription delivery of its
 * access lines (shapes built from the documented WebSocket variables, `test/fixtures/websocket-lines.ts`)
 * alerts once per `$connect` cause, and every command those alerts print runs as printed with the real
 * AWS CLI (Debian's v2) against the loopback API Gateway server, answering about the `$connect` route.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiGatewayServer } from '../../cli/peers/api-gateway-server.js';
import { messageForProtocol, receiveAll } from '../../cli/peers/sns-delivery.js';
import { logsDocument, subscriptionEvent } from '../../cli/scenario/payload.js';
import type { AlertView } from '../../lambda/core/render/alert-view.js';
import { limited, pasteIntoBash } from '../fixtures/aws-cli.js';
import { MESSAGES } from '../fixtures/evidence.js';
import { useMonitorPeers } from '../fixtures/monitor-peers.js';
import {
  WS_API,
  WS_MESSAGES,
  WS_STAGE,
  webSocketLine,
  webSocketMessageLine,
} from '../fixtures/websocket-lines.js';

const GROUP = `/aws/apigateway/${WS_API}/${WS_STAGE}`;
const T0 = Date.UTC(2026, 11, 13, 10, 17, 47);
const CALLER = 'arn:aws:iam::123456789012:user/alice';

const peers = useMonitorPeers([
  { apiId: WS_API, stage: WS_STAGE, accessLogGroup: GROUP, executionLogs: false },
]);
let apiGateway: ApiGatewayServer;
let views: AlertView[] = [];

beforeAll(async () => {
  apiGateway = await ApiGatewayServer.start();
  apiGateway.addWebSocketApi(
    { apiId: WS_API, name: 'chat' },
    {
      routes: [
        { routeId: 'r0c0nn', routeKey: '$connect', authorizationType: 'CUSTOM', authorizerId: 'au7h01' },
        { routeId: 'r1mess', routeKey: 'sendmessage', authorizationType: 'NONE' },
        { routeId: 'r2disc', routeKey: '$disconnect', authorizationType: 'NONE' },
      ],
      authorizers: [
        {
          authorizerId: 'au7h01',
          authorizerType: 'REQUEST',
          name: 'connect-token',
          identitySource: ['route.request.querystring.token'],
          authorizerResultTtlInSeconds: 300,
        },
      ],
      integrations: [{ integrationId: 'in7e01', integrationType: 'AWS_PROXY' }],
    },
  );
  apiGateway.addHttpStage(WS_API, { stageName: WS_STAGE, deploymentId: 'dep001' });
});

afterAll(async () => {
  await apiGateway?.close();
});

/** Runs `commands` as a user pastes them into bash: `aws` is the Debian CLI on the loopback server. */
const paste = (commands: readonly string[]) =>
  pasteIntoBash(['export AWS_DEFAULT_OUTPUT=json', ...commands], { apiGateway: apiGateway.endpoint });

/** A printed check as the command it is: Slack escapes undone, the trailing `  (note)` dropped. */
function commandOf(check: string): string {
  return check
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&')
    .replace(/ {2}\(.*\)$/, '');
}

const viewOf = (category: string) => views.find((view) => view.category === category);

describe('a WebSocket API on the monitor', () => {
  it('alerts once per $connect cause, with the WebSocket rows and their apigatewayv2 checks', async () => {
    const lines = [
      webSocketLine({ requestId: 'c-1', 'error.message': MESSAGES.forbidden, 'authorizer.status': '403' }),
      webSocketLine({ requestId: 'c-2', 'error.message': MESSAGES.forbidden, 'authorizer.status': '403' }),
      webSocketLine({ requestId: 'c-3', 'error.message': MESSAGES.explicitDeny }),
      webSocketLine({
        requestId: 'c-4',
        'error.message': WS_MESSAGES.iamNotAuthorized,
        'identity.userArn': CALLER,
      }),
      webSocketMessageLine('sendmessage', { requestId: 'm-1', 'error.message': MESSAGES.forbidden }),
      webSocketLine({ requestId: 'c-5', status: '200' }),
    ];
    const handler = peers.createHandler({ now: () => T0 + 60_000, metrics: () => undefined });
    const summary = await handler(
      subscriptionEvent(
        logsDocument(
          GROUP,
          lines.map((message, index) => ({ timestamp: T0 + index, message })),
        ),
      ),
    );
    const alerted = summary.outcomes.filter((outcome) => outcome.action === 'alert');
    expect(alerted.map((outcome) => outcome.category).sort()).toEqual([
      'UNCLASSIFIED',
      'WEBSOCKET_CONNECT_AUTHORIZER_DENY',
      'WEBSOCKET_CONNECT_IAM_DENY',
    ]);

    const received = await receiveAll(peers.sqs, peers.local.queueUrls.all);
    views = received.map(
      ({ envelope }) => JSON.parse(messageForProtocol(envelope.Message, 'sqs')) as AlertView,
    );
    expect(received.map(({ envelope }) => envelope.MessageAttributes?.category?.Value).sort()).toEqual(
      alerted.map((outcome) => outcome.category).sort(),
    );

    const authorizer = viewOf('WEBSOCKET_CONNECT_AUTHORIZER_DENY');
    expect(authorizer).toMatchObject({ apiId: WS_API, stage: WS_STAGE, count: 3 });
    expect(authorizer?.title).toContain('$connect');
    expect(authorizer?.topPaths.map((top) => top.value)).toEqual(['$connect']);
    expect(authorizer?.checks[0]).toContain(
      `aws apigatewayv2 get-routes --api-id ${WS_API} --region us-east-1`,
    );
    expect(authorizer?.checks.join('\n')).toContain(`${WS_API}/${WS_STAGE}/$connect`);

    const iam = viewOf('WEBSOCKET_CONNECT_IAM_DENY');
    expect(iam?.count).toBe(1);
    expect(iam?.causes[0]).toMatch(/no execute-api:Connect action/);
    expect(iam?.checks.join('\n')).toContain('--action-names execute-api:Invoke');

    // A message event's Forbidden is no authorization failure; its checks are WebSocket ones all the same.
    const message = viewOf('UNCLASSIFIED');
    expect(message?.evidence.join('\n')).toContain('MESSAGE event');
    expect(message?.checks[0]).toContain(
      `aws apigatewayv2 get-stage --api-id ${WS_API} --stage-name ${WS_STAGE}`,
    );
    for (const view of views) expect(view.checks.join('\n')).not.toContain('--rest-api-id');
  });

  it('every apigatewayv2 command the alerts print runs with the AWS CLI and reads the $connect route', async () => {
    expect(views.length).toBe(3);
    const commands = views
      .flatMap((view) => view.checks)
      .map(commandOf)
      .filter((command) => command.startsWith('aws apigatewayv2 '));
    expect(new Set(commands.map((command) => command.split(' ')[2]))).toEqual(
      new Set(['get-routes', 'get-authorizers', 'get-stage']),
    );
    const before = apiGateway.requests.length;
    const outputs = await limited(
      2,
      commands.map((command) => () => paste([command])),
    );
    const served = apiGateway.requests.slice(before).map((request) => request.operation);
    expect(new Set(served)).toEqual(new Set(['GetRoutes', 'GetAuthorizersV2', 'GetStageV2']));
    const routeAnswers = outputs
      .filter((_, index) => commands[index]?.includes('get-routes'))
      .map(({ stdout }) => JSON.parse(stdout) as { RouteKey: string; AuthorizationType: string }[]);
    for (const answer of routeAnswers)
      expect(answer).toEqual([
        expect.objectContaining({ RouteKey: '$connect', AuthorizationType: 'CUSTOM' }),
      ]);
    const authorizers = outputs.find((_, index) => commands[index]?.includes('get-authorizers'));
    expect(JSON.parse(authorizers?.stdout ?? '{}').Items[0]).toMatchObject({
      AuthorizerId: 'au7h01',
      AuthorizerResultTtlInSeconds: 300,
    });
  });

  it('the IAM simulation it prints is a command the AWS CLI accepts, once its placeholders are filled', async () => {
    const simulate = viewOf('WEBSOCKET_CONNECT_IAM_DENY')
      ?.checks.map(commandOf)
      .find((command) => command.startsWith('aws iam simulate-principal-policy'));
    expect(simulate).toBeDefined();
    const filled = (simulate ?? '').replace('<caller-arn>', CALLER).replace('<account>', '123456789012');
    expect(filled).not.toMatch(/<[a-z-]+>/);
    // The loopback server is no IAM endpoint: the call fails there, after the CLI parsed every argument.
    const outcome = await paste([filled]).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code?: number; stderr?: string }) => ({ code: error.code ?? -1, stderr: error.stderr ?? '' }),
    );
    expect(outcome.stderr).not.toMatch(/usage:|Unknown options|the following arguments are required/i);
    expect(outcome.code).not.toBe(252);
    expect(outcome.code).not.toBe(0);
  });
});
