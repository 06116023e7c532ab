/**
 * Reads and validates the `apigw403` context object (cdk.json) into a typed configuration, or a list of
 * every problem found, each naming its key and showing an example. One zod schema is the whole rule
 * set. Pure: no CDK construct is created, so a bad context stops `cdk synth` before anything could be
 * half-deployed.
 */
import { z } from 'zod';
import { CATEGORIES, type Category, CLIENT_ONLY_CATEGORIES, isCategory } from '../lambda/core/categories.js';
import { API_ID_PATTERN as API_ID, STAGE_NAME_PATTERN } from '../lambda/core/gateway-ids.js';
import type { NoisePolicyInput } from '../lambda/core/noise-policy.js';
import { type AccountWideConfig, accountWideIssue, accountWideSchema } from './account-wide-config.js';
import {
  DEPLOYMENT_SHAPE,
  type DeploymentMode,
  deploymentIssues,
  deploymentOf,
  requiresAlertDestination,
  requiresApis,
} from './config-modes.js';
import { describe, flag, isNot, objectOf, says, text, wholeNumber } from './config-schema.js';
import {
  type AccessLogFormatKind,
  accessLogFilterPattern,
  DEFAULT_RESPONSE_TYPE_KEY,
  DEFAULT_STATUS_KEY,
  FilterPatternTooLongError,
  JSON_KEY_PATH,
  MAX_FILTER_PATTERN_LENGTH,
} from './filter-patterns.js';
import {
  noisePolicyAccountIssues,
  noisePolicyContextSchema,
  type RouteConfig,
  routeDestinationClashes,
  routesSchema,
} from './routes-config.js';

/** The one context key that holds the whole configuration. */
export const CONTEXT_KEY = 'apigw403';

export const DEFAULT_STACK_NAME = 'Apigw403Monitor';
export const DEFAULT_LOG_RETENTION_DAYS = 30;
/**
 * No reserved concurrency: reserving N needs N + 100 unreserved concurrency in the account (Lambda keeps
 * 100 unreserved), which new and small accounts do not have, so any reserved default fails somewhere.
 */
export const DEFAULT_RESERVED_CONCURRENCY: number | null = null;
export const DEFAULT_ALARM_PERIOD_MINUTES = 5;

/** The values CloudWatch Logs accepts for a log group's retention. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export interface WatchedApiConfig {
  readonly kind: 'rest' | 'http';
  readonly apiId: string;
  readonly stage: string;
  /** Omitted: the access log is not watched. */
  readonly accessLogGroup?: string;
  readonly accessLogFormat: AccessLogFormatKind;
  readonly statusKey: string;
  readonly responseTypeKey: string | null;
  readonly executionLogs: boolean;
}

export interface ChatbotConfig {
  readonly workspaceId: string;
  readonly channelId: string;
  readonly configurationName?: string;
}

export interface CategoryAlarmConfig {
  readonly category: Category;
  readonly threshold: number;
  readonly periodMinutes: number;
}

export interface MonitorConfig {
  readonly stackName: string;
  readonly apis: readonly WatchedApiConfig[];
  readonly alertEmails: readonly string[];
  /** A Secrets Manager secret name or full ARN holding the Slack incoming-webhook URL. */
  readonly slackWebhookSecret?: string;
  /** The customer-managed KMS key that encrypts that secret (the forwarder gets `kms:Decrypt` on it). */
  readonly slackWebhookSecretKmsKeyArn?: string;
  readonly chatbot?: ChatbotConfig;
  readonly alarms: readonly CategoryAlarmConfig[];
  readonly logRetentionDays: number;
  readonly kmsEncryption: boolean;
  /** `null`: no reserved concurrency. */
  readonly reservedConcurrency: number | null;
  /** Listed stages (the default), a central monitor of many accounts, or a source account. */
  readonly deployment: DeploymentMode;
  /** The noise policy as written (`{}`: the defaults), validated by lambda/core/noise-policy.ts. */
  readonly noisePolicy: NoisePolicyInput;
  /** Further destinations, each for the messages whose SNS attributes it matches. */
  readonly routes: readonly RouteConfig[];
  /** Every stage of the account and region too, found by the discovery function (lib/account-wide.ts). */
  readonly accountWide?: AccountWideConfig;
}

export type ConfigResult =
  | { readonly ok: true; readonly config: MonitorConfig }
  | { readonly ok: false; readonly errors: readonly string[] };

