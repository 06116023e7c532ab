/**
 * Reads and validates the `apigw403` context object (cdk.json) into a typed configuration, or a list of
 * every problem found. Pure: no CDK construct is created, so a bad context stops `cdk synth` before
 * anything could be half-deployed.
 */
import { CATEGORIES, type Category, CLIENT_ONLY_CATEGORIES, isCategory } from '../lambda/core/categories.js';
import {
  type AccessLogFormatKind,
  DEFAULT_RESPONSE_TYPE_KEY,
  DEFAULT_STATUS_KEY,
  JSON_KEY_PATH,
} from './filter-patterns.js';

/** The one context key that holds the whole configuration. */
export const CONTEXT_KEY = 'apigw403';

export const DEFAULT_STACK_NAME = 'Apigw403Monitor';
export const DEFAULT_COOLDOWN_MINUTES = 15;
export const DEFAULT_MIN_ALERT_COUNT = 1;
export const DEFAULT_LOG_RETENTION_DAYS = 30;
export const DEFAULT_RESERVED_CONCURRENCY = 5;
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
  readonly chatbot?: ChatbotConfig;
  readonly cooldownMinutes: number;
  readonly minAlertCount: number;
  readonly alarms: readonly CategoryAlarmConfig[];
  readonly logRetentionDays: number;
  readonly kmsEncryption: boolean;
  /** `null`: no reserved concurrency. */
  readonly reservedConcurrency: number | null;
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
  cooldownMinutes: DEFAULT_COOLDOWN_MINUTES,
};

