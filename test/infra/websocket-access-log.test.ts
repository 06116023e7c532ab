import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MONITOR_ENV } from '../../lambda/core/monitor-contract.js';
import { applyRecommendedAccessLogFormat, recommendedAccessLogFormat } from '../../lib/access-log-format.js';
import { Apigw403Monitor, type WatchedStage } from '../../lib/apigw-403-monitor.js';
import { accessLogFilterPattern, patternOptionsFor } from '../../lib/filter-patterns.js';

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

describe('watching a WebSocketStage', () => {
  // One app, one synth: a stage in the recommended format and one in a format that lacks the causes.
  let template: Template;
  let warnings: string[];
  beforeAll(() => {
    const stack = new Stack(new App(), 'Chat');
    const stageOf = (id: string, stageName: string) =>
      new apigwv2.WebSocketStage(stack, id, {
        webSocketApi: new apigwv2.WebSocketApi(stack, `${id}Api`),
        stageName,
        autoDeploy: true,
      });
    const production = stageOf('Production', 'production');
    applyRecommendedAccessLogFormat(production, new logs.LogGroup(stack, 'ChatLogs'));
    const legacy = stageOf('Legacy', 'legacy');
    (legacy.node.defaultChild as apigwv2.CfnStage).accessLogSettings = {
      destinationArn: new logs.LogGroup(stack, 'LegacyLogs').logGroupArn,
      format: '{"requestId":"$context.requestId","status":"$context.status"}',
    };
    const watchedStages: WatchedStage[] = [{ stage: production, executionLogs: true }, { stage: legacy }];
    new Apigw403Monitor(stack, 'Monitor', { watchedStages, alertEmails: ['ops@example.com'] });
    template = Template.fromStack(stack);
    warnings = Annotations.fromStack(stack)
      .findWarning('*', Match.anyValue())
      .map((warning) => `${warning.id} ${String(warning.entry.data)}`);
  });

  it('subscribes its access log, read from the stage, and names it, with its execution log, in the monitor environment', () => {
    template.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
      LogGroupName: {
        'Fn::Select': [
          6,
          { 'Fn::Split': [':', { 'Fn::GetAtt': [Match.stringLikeRegexp('^ChatLogs'), 'Arn'] }] },
        ],
      },
      FilterPattern: accessLogFilterPattern(patternOptionsFor(recommendedAccessLogFormat('websocket'))),
    });
    const [, monitor] =
      Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) =>
        id.startsWith('MonitorMonitorFunction'),
      ) ?? [];
    const watched = JSON.stringify(monitor?.Properties.Environment.Variables[MONITOR_ENV.watchedStages]);
    expect(watched).toContain('production');
    expect(watched).toContain('ProductionApi');
    expect(watched).toContain('\\"executionLogs\\":true');
  });

  it('checks each stage format with the WebSocket variables, not the HTTP ones', () => {
    expect(warnings.filter((warning) => warning.includes('/Production/'))).toEqual([]);
    const legacy = warnings.filter((warning) => warning.includes('/Legacy/')).join('\n');
    expect(legacy).toMatch(/Legacy\/Resource \(stage legacy\) logs a JSON access log/);
    expect(legacy).toContain('$context.error.message');
    expect(legacy).not.toContain('$context.httpMethod');
  });
});