/** The example printed when the whole object is missing or unreadable; also what cdk.json ships. */
export const EXAMPLE_CONTEXT = {
  apis: [
    {
      restApiId: 'a1b2c3d4e5',
      stage: 'prod',
      accessLogGroup: '/aws/apigateway/a1b2c3d4e5/prod',
      executionLogs: true,
    },
    { httpApiId: 'f6g7h8i9j0', stage: '$default', accessLogGroup: '/aws/apigateway/f6g7h8i9j0/default' },
  ],
  alertEmails: ['api-oncall@example.com'],
  slack: { webhookSecret: 'apigw-403-monitor/slack-webhook' },
};

/** A stage name, or `$default` (an HTTP API's default stage; refused on a REST API below). */
const STAGE = STAGE_NAME_PATTERN;
const LOG_GROUP = /^[.\-_/#A-Za-z0-9]{1,512}$/;
const EMAIL = /^[^@\s"<>]+@[^@\s"<>]+\.[A-Za-z]{2,}$/;
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const SECRET_ARN =
  /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;
const KMS_KEY_ARN =
  /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;
const SLACK_ID = /^[0-9A-Z]{1,255}$/;
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
const CHATBOT_NAME = /^[A-Za-z0-9-_]{1,128}$/;

const API_EXAMPLE =
  '{"restApiId":"a1b2c3d4e5","stage":"prod","accessLogGroup":"/aws/apigateway/a1b2c3d4e5/prod"}';
const SLACK_EXAMPLE = '"slack": {"webhookSecret": "apigw-403-monitor/slack-webhook"}';
const CHATBOT_EXAMPLE = '"chatbot": {"workspaceId": "T0123ABCD", "channelId": "C0123ABCDEF"}';
const ALARMS_EXAMPLE = '"alarms": {"WAF_FILTERED": {"threshold": 100, "periodMinutes": 5}}';
const ALARM_EXAMPLE = '{"threshold": 100, "periodMinutes": 5}';

const keyPath = (example: string) =>
  text(JSON_KEY_PATH, 'a JSON key path (names joined by dots, each dot one level of nesting)', example);

interface RawFormat {
  readonly accessLogFormat?: AccessLogFormatKind | undefined;
  readonly statusKey?: string | undefined;
  readonly responseTypeKey?: string | null | undefined;
}

/** What is wrong with an API's filter settings as a whole, if anything (each key is checked on its own too). */
function formatProblem(api: RawFormat): { path: string[]; message: string } | undefined {
  if (api.accessLogFormat === 'text') {
    if (api.statusKey === undefined && api.responseTypeKey === undefined) return undefined;
    return {
      path: ['accessLogFormat'],
      message: says(
        'is "text", so statusKey and responseTypeKey cannot be used',
        '"accessLogFormat": "json", "statusKey": "status"',
      ),
    };
  }
  const selectable = (key: string | null | undefined) => key == null || JSON_KEY_PATH.test(key);
  if (!selectable(api.statusKey) || !selectable(api.responseTypeKey)) return undefined;
  try {
    accessLogFilterPattern({
      ...(api.statusKey ? { statusKey: api.statusKey } : {}),
      ...(api.responseTypeKey !== undefined ? { responseTypeKey: api.responseTypeKey } : {}),
    });
    return undefined;
  } catch (error) {
    if (!(error instanceof FilterPatternTooLongError)) throw error;
    return {
      path: [api.responseTypeKey ? 'responseTypeKey' : 'statusKey'],
      message: says(
        `makes the access-log filter pattern ${error.length} characters, over the ${MAX_FILTER_PATTERN_LENGTH} CloudWatch Logs accepts: shorten the key paths or set responseTypeKey to null`,
        '"responseTypeKey": "error.responseType" (or null)',
      ),
    };
  }
}

const apiSchema = objectOf(
  {
    restApiId: text(
      API_ID,
      'an API id (10 lower-case letters or digits)',
      '"restApiId": "a1b2c3d4e5"',
    ).optional(),
    httpApiId: text(
      API_ID,
      'an API id (10 lower-case letters or digits)',
      '"httpApiId": "a1b2c3d4e5"',
    ).optional(),
    stage: text(STAGE, 'a stage name', '"stage": "prod" ("$default" for an HTTP API)'),
    accessLogGroup: text(
      LOG_GROUP,
      'a log group name',
      '"accessLogGroup": "/aws/apigateway/a1b2c3d4e5/prod"',
    ).optional(),
    accessLogFormat: z
      .enum(['json', 'text'], {
        error: isNot('"json" or "text" (CLF, CSV or XML)', '"accessLogFormat": "json"'),
      })
      .optional(),
    statusKey: keyPath('"statusKey": "status"').optional(),
    responseTypeKey: keyPath('"responseTypeKey": "error.responseType" (or null)').nullable().optional(),
    executionLogs: flag('"executionLogs": true').optional(),
  },
  'an object',
  API_EXAMPLE,
)
  .superRefine((api, ctx) => {
    const at = (path: string[], problem: string, example: string) =>
      ctx.addIssue({ code: 'custom', path, message: says(problem, example) });
    const hasRest = api.restApiId !== undefined;
    if (hasRest === (api.httpApiId !== undefined)) {
      at(
        [],
        hasRest ? 'sets both restApiId and httpApiId' : 'sets neither restApiId nor httpApiId',
        '"restApiId": "a1b2c3d4e5" (REST API) or "httpApiId": "f6g7h8i9j0" (HTTP API)',
      );
    }
    if (hasRest && api.stage === '$default') {
      at(['stage'], '"$default" is not a stage name of a REST API', '"stage": "prod"');
    }
    if (!hasRest && api.executionLogs) {
      at(
        ['executionLogs'],
        'is true for an HTTP API, which has no execution logs',
        'remove "executionLogs", or use "restApiId" for a REST API',
      );
    }
    if (api.accessLogGroup === undefined && !api.executionLogs) {
      at(
        [],
        'watches nothing: set accessLogGroup and/or "executionLogs": true',
        '"accessLogGroup": "/aws/apigateway/a1b2c3d4e5/prod"',
      );
    }
  })
  .superRefine((api, ctx) => {
    const problem = formatProblem(api);
    if (problem) ctx.addIssue({ code: 'custom', ...problem });
  })
  .transform(
    (api): WatchedApiConfig => ({
      kind: api.restApiId !== undefined ? 'rest' : 'http',
      apiId: api.restApiId ?? api.httpApiId ?? '',
      stage: api.stage,
      ...(api.accessLogGroup === undefined ? {} : { accessLogGroup: api.accessLogGroup }),
      accessLogFormat: api.accessLogFormat ?? 'json',
      statusKey: api.statusKey ?? DEFAULT_STATUS_KEY,
      responseTypeKey: api.responseTypeKey === undefined ? DEFAULT_RESPONSE_TYPE_KEY : api.responseTypeKey,
      executionLogs: api.executionLogs ?? false,
    }),
  );

/** Rules across APIs, checked once every API is valid on its own. */
const apisSchema = z
  .array(z.unknown(), {
    error: isNot('a non-empty list of APIs to watch', JSON.stringify(EXAMPLE_CONTEXT.apis)),
  })
  .min(1, { error: isNot('a non-empty list of APIs to watch', JSON.stringify(EXAMPLE_CONTEXT.apis)) })
  .pipe(z.array(apiSchema))
  .superRefine((apis, ctx) => {
    const seen = new Map<string, number>();
    const groups = new Map<string, WatchedApiConfig>();
    apis.forEach((api, index) => {
      const key = `${api.apiId}/${api.stage}`;
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [index],
          message: says(`watches ${key} again (already apis[${first}])`, 'one entry per API id and stage'),
        });
      } else seen.set(key, index);
      if (api.accessLogGroup === undefined) return;
      const sharing = groups.get(api.accessLogGroup);
      if (
        sharing &&
        (sharing.accessLogFormat !== api.accessLogFormat ||
          sharing.statusKey !== api.statusKey ||
          sharing.responseTypeKey !== api.responseTypeKey)
      ) {
        ctx.addIssue({
          code: 'custom',
          path: [index, 'accessLogGroup'],
          message: says(
            `shares ${api.accessLogGroup} with another API but not its format settings (one filter serves one group)`,
            'the same accessLogFormat, statusKey and responseTypeKey on every API writing to one group',
          ),
        });
      }
      if (!sharing) groups.set(api.accessLogGroup, api);
    });
  });

