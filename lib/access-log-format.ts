/**
 * The access-log format the classifier reads best, a one-call way to put it on a stage of the user's
 * app, and a synth-time check (an Aspect) that warns when a watched stage logs in a format the monitor
 * cannot classify or its filter cannot select.
 */
import { Annotations, type IAspect, Stack, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';
import {
  type AccessLogApiKind,
  type ApiKind,
  analyzeAccessLogFormat,
  recommendedAccessLogFormat,
} from '../lambda/core/access-log-format.js';
import type { AccessLogFormatKind } from './filter-patterns.js';

export { jsonKeyPaths, patternOptionsFor } from './filter-patterns.js';
export { type ApiKind, analyzeAccessLogFormat, recommendedAccessLogFormat };

/** The recommended format as the `accessLogFormat` of a `RestApi`'s `deployOptions` or a `Stage`. */
export function recommendedRestAccessLogFormat(): apigateway.AccessLogFormat {
  return apigateway.AccessLogFormat.custom(recommendedAccessLogFormat('rest'));
}

/** Something that has (or is) one stage whose access log can be set. */
export type AccessLogTarget =
  | apigateway.RestApi
  | apigateway.Stage
  | apigwv2.HttpApi
  | apigwv2.HttpStage
  | apigwv2.WebSocketStage;

function cfnStageOf(target: AccessLogTarget): apigateway.CfnStage | apigwv2.CfnStage {
  const stage =
    target instanceof apigateway.RestApi
      ? target.deploymentStage
      : target instanceof apigwv2.HttpApi
        ? target.defaultStage
        : target;
  const child = stage?.node.defaultChild;
  if (child instanceof apigateway.CfnStage || child instanceof apigwv2.CfnStage) return child;
  throw new Error(
    `${target.node.path} has no stage to log: give a RestApi with deploy enabled, an HttpApi with a default stage, or the stage itself (a WebSocketStage for a WebSocket API)`,
  );
}

/**
 * Sends the stage's access log to `destination` in the recommended JSON format (REST, HTTP or WebSocket
 * variant: a WebSocket API rejects the HTTP variant's method, path and client-certificate variables).
 * A REST API also needs the account's API Gateway CloudWatch role (`cloudWatchRole: true` on one
 * `RestApi` of the account, or set once in the console).
 */
export function applyRecommendedAccessLogFormat(target: AccessLogTarget, destination: logs.ILogGroup): void {
  const stage = cfnStageOf(target);
  if (stage instanceof apigateway.CfnStage) {
    stage.accessLogSetting = {
      destinationArn: destination.logGroupArn,
      format: recommendedAccessLogFormat('rest'),
    };
  } else {
    stage.accessLogSettings = {
      destinationArn: destination.logGroupArn,
      format: recommendedAccessLogFormat(target instanceof apigwv2.WebSocketStage ? 'websocket' : 'http'),
    };
  }
}

/** What a watched stage's access-log settings are, when its CloudFormation stage is in this app. */
export interface StageAccessLog {
  readonly destinationArn?: string;
  readonly format?: string;
}

/** Reads the access-log setting of a REST or HTTP CloudFormation stage; `undefined` when not readable. */
export function accessLogOf(stage: apigateway.CfnStage | apigwv2.CfnStage): StageAccessLog | undefined {
  const setting = stage instanceof apigateway.CfnStage ? stage.accessLogSetting : stage.accessLogSettings;
  if (setting === undefined) return {};
  if (Token.isUnresolved(setting)) return undefined;
  const plain = setting as { destinationArn?: string; format?: string };
  return {
    ...(plain.destinationArn === undefined ? {} : { destinationArn: plain.destinationArn }),
    ...(plain.format === undefined ? {} : { format: plain.format }),
  };
}

/** A stage the monitor watches, as the Aspect needs it. */
export interface WatchedStageRef {
  readonly kind: AccessLogApiKind;
  readonly apiId: string;
  readonly stageName: string;
  /** Whether the monitor subscribes to this stage's access log. */
  readonly accessLogWatched: boolean;
  /** The format the access-log filter was told to expect; `undefined` when it follows the stage's own format. */
  readonly filterFormat?: AccessLogFormatKind;
}

/** Whether a CloudFormation stage is the watched one: same API id and stage name, literal or token. */
export function isWatchedStage(
  stage: apigateway.CfnStage | apigwv2.CfnStage,
  watched: WatchedStageRef,
): boolean {
  const stack = Stack.of(stage);
  const same = (a: unknown, b: unknown) =>
    JSON.stringify(stack.resolve(a)) === JSON.stringify(stack.resolve(b));
  // An L2 stage's `stageName` is a `Ref` to its CloudFormation stage, not the literal name.
  const sameStage = same(stage.stageName, watched.stageName) || same(stage.ref, watched.stageName);
  if (stage instanceof apigateway.CfnStage) {
    return watched.kind === 'rest' && same(stage.restApiId, watched.apiId) && sameStage;
  }
  return watched.kind !== 'rest' && same(stage.apiId, watched.apiId) && sameStage;
}

/**
 * Warns at synth time, naming the stage and what is missing, when a watched stage in this app writes an
 * access log the classifier cannot use, or one the monitor's subscription filter will never select.
 */
export class AccessLogFormatCheck implements IAspect {
  constructor(private readonly watched: readonly WatchedStageRef[]) {}

  visit(node: IConstruct): void {
    if (!(node instanceof apigateway.CfnStage || node instanceof apigwv2.CfnStage)) return;
    const watched = this.watched.find((ref) => isWatchedStage(node, ref));
    if (!watched?.accessLogWatched) return;
    const name = `${node.node.path} (stage ${Stack.of(node).resolve(node.stageName)})`;
    const annotations = Annotations.of(node);
    const setting = accessLogOf(node);
    if (setting === undefined || (setting.format !== undefined && Token.isUnresolved(setting.format))) return;
    if (setting.format === undefined) {
      annotations.addWarningV2(
        'apigw403:no-access-log',
        `${name} is watched but writes no access log: use applyRecommendedAccessLogFormat() on it`,
      );
      return;
    }
    const analysis = analyzeAccessLogFormat(setting.format, watched.kind);
    if (!analysis.classifiable) {
      annotations.addWarningV2(
        'apigw403:unclassifiable-access-log',
        `${name} logs a ${analysis.kind.toUpperCase()} access log the classifier cannot tell 403 causes apart in; ` +
          `missing: ${analysis.missingVariables.join(', ')}. Use applyRecommendedAccessLogFormat() on it`,
      );
    }
    const json = analysis.kind === 'json';
    if (watched.filterFormat !== undefined && json !== (watched.filterFormat === 'json')) {
      annotations.addWarningV2(
        'apigw403:filter-format-mismatch',
        `${name} logs ${analysis.kind.toUpperCase()} but the monitor's filter expects ` +
          `${watched.filterFormat === 'json' ? 'JSON' : 'text'}: set accessLogFormat to "${json ? 'json' : 'text'}"`,
      );
    }
  }
}