const API_ID = /^[a-z0-9]{10}$/;
const STAGE = /^[A-Za-z0-9_-]{1,128}$/;
const LOG_GROUP = /^[.\-_/#A-Za-z0-9]{1,512}$/;
const EMAIL = /^[^@\s"<>]+@[^@\s"<>]+\.[A-Za-z]{2,}$/;
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const SECRET_ARN =
  /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;
const SLACK_ID = /^[0-9A-Z]{1,255}$/;
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
const CHATBOT_NAME = /^[A-Za-z0-9-_]{1,128}$/;

const TOP_KEYS = [
  'stackName',
  'apis',
  'alertEmails',
  'slack',
  'cooldownMinutes',
  'minAlertCount',
  'alarms',
  'logRetentionDays',
  'kmsEncryption',
  'reservedConcurrency',
] as const;
const API_KEYS = [
  'restApiId',
  'httpApiId',
  'stage',
  'accessLogGroup',
  'accessLogFormat',
  'statusKey',
  'responseTypeKey',
  'executionLogs',
] as const;
const SLACK_KEYS = ['webhookSecret', 'chatbot'] as const;
const CHATBOT_KEYS = ['workspaceId', 'channelId', 'configurationName'] as const;
const ALARM_KEYS = ['threshold', 'periodMinutes'] as const;

type Raw = Record<string, unknown>;

const isObject = (value: unknown): value is Raw =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

class Collector {
  readonly errors: string[] = [];

  add(key: string, problem: string, example: string): void {
    this.errors.push(`${CONTEXT_KEY}.${key}: ${problem}. Example: ${example}`);
  }

  unknownKeys(raw: Raw, path: string, known: readonly string[], example: string): void {
    for (const key of Object.keys(raw)) {
      if (!known.includes(key)) {
        this.add(path ? `${path}.${key}` : key, `is not a known key (known: ${known.join(', ')})`, example);
      }
    }
  }

  string(raw: Raw, path: string, key: string, pattern: RegExp, what: string, example: string) {
    const value = raw[key];
    if (typeof value === 'string' && pattern.test(value)) return value;
    this.add(`${path}${key}`, `${describe(value)} is not ${what}`, example);
    return undefined;
  }

  integer(raw: Raw, key: string, bounds: { min: number; max: number }, fallback: number, example: string) {
    const value = raw[key];
    if (value === undefined) return fallback;
    if (typeof value === 'number' && Number.isInteger(value) && value >= bounds.min && value <= bounds.max) {
      return value;
    }
    this.add(key, `${describe(value)} is not a whole number from ${bounds.min} to ${bounds.max}`, example);
    return fallback;
  }

  boolean(raw: Raw, path: string, key: string, fallback: boolean, example: string) {
    const value = raw[key];
    if (value === undefined) return fallback;
    if (typeof value === 'boolean') return value;
    this.add(`${path}${key}`, `${describe(value)} is not true or false`, example);
    return fallback;
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'a missing value';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function readApiId(raw: Raw, index: number, out: Collector): { kind: 'rest' | 'http'; apiId?: string } {
  const hasRest = raw.restApiId !== undefined;
  if (hasRest === (raw.httpApiId !== undefined)) {
    out.add(
      `apis[${index}]`,
      hasRest ? 'sets both restApiId and httpApiId' : 'sets neither restApiId nor httpApiId',
      '"restApiId": "a1b2c3d4e5" (REST API) or "httpApiId": "f6g7h8i9j0" (HTTP API)',
    );
    return { kind: 'rest' };
  }
  const key = hasRest ? 'restApiId' : 'httpApiId';
  const what = 'an API id (10 lower-case letters or digits)';
  const apiId = out.string(raw, `apis[${index}].`, key, API_ID, what, `"${key}": "a1b2c3d4e5"`);
  return { kind: hasRest ? 'rest' : 'http', ...(apiId ? { apiId } : {}) };
}

function readFormat(
  raw: Raw,
  path: string,
  out: Collector,
): Pick<WatchedApiConfig, 'accessLogFormat' | 'statusKey' | 'responseTypeKey'> {
  let accessLogFormat: AccessLogFormatKind = 'json';
  if (raw.accessLogFormat === 'json' || raw.accessLogFormat === 'text') accessLogFormat = raw.accessLogFormat;
  else if (raw.accessLogFormat !== undefined) {
    out.add(
      `${path}accessLogFormat`,
      `${describe(raw.accessLogFormat)} is not "json" or "text" (CLF, CSV or XML)`,
      '"accessLogFormat": "json"',
    );
  }
  const keyPath = (key: 'statusKey' | 'responseTypeKey', fallback: string, example: string) => {
    if (raw[key] === undefined) return fallback;
    return (
      out.string(raw, path, key, JSON_KEY_PATH, 'a JSON key path (names joined by dots)', example) ?? fallback
    );
  };
  const statusKey = keyPath('statusKey', DEFAULT_STATUS_KEY, '"statusKey": "status"');
  const responseTypeKey =
    raw.responseTypeKey === null
      ? null
      : keyPath(
          'responseTypeKey',
          DEFAULT_RESPONSE_TYPE_KEY,
          '"responseTypeKey": "error.responseType" (or null)',
        );
  if (accessLogFormat === 'text' && (raw.statusKey !== undefined || raw.responseTypeKey !== undefined)) {
    out.add(
      `${path}accessLogFormat`,
      'is "text", so statusKey and responseTypeKey cannot be used',
      '"accessLogFormat": "json", "statusKey": "status"',
    );
  }
  return { accessLogFormat, statusKey, responseTypeKey };
}

function readApi(raw: unknown, index: number, out: Collector): WatchedApiConfig | undefined {
  const path = `apis[${index}].`;
  const example =
    '{"restApiId":"a1b2c3d4e5","stage":"prod","accessLogGroup":"/aws/apigateway/a1b2c3d4e5/prod"}';
  if (!isObject(raw)) {
    out.add(`apis[${index}]`, `${describe(raw)} is not an object`, example);
    return undefined;
  }
  out.unknownKeys(raw, `apis[${index}]`, API_KEYS, example);
  const before = out.errors.length;
  const { kind, apiId } = readApiId(raw, index, out);
  const stageValue = raw.stage;
  const stage =
    kind === 'http' && stageValue === '$default'
      ? stageValue
      : out.string(
          raw,
          path,
          'stage',
          STAGE,
          'a stage name',
          kind === 'http' ? '"stage": "$default"' : '"stage": "prod"',
        );

  let accessLogGroup: string | undefined;
  if (raw.accessLogGroup !== undefined) {
    accessLogGroup = out.string(
      raw,
      path,
      'accessLogGroup',
      LOG_GROUP,
      'a log group name',
      '"accessLogGroup": "/aws/apigateway/a1b2c3d4e5/prod"',
    );
  }
  const { accessLogFormat, statusKey, responseTypeKey } = readFormat(raw, path, out);
  const executionLogs = out.boolean(raw, path, 'executionLogs', false, '"executionLogs": true');
  if (kind === 'http' && executionLogs) {
    out.add(
      `${path}executionLogs`,
      'is true for an HTTP API, which has no execution logs',
      'remove "executionLogs", or use "restApiId" for a REST API',
    );
  }
  if (raw.accessLogGroup === undefined && !executionLogs) {
    out.add(
      `apis[${index}]`,
      'watches nothing: set accessLogGroup and/or "executionLogs": true',
      '"accessLogGroup": "/aws/apigateway/a1b2c3d4e5/prod"',
    );
  }
  if (out.errors.length > before || apiId === undefined || stage === undefined) return undefined;
  return {
    kind,
    apiId,
    stage,
    ...(accessLogGroup === undefined ? {} : { accessLogGroup }),
    accessLogFormat,
    statusKey,
    responseTypeKey,
    executionLogs,
  };
}

function readApis(raw: Raw, out: Collector): WatchedApiConfig[] {
  const value = raw.apis;
  if (!Array.isArray(value) || value.length === 0) {
    out.add(
      'apis',
      `${describe(value)} is not a non-empty list of APIs to watch`,
      JSON.stringify(EXAMPLE_CONTEXT.apis),
    );
    return [];
  }
  const apis = value.map((entry, index) => readApi(entry, index, out));
  const seen = new Map<string, number>();
  const groups = new Map<string, WatchedApiConfig>();
  apis.forEach((api, index) => {
    if (!api) return;
    const key = `${api.apiId}/${api.stage}`;
    const first = seen.get(key);
    if (first !== undefined) {
      out.add(
        `apis[${index}]`,
        `watches ${key} again (already apis[${first}])`,
        'one entry per API id and stage',
      );
    } else seen.set(key, index);
    if (api.accessLogGroup === undefined) return;
    const sharing = groups.get(api.accessLogGroup);
    if (
      sharing &&
      (sharing.accessLogFormat !== api.accessLogFormat ||
        sharing.statusKey !== api.statusKey ||
        sharing.responseTypeKey !== api.responseTypeKey)
    ) {
      out.add(
        `apis[${index}].accessLogGroup`,
        `shares ${api.accessLogGroup} with another API but not its format settings (one filter serves one group)`,
        'the same accessLogFormat, statusKey and responseTypeKey on every API writing to one group',
      );
    }
    if (!sharing) groups.set(api.accessLogGroup, api);
  });
  return apis.filter((api): api is WatchedApiConfig => api !== undefined);
}

function readEmails(raw: Raw, out: Collector): string[] {
  const value = raw.alertEmails;
  if (value === undefined) return [];
  const example = '"alertEmails": ["api-oncall@example.com"]';
  if (!Array.isArray(value)) {
    out.add('alertEmails', `${describe(value)} is not a list of e-mail addresses`, example);
    return [];
  }
  const emails: string[] = [];
  value.forEach((entry, index) => {
    if (typeof entry === 'string' && EMAIL.test(entry)) emails.push(entry);
    else
      out.add(
        `alertEmails[${index}]`,
        `${describe(entry)} is not an e-mail address`,
        '"api-oncall@example.com"',
      );
  });
  return emails;
}

function readChatbot(chatbot: unknown, out: Collector): ChatbotConfig | undefined {
  if (chatbot === undefined) return undefined;
  const chatbotExample = '"chatbot": {"workspaceId": "T0123ABCD", "channelId": "C0123ABCDEF"}';
  if (!isObject(chatbot)) {
    out.add('slack.chatbot', `${describe(chatbot)} is not an object`, chatbotExample);
    return undefined;
  }
  out.unknownKeys(chatbot, 'slack.chatbot', CHATBOT_KEYS, chatbotExample);
  const id = (key: 'workspaceId' | 'channelId', what: string, example: string) =>
    out.string(
      chatbot,
      'slack.chatbot.',
      key,
      SLACK_ID,
      `a Slack ${what} id (upper-case letters and digits)`,
      example,
    );
  const workspaceId = id('workspaceId', 'workspace', '"workspaceId": "T0123ABCD"');
  const channelId = id('channelId', 'channel', '"channelId": "C0123ABCDEF"');
  const configurationName =
    chatbot.configurationName === undefined
      ? undefined
      : out.string(
          chatbot,
          'slack.chatbot.',
          'configurationName',
          CHATBOT_NAME,
          'a name of up to 128 letters, digits, - or _',
          '"configurationName": "apigw-403-alerts"',
        );
  if (!workspaceId || !channelId) return undefined;
  return { workspaceId, channelId, ...(configurationName ? { configurationName } : {}) };
}

function readSlack(raw: Raw, out: Collector): Pick<MonitorConfig, 'slackWebhookSecret' | 'chatbot'> {
  const value = raw.slack;
  if (value === undefined) return {};
  const example = '"slack": {"webhookSecret": "apigw-403-monitor/slack-webhook"}';
  if (!isObject(value)) {
    out.add('slack', `${describe(value)} is not an object`, example);
    return {};
  }
  out.unknownKeys(value, 'slack', SLACK_KEYS, example);
  if (value.webhookSecret === undefined && value.chatbot === undefined) {
    out.add('slack', 'sets neither webhookSecret nor chatbot', example);
  }
  const result: { slackWebhookSecret?: string; chatbot?: ChatbotConfig } = {};
  if (value.webhookSecret !== undefined) {
    const secret = value.webhookSecret;
    if (
      typeof secret === 'string' &&
      (SECRET_ARN.test(secret) || (!secret.startsWith('arn:') && SECRET_NAME.test(secret)))
    ) {
      result.slackWebhookSecret = secret;
    } else {
      out.add(
        'slack.webhookSecret',
        `${describe(secret)} is not a Secrets Manager secret name or full secret ARN`,
        '"webhookSecret": "apigw-403-monitor/slack-webhook"',
      );
    }
  }
  const chatbot = readChatbot(value.chatbot, out);
  if (chatbot) result.chatbot = chatbot;
  return result;
}

function readAlarms(raw: Raw, out: Collector): CategoryAlarmConfig[] {
  const value = raw.alarms;
  if (value === undefined) return [];
  const example = '"alarms": {"WAF_FILTERED": {"threshold": 100, "periodMinutes": 5}}';
  if (!isObject(value)) {
    out.add(
      'alarms',
      `${describe(value)} is not an object of category -> {threshold, periodMinutes}`,
      example,
    );
    return [];
  }
  const alarms: CategoryAlarmConfig[] = [];
  for (const [category, settings] of Object.entries(value)) {
    const path = `alarms.${category}`;
    if (!isCategory(category)) {
      out.add(path, `is not a category id (one of ${CATEGORIES.join(', ')})`, example);
      continue;
    }
    if (CLIENT_ONLY_CATEGORIES.includes(category)) {
      out.add(
        path,
        'is seen only by clients, never in a stage log, so an alarm on it would never fire',
        example,
      );
      continue;
    }
    if (!isObject(settings)) {
      out.add(path, `${describe(settings)} is not an object`, '{"threshold": 100, "periodMinutes": 5}');
      continue;
    }
    out.unknownKeys(settings, path, ALARM_KEYS, '{"threshold": 100, "periodMinutes": 5}');
    const threshold = settings.threshold;
    const periodMinutes = settings.periodMinutes ?? DEFAULT_ALARM_PERIOD_MINUTES;
    let ok = true;
    if (typeof threshold !== 'number' || !Number.isInteger(threshold) || threshold < 1) {
      out.add(
        `${path}.threshold`,
        `${describe(threshold)} is not a whole number of 403s, at least 1`,
        '"threshold": 100',
      );
      ok = false;
    }
    if (
      typeof periodMinutes !== 'number' ||
      !Number.isInteger(periodMinutes) ||
      periodMinutes < 1 ||
      periodMinutes > 1440
    ) {
      out.add(
        `${path}.periodMinutes`,
        `${describe(periodMinutes)} is not a whole number of minutes from 1 to 1440`,
        '"periodMinutes": 5',
      );
      ok = false;
    }
    if (ok) alarms.push({ category, threshold: threshold as number, periodMinutes: periodMinutes as number });
  }
  return alarms;
}

/** Parses the raw `apigw403` context value (an object, or its JSON text as given by `-c`). */
export function parseConfig(raw: unknown): ConfigResult {
  const out = new Collector();
  let value = raw;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      value = undefined;
    }
  }
  if (!isObject(value)) {
    return {
      ok: false,
      errors: [
        `${CONTEXT_KEY}: ${describe(raw)} is not an object with the APIs to watch. Example (cdk.json "context"): ` +
          JSON.stringify({ [CONTEXT_KEY]: EXAMPLE_CONTEXT }),
      ],
    };
  }
  out.unknownKeys(value, '', TOP_KEYS, JSON.stringify(EXAMPLE_CONTEXT));
  const stackName =
    value.stackName === undefined
      ? DEFAULT_STACK_NAME
      : out.string(
          value,
          '',
          'stackName',
          STACK_NAME,
          'a CloudFormation stack name',
          `"stackName": "${DEFAULT_STACK_NAME}"`,
        );
  const apis = readApis(value, out);
  const alertEmails = readEmails(value, out);
  const slack = readSlack(value, out);
  if (alertEmails.length === 0 && value.alertEmails === undefined && value.slack === undefined) {
    out.add(
      'alertEmails',
      'is missing and so is slack: alerts would go nowhere',
      '"alertEmails": ["api-oncall@example.com"]',
    );
  }
  const cooldownMinutes = out.integer(
    value,
    'cooldownMinutes',
    { min: 0, max: 1440 },
    DEFAULT_COOLDOWN_MINUTES,
    '"cooldownMinutes": 15',
  );
  const minAlertCount = out.integer(
    value,
    'minAlertCount',
    { min: 1, max: 1_000_000 },
    DEFAULT_MIN_ALERT_COUNT,
    '"minAlertCount": 1',
  );
  const alarms = readAlarms(value, out);
  let logRetentionDays: number = DEFAULT_LOG_RETENTION_DAYS;
  if (value.logRetentionDays !== undefined) {
    if ((LOG_RETENTION_DAYS as readonly unknown[]).includes(value.logRetentionDays)) {
      logRetentionDays = value.logRetentionDays as number;
    } else {
      out.add(
        'logRetentionDays',
        `${describe(value.logRetentionDays)} is not a CloudWatch Logs retention (${LOG_RETENTION_DAYS.join(', ')})`,
        '"logRetentionDays": 30',
      );
    }
  }
  const kmsEncryption = out.boolean(value, '', 'kmsEncryption', false, '"kmsEncryption": true');
  let reservedConcurrency: number | null = DEFAULT_RESERVED_CONCURRENCY;
  if (value.reservedConcurrency === null) reservedConcurrency = null;
  else
    reservedConcurrency = out.integer(
      value,
      'reservedConcurrency',
      { min: 1, max: 1000 },
      DEFAULT_RESERVED_CONCURRENCY,
      '"reservedConcurrency": 5 (or null for none)',
    );

  if (out.errors.length > 0 || stackName === undefined) return { ok: false, errors: out.errors };
  return {
    ok: true,
    config: {
      stackName,
      apis,
      alertEmails,
      ...slack,
      cooldownMinutes,
      minAlertCount,
      alarms,
      logRetentionDays,
      kmsEncryption,
      reservedConcurrency,
    },
  };
}