const chatbotSchema = objectOf(
  {
    workspaceId: text(
      SLACK_ID,
      'a Slack workspace id (upper-case letters and digits)',
      '"workspaceId": "T0123ABCD"',
    ),
    channelId: text(
      SLACK_ID,
      'a Slack channel id (upper-case letters and digits)',
      '"channelId": "C0123ABCDEF"',
    ),
    configurationName: text(
      CHATBOT_NAME,
      'a name of up to 128 letters, digits, - or _',
      '"configurationName": "apigw-403-alerts"',
    ).optional(),
  },
  'an object',
  CHATBOT_EXAMPLE,
);

const webhookSecretSchema = z
  .string({
    error: isNot(
      'a Secrets Manager secret name or full secret ARN',
      '"webhookSecret": "apigw-403-monitor/slack-webhook"',
    ),
  })
  .refine((secret) => SECRET_ARN.test(secret) || (!secret.startsWith('arn:') && SECRET_NAME.test(secret)), {
    error: isNot(
      'a Secrets Manager secret name or full secret ARN',
      '"webhookSecret": "apigw-403-monitor/slack-webhook"',
    ),
  });
const webhookKeySchema = text(
  KMS_KEY_ARN,
  'a KMS key ARN',
  '"webhookSecretKmsKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"',
);

