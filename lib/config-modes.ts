/**
 * The deployment modes of the `apigw403` context (the keys `mode`, `central` and `source`), as zod
 * schemas that lib/config.ts merges into its own. Pure, like lib/config.ts.
 *
 * - `stages` (the default): this account's listed `apis[]`, each subscribed to the monitor Lambda.
 * - `central`: the monitor of many accounts, fed by a CloudWatch Logs destination backed by a Kinesis
 *   data stream. It lists no `apis[]`: the central account's own stages go through a source stack too.
 * - `source`: a small stack in each source account (deployable with StackSets) that subscribes its API
 *   Gateway log groups, or its account-level subscription filter policy, to the central destination.
 */

import { z } from 'zod';
import { API_ID_PATTERN as API_ID, STAGE_NAME_PATTERN as STAGE } from '../lambda/core/gateway-ids.js';
import { flag, isNot, objectOf, says, text, wholeNumber } from './config-schema.js';

export const DEPLOYMENT_MODES = ['stages', 'central', 'source'] as const;
export type DeploymentModeName = (typeof DEPLOYMENT_MODES)[number];

export const DEFAULT_DESTINATION_NAME = 'apigw-403-monitor';
export const DEFAULT_SHARD_COUNT = 1;
export const DEFAULT_BATCH_SIZE = 100;
export const DEFAULT_MAX_BATCHING_WINDOW_SECONDS = 5;
export const DEFAULT_STREAM_RETRY_ATTEMPTS = 3;
export const DEFAULT_PARALLELIZATION_FACTOR = 1;

const ACCOUNT_ID = /^\d{12}$/;
const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
const DESTINATION_NAME = /^[^:*]{1,512}$/;
const DESTINATION_ARN = /^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:destination:[^:*]{1,512}$/;
const LOG_GROUP = /^[.\-_/#A-Za-z0-9]{1,512}$/;

const CENTRAL_EXAMPLE = '"central": {"sourceAccounts": ["111111111111", "222222222222"]}';
const SOURCE_EXAMPLE =
  '"source": {"destinationArn": "arn:aws:logs:eu-west-1:999999999999:destination:apigw-403-monitor", "apis": [{"apiId": "a1b2c3d4e5", "stage": "prod"}]}';

const range = (min: number, max: number, example: string) =>
  wholeNumber(min, max, `a whole number from ${min} to ${max}`, example);

/** A refinement: the object sets exactly one of the keys `first` and `second`. */
function exactlyOne<T>(
  first: keyof T,
  second: keyof T,
  problems: { readonly neither: string; readonly both: string },
  example: string,
) {
  return (value: T, ctx: z.RefinementCtx<T>): void => {
    const hasFirst = value[first] !== undefined;
    if (hasFirst === (value[second] !== undefined))
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: says(hasFirst ? problems.both : problems.neither, example),
      });
  };
}

const accountList = z
  .array(text(ACCOUNT_ID, 'a 12-digit account id', '"111111111111"'), {
    error: isNot('a list of 12-digit account ids', '"sourceAccounts": ["111111111111"]'),
  })
  .min(1, { error: isNot('a non-empty list of account ids', '"sourceAccounts": ["111111111111"]') })
  .refine((accounts) => new Set(accounts).size === accounts.length, {
    error: says('lists an account twice', '"sourceAccounts": ["111111111111", "222222222222"]'),
  });

const centralSchema = objectOf(
  {
    sourceAccounts: accountList.optional(),
    organizationId: text(
      ORGANIZATION_ID,
      'an AWS Organizations id',
      '"organizationId": "o-a1b2c3d4e5"',
    ).optional(),
    destinationName: text(
      DESTINATION_NAME,
      'a destination name (no ":" or "*")',
      `"destinationName": "${DEFAULT_DESTINATION_NAME}"`,
    ).default(DEFAULT_DESTINATION_NAME),
    shardCount: range(1, 500, '"shardCount": 1').default(DEFAULT_SHARD_COUNT),
    batchSize: range(1, 10_000, '"batchSize": 100').default(DEFAULT_BATCH_SIZE),
    maxBatchingWindowSeconds: range(0, 300, '"maxBatchingWindowSeconds": 5').default(
      DEFAULT_MAX_BATCHING_WINDOW_SECONDS,
    ),
    retryAttempts: range(0, 10_000, '"retryAttempts": 3').default(DEFAULT_STREAM_RETRY_ATTEMPTS),
    parallelizationFactor: range(1, 10, '"parallelizationFactor": 1').default(DEFAULT_PARALLELIZATION_FACTOR),
  },
  'an object',
  CENTRAL_EXAMPLE,
).superRefine(
  exactlyOne(
    'sourceAccounts',
    'organizationId',
    {
      neither: 'names no sender: set sourceAccounts or organizationId',
      both: 'sets both sourceAccounts and organizationId',
    },
    CENTRAL_EXAMPLE,
  ),
);

