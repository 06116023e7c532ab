import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AccessLogFormatCheck,
  applyRecommendedAccessLogFormat,
  jsonKeyPaths,
  patternOptionsFor,
  recommendedAccessLogFormat,
  recommendedRestAccessLogFormat,
} from '../../lib/access-log-format.js';
import { Apigw403Monitor, sharedPrefix } from '../../lib/apigw-403-monitor.js';
import { accessLogFilterPattern, executionLogFilterPattern } from '../../lib/filter-patterns.js';
import { type Json, joined, ofType } from './template-json.js';

const CLF =
  '$context.identity.sourceIp - - [$context.requestTime] "$context.httpMethod $context.routeKey $context.protocol" $context.status $context.responseLength $context.requestId';
const DEFAULT_JSON =
  '{ "requestId":"$context.requestId", "ip": "$context.identity.sourceIp", "httpMethod":"$context.httpMethod", "resourcePath":"$context.resourcePath", "httpStatus":"$context.status" }';

function restApi(stack: Stack, id: string) {
  const api = new apigateway.RestApi(stack, id, {
    cloudWatchRole: false,
    deployOptions: { stageName: 'prod' },
  });
  api.root.addMethod('GET', new apigateway.MockIntegration());
  return api;
}

/** One app holding the user's APIs and the monitor watching them, synthesized once. */
let stack: Stack;
let template: Template;
let json: Json;
let rest: apigateway.RestApi;
let restPlain: apigateway.RestApi;
let http: apigwv2.HttpApi;
let httpClf: apigwv2.HttpApi;
let warnings: ReturnType<Annotations['findWarning']>;

beforeAll(() => {
  const app = new App();
  stack = new Stack(app, 'UserApp');
  const accessLogs = new logs.LogGroup(stack, 'AccessLogs');
  rest = restApi(stack, 'Orders');
  applyRecommendedAccessLogFormat(rest, accessLogs);
  restPlain = restApi(stack, 'Legacy');
  const legacyStage = restPlain.deploymentStage.node.defaultChild as apigateway.CfnStage;
  legacyStage.accessLogSetting = {
    destinationArn: new logs.LogGroup(stack, 'LegacyLogs').logGroupArn,
    format: DEFAULT_JSON,
  };
  http = new apigwv2.HttpApi(stack, 'Catalog', {
    defaultIntegration: new HttpUrlIntegration('Backend', 'https://example.com'),
  });
  applyRecommendedAccessLogFormat(http, new logs.LogGroup(stack, 'CatalogLogs'));
  httpClf = new apigwv2.HttpApi(stack, 'Search', {
    defaultIntegration: new HttpUrlIntegration('Backend', 'https://example.com'),
  });
  (httpClf.defaultStage?.node.defaultChild as apigwv2.CfnStage).accessLogSettings = {
    destinationArn: new logs.LogGroup(stack, 'SearchLogs').logGroupArn,
    format: CLF,
  };
  const unlogged = restApi(stack, 'Unlogged');

  new Apigw403Monitor(stack, 'Monitor', {
    watchedStages: [
      { stage: rest.deploymentStage, executionLogs: true },
      { api: restPlain },
      { api: http },
      { stage: httpClf.defaultStage as apigwv2.IHttpStage, accessLogFormat: 'json' },
      { api: unlogged, accessLogGroup: accessLogs, accessLogFormat: 'json' },
    ],
    alertEmails: ['ops@example.com'],
  });
  template = Template.fromStack(stack);
  json = template.toJSON();
  warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue());
});

const filterOn = (logicalIdPrefix: string) =>
  ofType(json, 'AWS::Logs::SubscriptionFilter').find(([, r]) =>
    JSON.stringify(r.Properties.LogGroupName).includes(logicalIdPrefix),
  )?.[1].Properties;