const slackSchema = objectOf(
  {
    webhookSecret: webhookSecretSchema.optional(),
    webhookSecretKmsKeyArn: webhookKeySchema.optional(),
    chatbot: chatbotSchema.optional(),
  },
  'an object',
  SLACK_EXAMPLE,
).superRefine((slack, ctx) => {
  if (slack.webhookSecret === undefined && slack.chatbot === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: [],
      message: says('sets neither webhookSecret nor chatbot', SLACK_EXAMPLE),
    });
  }
  if (slack.webhookSecretKmsKeyArn !== undefined && slack.webhookSecret === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['webhookSecretKmsKeyArn'],
      message: says('is set without webhookSecret, the secret it decrypts', SLACK_EXAMPLE),
    });
  }
});

const alarmSettingsSchema = objectOf(
  {
    threshold: wholeNumber(
      1,
      Number.MAX_SAFE_INTEGER,
      'a whole number of 403s, at least 1',
      '"threshold": 100',
    ),
    periodMinutes: wholeNumber(
      1,
      1440,
      'a whole number of minutes from 1 to 1440',
      '"periodMinutes": 5',
    ).default(DEFAULT_ALARM_PERIOD_MINUTES),
  },
  'an object',
  ALARM_EXAMPLE,
);

/** `{category: settings}`: the key is a category a stage log can show, the value its alarm settings. */
const alarmsSchema = z
  .record(z.string(), z.unknown(), {
    error: isNot('an object of category -> {threshold, periodMinutes}', ALARMS_EXAMPLE),
  })
  .transform((alarms, ctx) => {
    const valid: CategoryAlarmConfig[] = [];
    for (const [category, settings] of Object.entries(alarms)) {
      const fail = (path: PropertyKey[], message: string) =>
        ctx.addIssue({ code: 'custom', path: [category, ...path], message });
      if (!isCategory(category)) {
        fail([], says(`is not a category id (one of ${CATEGORIES.join(', ')})`, ALARMS_EXAMPLE));
        continue;
      }
      if (CLIENT_ONLY_CATEGORIES.includes(category)) {
        fail(
          [],
          says(
            'is seen only by clients, never in a stage log, so an alarm on it would never fire',
            ALARMS_EXAMPLE,
          ),
        );
        continue;
      }
      const parsed = alarmSettingsSchema.safeParse(settings);
      if (parsed.success) valid.push({ category, ...parsed.data });
      else for (const issue of issueList(parsed.error.issues)) fail(issue.path, issue.message);
    }
    return valid;
  });

const NO_DESTINATION_EXAMPLE = '"alertEmails": ["api-oncall@example.com"]';

/**
 * The cooldown-only monitor's settings, refused with what replaced them: the monitor no longer reads
 * them, and a setting that silently does nothing is worse than a failed synth.
 */
const removed = (replacement: string, example: string) =>
  z.never({ error: says(`was removed: ${replacement}`, example) }).optional();
const REMOVED_KEYS = {
  cooldownMinutes: removed(
    'the noise policy decides when a group alerts again (an escalated group after noisePolicy.realertMinutes, a quiet group as new after noisePolicy.quietPeriodMinutes)',
    '"noisePolicy": {"realertMinutes": 60}',
  ),
  minAlertCount: removed(
    'it counted 403s per invocation (a batch size); a group escalates from noisePolicy.escalationMinCount 403s in one noisePolicy.windowMinutes window',
    '"noisePolicy": {"escalationMinCount": 20}',
  ),
};