const sourceApiSchema = objectOf(
  {
    apiId: text(API_ID, 'an API id (10 lower-case letters or digits)', '"apiId": "a1b2c3d4e5"'),
    stage: text(STAGE, 'a stage name', '"stage": "prod"'),
    accessLogGroup: text(
      LOG_GROUP,
      'a log group name',
      '"accessLogGroup": "/aws/apigateway/a1b2c3d4e5/prod"',
    ),
    accessLogFormat: z
      .enum(['json', 'text'], { error: isNot('"json" or "text"', '"accessLogFormat": "json"') })
      .default('json'),
  },
  'an object',
  '{"apiId": "a1b2c3d4e5", "stage": "prod", "accessLogGroup": "/aws/apigateway/a1b2c3d4e5/prod"}',
);

const sourceSchema = objectOf(
  {
    destinationArn: text(
      DESTINATION_ARN,
      'a CloudWatch Logs destination ARN',
      '"destinationArn": "arn:aws:logs:eu-west-1:999999999999:destination:apigw-403-monitor"',
    ),
    apis: z
      .array(sourceApiSchema, { error: isNot('a list of stages', SOURCE_EXAMPLE) })
      .min(1, { error: isNot('a non-empty list of stages', SOURCE_EXAMPLE) })
      .optional(),
    accountPolicy: objectOf(
      {
        excludeLogGroups: z
          .array(text(LOG_GROUP, 'a log group name', '"/aws/lambda/app"'), {
            error: isNot('a list of log group names', '"excludeLogGroups": ["/aws/lambda/app"]'),
          })
          .max(50, {
            error: says('lists more than 50 log groups', '"excludeLogGroups": ["/aws/lambda/app"]'),
          })
          .default([]),
      },
      'an object',
      '"accountPolicy": {"excludeLogGroups": []}',
    ).optional(),
    organizationSender: flag('"organizationSender": true').default(false),
  },
  'an object',
  SOURCE_EXAMPLE,
).superRefine(
  exactlyOne(
    'apis',
    'accountPolicy',
    {
      neither: 'subscribes nothing: set apis or accountPolicy',
      both: 'sets both apis and accountPolicy (one way of subscribing per account)',
    },
    SOURCE_EXAMPLE,
  ),
);

export type CentralConfig = z.output<typeof centralSchema>;
export type SourceConfig = z.output<typeof sourceSchema>;

/** Where this deployment sits: its mode and that mode's settings. */
export type DeploymentMode =
  | { readonly mode: 'stages' }
  | { readonly mode: 'central'; readonly central: CentralConfig }
  | { readonly mode: 'source'; readonly source: SourceConfig };

/** The keys lib/config.ts adds to its context schema. */
export const DEPLOYMENT_SHAPE = {
  mode: z
    .enum(DEPLOYMENT_MODES, { error: isNot(`a mode (${DEPLOYMENT_MODES.join(', ')})`, '"mode": "central"') })
    .default('stages'),
  central: centralSchema.optional(),
  source: sourceSchema.optional(),
};

interface RawDeployment {
  readonly mode: DeploymentModeName;
  readonly central?: CentralConfig | undefined;
  readonly source?: SourceConfig | undefined;
  readonly apis?: readonly unknown[] | undefined;
}

export interface DeploymentIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** What is wrong with the mode and its settings together, if anything. */
export function deploymentIssues(context: RawDeployment): DeploymentIssue[] {
  const issues: DeploymentIssue[] = [];
  const { mode } = context;
  for (const key of ['central', 'source'] as const) {
    if (context[key] !== undefined && mode !== key)
      issues.push({ path: [key], message: says(`is set but mode is "${mode}"`, `"mode": "${key}"`) });
  }
  if (mode === 'central' && context.central === undefined)
    issues.push({ path: ['central'], message: says('is required when mode is "central"', CENTRAL_EXAMPLE) });
  if (mode === 'source' && context.source === undefined)
    issues.push({ path: ['source'], message: says('is required when mode is "source"', SOURCE_EXAMPLE) });
  if (mode === 'source' && context.apis !== undefined)
    issues.push({
      path: ['apis'],
      message: says(
        'is for the monitor\'s own stages; a source account lists them in "source.apis"',
        SOURCE_EXAMPLE,
      ),
    });
  if (mode === 'central' && context.apis !== undefined)
    issues.push({
      path: ['apis'],
      message: says(
        "is not read by a central monitor: subscribe the central account's own stages with a source stack too",
        '"mode": "source" in the central account, with the central account in "central.sourceAccounts"',
      ),
    });
  return issues;
}

/** Whether `apis[]` must list at least one stage: only the listed-stages mode watches nothing else. */
export const requiresApis = (mode: DeploymentModeName): boolean => mode === 'stages';

/** Whether alerts must go somewhere: a source account only forwards its logs. */
export const requiresAlertDestination = (mode: DeploymentModeName): boolean => mode !== 'source';

export function deploymentOf(context: RawDeployment): DeploymentMode {
  if (context.mode === 'central' && context.central) return { mode: 'central', central: context.central };
  if (context.mode === 'source' && context.source) return { mode: 'source', source: context.source };
  return { mode: 'stages' };
}