describe('applyRecommendedAccessLogFormat', () => {
  it('puts the REST variant on a RestApi stage, and the HTTP variant on an HttpApi stage', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      RestApiId: { Ref: Match.stringLikeRegexp('^Orders') },
      AccessLogSetting: {
        DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AccessLogs'), 'Arn'] },
        Format: recommendedAccessLogFormat('rest'),
      },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      ApiId: { Ref: Match.stringLikeRegexp('^Catalog') },
      AccessLogSettings: { Format: recommendedAccessLogFormat('http') },
    });
    expect(recommendedRestAccessLogFormat().toString()).toBe(recommendedAccessLogFormat('rest'));
  });

  it('refuses an API without a stage', () => {
    const noStage = new apigwv2.HttpApi(new Stack(new App(), 'S'), 'Api', { createDefaultStage: false });
    expect(() =>
      applyRecommendedAccessLogFormat(noStage, logs.LogGroup.fromLogGroupName(noStage, 'G', 'g')),
    ).toThrow('has no stage to log');
  });
});

describe('watching stages of the same app', () => {
  it('reads the access log group from the stage and the filter from its format', () => {
    expect(filterOn('AccessLogs')?.FilterPattern).toBe(accessLogFilterPattern());
    expect(filterOn('LegacyLogs')?.FilterPattern).toBe('{ $.httpStatus = "403" || $.httpStatus = 403 }');
    expect(filterOn('CatalogLogs')?.FilterPattern).toBe(accessLogFilterPattern());
    expect(filterOn('SearchLogs')?.FilterPattern).toBe(accessLogFilterPattern());
  });

  it('subscribes one filter per distinct group; the REST stage has an access log, so its execution log is not subscribed', () => {
    const filters = ofType(json, 'AWS::Logs::SubscriptionFilter').map(([, r]) => r);
    expect(filters).toHaveLength(4);
    expect(filters.filter((f) => f.Properties.FilterPattern === executionLogFilterPattern())).toEqual([]);
  });

  it('gives each subscribed group its own invoke permission, whose source ARN is that group, even as tokens', () => {
    const permissions = ofType(json, 'AWS::Lambda::Permission').filter(
      ([, r]) => r.Properties.Principal === 'logs.amazonaws.com',
    );
    const filters = ofType(json, 'AWS::Logs::SubscriptionFilter');
    expect(permissions).toHaveLength(filters.length);
    for (const [, filter] of filters) {
      const ownPermission = permissions.filter(([id]) => filter.DependsOn.includes(id));
      expect(ownPermission).toHaveLength(1);
      const sourceArn = joined(ownPermission[0]?.[1].Properties.SourceArn);
      // The group's name (a token here) stands in the source ARN, before the `:*` IAM matches.
      expect(sourceArn).toBe(
        `arn:<{Ref:AWS::Partition}>:logs:<{Ref:AWS::Region}>:<{Ref:AWS::AccountId}>:log-group:${joined(filter.Properties.LogGroupName)}:*`,
      );
    }
  });
});

describe('AccessLogFormatCheck', () => {
  const warningsAt = (prefix: string) =>
    warnings.filter((w) => w.id.startsWith(`/UserApp/${prefix}`)).map((w) => String(w.entry.data));

  it('is quiet for a stage in the recommended format', () => {
    expect(warningsAt('Orders')).toEqual([]);
    expect(warningsAt('Catalog')).toEqual([]);
  });

  it('names the stage and the missing variables of an unclassifiable format', () => {
    const [legacy] = warningsAt('Legacy');
    expect(legacy).toMatch(/Legacy\/DeploymentStage\.prod\/Resource \(stage prod\) logs a JSON access log/);
    expect(legacy).toContain('missing: $context.error.message, $context.error.responseType');
    expect(warningsAt('Search').join('\n')).toContain('logs a CLF access log');
  });

  it('warns when the filter was told JSON but the stage logs text', () => {
    expect(warningsAt('Search').join('\n')).toContain(
      'but the monitor\'s filter expects JSON: set accessLogFormat to "text"',
    );
  });

  it('warns when a watched stage writes no access log', () => {
    expect(warningsAt('Unlogged').join('\n')).toContain('is watched but writes no access log');
  });

  it('leaves unwatched stages alone', () => {
    const app = new App();
    const other = new Stack(app, 'Other');
    const api = restApi(other, 'Api');
    (api.deploymentStage.node.defaultChild as apigateway.CfnStage).accessLogSetting = {
      destinationArn: 'arn:aws:logs:eu-west-1:123456789012:log-group:x',
      format: CLF,
    };
    new AccessLogFormatCheck([
      { kind: 'rest', apiId: 'a1b2c3d4e5', stageName: 'prod', accessLogWatched: true },
    ]).visit(api.deploymentStage.node.defaultChild as apigateway.CfnStage);
    expect(Annotations.fromStack(other).findWarning('*', Match.anyValue())).toEqual([]);
  });
});