const contextSchema = objectOf(
  {
    stackName: text(
      STACK_NAME,
      'a CloudFormation stack name',
      `"stackName": "${DEFAULT_STACK_NAME}"`,
    ).default(DEFAULT_STACK_NAME),
    apis: apisSchema.optional(),
    accountWide: accountWideSchema.optional(),
    ...DEPLOYMENT_SHAPE,
    alertEmails: z
      .array(text(EMAIL, 'an e-mail address', '"api-oncall@example.com"'), {
        error: isNot('a list of e-mail addresses', NO_DESTINATION_EXAMPLE),
      })
      .optional(),
    slack: slackSchema.optional(),
    // A route's Slack destinations are the top level's: a webhook of its own and/or a Chatbot channel.
    routes: routesSchema(slackSchema).optional(),
    noisePolicy: noisePolicyContextSchema.optional(),
    ...REMOVED_KEYS,
    alarms: alarmsSchema.optional(),
    logRetentionDays: z
      .number({
        error: isNot(
          `a CloudWatch Logs retention (${LOG_RETENTION_DAYS.join(', ')})`,
          '"logRetentionDays": 30',
        ),
      })
      .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
        error: isNot(
          `a CloudWatch Logs retention (${LOG_RETENTION_DAYS.join(', ')})`,
          '"logRetentionDays": 30',
        ),
      })
      .default(DEFAULT_LOG_RETENTION_DAYS),
    kmsEncryption: flag('"kmsEncryption": true').default(false),
    reservedConcurrency: wholeNumber(
      1,
      1000,
      'a whole number from 1 to 1000',
      '"reservedConcurrency": 5 (default null: none reserved)',
    )
      .nullable()
      .default(DEFAULT_RESERVED_CONCURRENCY),
  },
  'an object',
  JSON.stringify(EXAMPLE_CONTEXT),
  Object.keys(REMOVED_KEYS),
)
  .superRefine((context, ctx) => {
    const accountWide = accountWideIssue(context);
    if (accountWide) ctx.addIssue({ code: 'custom', ...accountWide });
    if (context.apis === undefined && requiresApis(context.mode) && context.accountWide === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['apis'],
        message: isNot('a non-empty list of APIs to watch', JSON.stringify(EXAMPLE_CONTEXT.apis))({}),
      });
    }
    for (const issue of [
      ...deploymentIssues(context),
      ...noisePolicyAccountIssues(context.noisePolicy, context),
      ...routeDestinationClashes(context),
    ])
      ctx.addIssue({ code: 'custom', path: [...issue.path], message: issue.message });
    if (
      requiresAlertDestination(context.mode) &&
      context.alertEmails === undefined &&
      context.slack === undefined &&
      (context.routes ?? []).length === 0
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['alertEmails'],
        message: says('is missing and so is slack: alerts would go nowhere', NO_DESTINATION_EXAMPLE),
      });
    }
  })
  .transform(
    ({
      alertEmails,
      slack,
      alarms,
      apis,
      mode,
      central,
      source,
      routes,
      noisePolicy,
      accountWide,
      ...rest
    }): MonitorConfig => ({
      ...rest,
      ...(accountWide ? { accountWide } : {}),
      noisePolicy: noisePolicy ?? {},
      routes: routes ?? [],
      apis: apis ?? [],
      deployment: deploymentOf({ mode, central, source }),
      alertEmails: alertEmails ?? [],
      ...(slack?.webhookSecret ? { slackWebhookSecret: slack.webhookSecret } : {}),
      ...(slack?.webhookSecretKmsKeyArn ? { slackWebhookSecretKmsKeyArn: slack.webhookSecretKmsKeyArn } : {}),
      ...(slack?.chatbot ? { chatbot: slack.chatbot } : {}),
      alarms: alarms ?? [],
    }),
  );

/** One entry per problem: a key zod reports as unknown among others becomes one entry of its own. */
function issueList(issues: readonly z.core.$ZodIssue[]): { path: PropertyKey[]; message: string }[] {
  return issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: [...issue.path, key], message: issue.message }))
      : [{ path: [...issue.path], message: issue.message }],
  );
}

/** `['apis', 0, 'stage']` -> `apigw403.apis[0].stage`. */
function keyOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (key, part) => (typeof part === 'number' ? `${key}[${part}]` : `${key}.${String(part)}`),
    CONTEXT_KEY,
  );
}

/** Parses the raw `apigw403` context value (an object, or its JSON text as given by `-c`). */
export function parseConfig(raw: unknown): ConfigResult {
  let value = raw;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      value = undefined;
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return {
      ok: false,
      errors: [
        `${CONTEXT_KEY}: ${describe(raw)} is not an object with the APIs to watch. Example (cdk.json "context"): ` +
          JSON.stringify({ [CONTEXT_KEY]: EXAMPLE_CONTEXT }),
      ],
    };
  }
  const parsed = contextSchema.safeParse(value);
  if (parsed.success) return { ok: true, config: parsed.data };
  return {
    ok: false,
    errors: issueList(parsed.error.issues).map((issue) => `${keyOf(issue.path)}: ${issue.message}`),
  };
}
