import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { applyRecommendedAccessLogFormat, recommendedAccessLogFormat } from '../../lib/access-log-format.js';

describe('applyRecommendedAccessLogFormat on a WebSocket stage', () => {
  it('puts the WebSocket variant on it, not the HTTP one a WebSocket API rejects', () => {
    const stack = new Stack(new App(), 'Chat');
    const api = new apigwv2.WebSocketApi(stack, 'Chat');
    const stage = new apigwv2.WebSocketStage(stack, 'Production', {
      webSocketApi: api,
      stageName: 'production',
      autoDeploy: true,
    });
    applyRecommendedAccessLogFormat(stage, new logs.LogGroup(stack, 'ChatLogs'));
    const format = recommendedAccessLogFormat('websocket');
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: 'production',
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ChatLogs'), 'Arn'] },
        Format: format,
      },
    });
    expect(format).toContain('$context.connectionId');
    expect(format).not.toContain('$context.httpMethod');
  });
});