describe('helpers', () => {
  it('finds the JSON key of each variable, nested or flat', () => {
    const paths = jsonKeyPaths(recommendedAccessLogFormat('rest'));
    expect(paths.get('status')).toBe('status');
    expect(paths.get('error.responseType')).toBe('error.responseType');
    expect(jsonKeyPaths(DEFAULT_JSON).get('status')).toBe('httpStatus');
    expect(jsonKeyPaths(CLF).size).toBe(0);
  });

  it('picks the filter settings a format calls for', () => {
    expect(patternOptionsFor(CLF)).toEqual({ format: 'text' });
    expect(patternOptionsFor(DEFAULT_JSON)).toEqual({
      format: 'json',
      statusKey: 'httpStatus',
      responseTypeKey: null,
    });
  });

  it('computes the shared log-group prefix for the invoke permission', () => {
    expect(sharedPrefix(['API-Gateway-Execution-Logs_a/prod', 'API-Gateway-Execution-Logs_b/test'])).toBe(
      'API-Gateway-Execution-Logs_',
    );
    expect(sharedPrefix(['/aws/apigateway/a', 'API-Gateway-Execution-Logs_a/prod'])).toBe('');
    expect(sharedPrefix(['/only/one'])).toBe('/only/one');
    expect(sharedPrefix([])).toBe('');
  });

  it('rejects a stage that watches nothing, and HTTP execution logs', () => {
    const scope = new Stack(new App(), 'Bad');
    expect(
      () => new Apigw403Monitor(scope, 'A', { watchedStages: [{ apiId: 'a1b2c3d4e5', stageName: 'prod' }] }),
    ).toThrow('watches nothing');
    expect(
      () =>
        new Apigw403Monitor(scope, 'B', {
          watchedStages: [{ apiId: 'a1b2c3d4e5', kind: 'http', stageName: '$default', executionLogs: true }],
        }),
    ).toThrow('HTTP APIs have no execution logs');
    expect(() => new Apigw403Monitor(scope, 'C', { watchedStages: [] })).toThrow('watchedStages is empty');
  });

  it('refuses the removed cooldown and minAlertCount props (from JavaScript too), naming what replaced them', () => {
    const scope = new Stack(new App(), 'Removed');
    const accessLogGroup = logs.LogGroup.fromLogGroupName(scope, 'Group', '/aws/apigateway/a1b2c3d4e5/prod');
    const watchedStages = [{ apiId: 'a1b2c3d4e5', stageName: 'prod', accessLogGroup }];
    // What a JavaScript caller (or a wider object) can still pass: TypeScript refuses the literal.
    const legacy = (extra: object) =>
      ({ watchedStages, ...extra }) as ConstructorParameters<typeof Apigw403Monitor>[2];
    expect(() => new Apigw403Monitor(scope, 'A', legacy({ cooldown: Duration.minutes(15) }))).toThrow(
      'Removed/A: the cooldown prop was removed: noisePolicy.realertMinutes (an escalated group alerts again after it) and noisePolicy.quietPeriodMinutes (a quiet group alerts as new after it) replace it',
    );
    expect(() => new Apigw403Monitor(scope, 'B', legacy({ minAlertCount: 1 }))).toThrow(
      /^Removed\/B: the minAlertCount prop was removed: noisePolicy\.escalationMinCount/,
    );
    expect(() => new Apigw403Monitor(scope, 'C', legacy({ cooldown: undefined }))).not.toThrow();
  });
});
