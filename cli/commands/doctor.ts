import { DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { type Command, Option } from 'commander';
import {
  analyzeAccessLogFormat,
  executionLogGroupName,
  recommendedAccessLogFormat,
} from '../../lambda/core/index.js';
import { shellQuote } from '../../lambda/core/shell.js';
import { SUBSCRIPTION_FILTERS_PER_LOG_GROUP } from '../../lambda/core/subscription-check.js';
import { patternOptionsFor, selectsForbiddenLines } from '../../lib/filter-patterns.js';
import { readApi, readStage, type StageInfo } from '../aws/api-gateway.js';
import { type AwsClients, awsClients, describeAwsError } from '../aws/clients.js';
import { subscriptionFiltersOf } from '../aws/subscriptions.js';
import {
  type CommandIo,
  ComposedText,
  EXIT_OK,
  EXIT_PROBLEM,
  EXIT_USAGE,
  processIo,
  type SafeOutput,
  safeName,
  safeOutput,
  safeText,
} from './command-io.js';
import { policyText, readStagePolicy } from './doctor-policy.js';

export interface DoctorOptions {
  readonly api: string;
  readonly stage: string;
  readonly region?: string;
  readonly monitorFunction: string;
  /** The deployed monitor function (the stack's MonitorFunctionName output), whose noise policy is shown. */
  readonly function?: string;
  /** A cdk.json (or its `apigw403` object) whose noise policy is shown, when no function is given. */
  readonly config?: string;
  readonly output: 'text' | 'json';
}

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface Check {
  readonly id: string;
  readonly status: CheckStatus;
  readonly detail: string;
  /** What to do, for a person: the commands below, or advice when no command can do it. */
  readonly fix?: string;
  /** Shell commands that apply the fix, in order, each runnable as printed (tested with the AWS CLI). */
  readonly commands?: readonly string[];
}

/** Where the fixes point: the region and account the stage lives in. */
interface Target {
  readonly region: string;
  /** `undefined` when no log group in the account names it: the commands then ask STS. */
  readonly accountId?: string;
}

export const DEFAULT_MONITOR_NAME = 'Apigw403Monitor';

/**
 * `apigw403 doctor`: checks a stage's logging lets the monitor classify its 403s. Exit 0 when it can
 * (warnings allowed), 1 when it cannot (every failing check prints its fix), 2 for a usage error.
 */
export async function runDoctor(options: DoctorOptions, io: CommandIo = processIo): Promise<number> {
  const output = safeOutput(io);
  const policy = await readStagePolicy(options);
  if ('usage' in policy) {
    output.err(`apigw403 doctor: ${policy.problem}\n`);
    return EXIT_USAGE;
  }
  const clients = awsClients(options.region);
  let checks: Check[];
  try {
    checks = await diagnose(clients, options);
  } catch (error) {
    output.err(`apigw403 doctor: ${describeAwsError('reading the stage and its log groups', error)}\n`);
    return EXIT_PROBLEM;
  }
  const classifiable = !checks.some((check) => check.status === 'fail');
  if (options.output === 'json') {
    // Each value in a check passed `safeName` or `safeText` as it was composed (see `diagnose`).
    const composed = checks.map(({ detail, fix, commands, ...check }) => ({
      ...check,
      detail: new ComposedText(detail),
      ...(fix === undefined ? {} : { fix: new ComposedText(fix) }),
      ...(commands ? { commands: commands.map((command) => new ComposedText(command)) } : {}),
    }));
    const names = {
      apiId: new ComposedText(safeName(options.api)),
      stage: new ComposedText(safeName(options.stage)),
    };
    output.json({ ...names, classifiable, checks: composed, policy }, 2);
  } else printText(output, checks, policyText(policy), `${safeName(options.api)}/${safeName(options.stage)}`);
  return classifiable ? EXIT_OK : EXIT_PROBLEM;
}

function printText(output: SafeOutput, checks: readonly Check[], policy: string, where: string): void {
  const classifiable = !checks.some((check) => check.status === 'fail');
  const mark: Record<CheckStatus, string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };
  // Composed, not `out`: redacting the whole line would hide the names `diagnose` kept.
  for (const check of checks) {
    output.composed(new ComposedText(`[${mark[check.status]}] ${check.id}: ${check.detail}\n`));
    if (check.fix && check.status !== 'ok') output.composed(new ComposedText(`       fix: ${check.fix}\n`));
    if (check.status !== 'ok')
      for (const command of check.commands ?? []) output.composed(new ComposedText(`         ${command}\n`));
  }
  output.out(`\n${policy}\n`);
  output.composed(
    new ComposedText(
      classifiable
        ? `\nThe monitor can classify ${where}.\n`
        : `\nThe monitor cannot classify ${where}: apply the fixes marked FAIL.\n`,
    ),
  );
}

/** What API Gateway calls the API's type: v2 APIs are HTTP or WebSocket by their protocol type. */
function apiLabel(api: { readonly kind: 'rest' | 'http'; readonly webSocket?: boolean }): string {
  if (api.kind === 'rest') return 'REST';
  return api.webSocket ? 'WebSocket' : 'HTTP';
}

/**
 * The checks, composed of the CLI's own text and values that each passed `safeName` (names AWS
 * returned or the user gave) or `safeText` (any other text AWS returned): they are printed without
 * redacting the whole, which would hide the names.
 */
async function diagnose(clients: AwsClients, options: DoctorOptions): Promise<Check[]> {
  const api = await readApi(clients, options.api);
  const region = options.region ?? (await clients.logs.config.region());
  if (!api) {
    return [
      {
        id: 'api',
        status: 'fail',
        detail: `no REST, HTTP or WebSocket API ${safeName(options.api)} in this account and region`,
        fix: 'check --api and --region',
      },
    ];
  }
  const stage = await readStage(clients, api, options.stage);
  if (!stage) {
    return [
      {
        id: 'stage',
        status: 'fail',
        detail: `${apiLabel(api)} API ${safeName(api.apiId)} has no stage ${safeName(options.stage)}`,
        fix: 'check --stage (names are case-sensitive)',
      },
    ];
  }
  const checks: Check[] = [
    {
      id: 'stage',
      status: 'ok',
      detail: `${apiLabel(api)} API ${safeName(api.apiId)}, stage ${safeName(stage.stage)}`,
    },
  ];
  const target: Target = { region, ...(await accountIdOf(clients, stage)) };
  checks.push(...(await accessLogChecks(clients, stage, target)));
  if (api.kind === 'rest') checks.push(executionLoggingCheck(stage, target));
  const groups = [
    ...(stage.accessLog ? [{ role: 'access', name: stage.accessLog.groupName, required: true }] : []),
    ...(api.kind === 'rest' && stage.executionLoggingLevel !== 'OFF'
      ? [{ role: 'execution', name: executionLogGroupName(api.apiId, stage.stage), required: false }]
      : []),
  ];
  for (const group of groups) {
    const exists = await logGroupExists(clients, group.name);
    if (!exists) {
      checks.push({
        id: `${group.role}-log-group`,
        status: group.required ? 'fail' : 'warn',
        detail: `log group ${groupText(group.name)} does not exist${group.required ? '' : ' (API Gateway creates it on the first logged request)'}`,
        fix: 'create it',
        commands: [createLogGroupCommand(group.name, target)],
      });
      continue;
    }
    checks.push({
      id: `${group.role}-log-group`,
      status: 'ok',
      detail: `log group ${groupText(group.name)} exists`,
    });
    const format = group.role === 'access' ? stage.accessLog?.format : undefined;
    checks.push(await subscriptionCheck(clients, { ...group, target, format }, options.monitorFunction));
  }
  return checks;
}

async function accessLogChecks(clients: AwsClients, stage: StageInfo, target: Target): Promise<Check[]> {
  const kind = stage.api.webSocket ? 'websocket' : stage.api.kind;
  const format = stage.accessLog?.format;
  const recommended = recommendedAccessLogFormat(kind);
  if (!stage.accessLog || !format) {
    const group = stage.accessLog?.groupName ?? defaultAccessLogGroup(stage);
    const create = (await logGroupExists(clients, group)) ? [] : [createLogGroupCommand(group, target)];
    return [
      {
        id: 'access-logging',
        status: 'fail',
        detail: 'access logging is off: the monitor counts and classifies 403s from the access log',
        fix: `send the access log to ${groupText(group)} in the format the classifier reads`,
        commands: [...create, setAccessLogCommand(stage, group, recommended, target)],
      },
    ];
  }
  const analysis = analyzeAccessLogFormat(format, kind);
  const checks: Check[] = [
    {
      id: 'access-logging',
      status: 'ok',
      detail: `access logging to ${groupText(stage.accessLog.groupName)} (${analysis.kind})`,
    },
  ];
  const fix = {
    fix: 'set the format the classifier reads',
    commands: [setAccessLogCommand(stage, stage.accessLog.groupName, recommended, target)],
  };
  if (!analysis.classifiable) {
    checks.push({
      id: 'access-log-format',
      status: 'fail',
      detail: `the format cannot tell 403 causes apart; missing ${analysis.missingVariables.join(', ')}`,
      ...fix,
    });
  } else if (analysis.missingVariables.length > 0) {
    checks.push({
      id: 'access-log-format',
      status: 'warn',
      detail: `the format lacks ${analysis.missingVariables.join(', ')}: some causes will be ranked, not decided`,
      ...fix,
    });
  } else {
    checks.push({
      id: 'access-log-format',
      status: 'ok',
      detail: 'the format holds every field the classifier uses',
    });
  }
  return checks;
}

/** `/aws/apigateway/{api}/{stage}`, with the characters log group names cannot hold (`$default`) left out. */
export function defaultAccessLogGroup(stage: StageInfo): string {
  const name = stage.stage.replace(/[^\w\-./#]/g, '') || 'default';
  return `/aws/apigateway/${stage.api.apiId}/${name}`;
}

/**
 * A value read from AWS as one shell word: redacted and terminal-safe on its own, since the command
 * around it is printed without redaction (which would break its quoting).
 */
function word(value: string): string {
  return shellQuote(safeText(value));
}

/** `word` for a name AWS returned (see `safeName`). */
function nameWord(value: string): string {
  return shellQuote(safeName(value));
}

/** The log groups API Gateway names after a stage: `/aws/apigateway/{api}/{stage}`, `API-Gateway-Execution-Logs_{api}/{stage}`. */
const STAGE_GROUP =
  /^(\/aws\/apigateway\/|API-Gateway-Execution-Logs_)([a-z0-9]{10})\/([A-Za-z0-9_-]{1,128})$/;

/**
 * A log group name for text: one named after a stage keeps its API id and stage as `safeName` does;
 * any other is redacted as text (a name with `/` is no `redactName` name).
 */
function groupText(group: string): string {
  const match = STAGE_GROUP.exec(group);
  if (!match) return safeText(group);
  return `${match[1]}${safeName(match[2] ?? '')}/${safeName(match[3] ?? '')}`;
}

/** `word` for a log group name (see `groupText`). */
function groupWord(group: string): string {
  return shellQuote(groupText(group));
}

const ACCOUNT_TOKEN = 'ACCOUNTIDTOKEN';

/**
 * A quoted shell word holding the account id: the known one, else (no log group in the account names
 * it) the caller's account from STS, substituted by the shell between two single-quoted halves.
 */
function withAccount(quotedWord: string, target: Target): string {
  const account = target.accountId ?? `'"$(aws sts get-caller-identity --query Account --output text)"'`;
  return quotedWord.replaceAll(ACCOUNT_TOKEN, account);
}

function createLogGroupCommand(group: string, target: Target): string {
  return `aws logs create-log-group --log-group-name ${groupWord(group)} --region ${word(target.region)}`;
}

function setAccessLogCommand(stage: StageInfo, group: string, format: string, target: Target): string {
  const arn = `arn:aws:logs:${safeText(target.region)}:${ACCOUNT_TOKEN}:log-group:${groupText(group)}`;
  const where = `--stage-name ${nameWord(stage.stage)} --region ${word(target.region)}`;
  if (stage.api.kind === 'http') {
    const settings = shellQuote(JSON.stringify({ DestinationArn: arn, Format: format }));
    return `aws apigatewayv2 update-stage --api-id ${nameWord(stage.api.apiId)} ${where} --access-log-settings ${withAccount(settings, target)}`;
  }
  // JSON, not the shorthand syntax: a format holds `"` and `,`, which the shorthand parser rejects.
  const operations = shellQuote(
    JSON.stringify([
      { op: 'replace', path: '/accessLogSettings/destinationArn', value: arn },
      { op: 'replace', path: '/accessLogSettings/format', value: format },
    ]),
  );
  return `aws apigateway update-stage --rest-api-id ${nameWord(stage.api.apiId)} ${where} --patch-operations ${withAccount(operations, target)}`;
}

function executionLoggingCheck(stage: StageInfo, target: Target): Check {
  const level = stage.executionLoggingLevel ?? 'OFF';
  const fix = {
    fix: 'log execution at INFO (the account needs its CloudWatch Logs role: aws apigateway get-account)',
    commands: [
      `aws apigateway update-stage --rest-api-id ${nameWord(stage.api.apiId)} --stage-name ${nameWord(stage.stage)} --region ${word(target.region)} --patch-operations ${shellQuote('op=replace,path=/*/*/logging/loglevel,value=INFO')}`,
    ],
  };
  if (level === 'INFO') return { id: 'execution-logging', status: 'ok', detail: 'execution logging at INFO' };
  if (level === 'ERROR') {
    return {
      id: 'execution-logging',
      status: 'warn',
      detail:
        'execution logging at ERROR: which 403 evidence lines (usage-plan reason, authorizer policy) ERROR keeps is not documented; INFO keeps them all',
      ...fix,
    };
  }
  return {
    id: 'execution-logging',
    status: 'warn',
    detail:
      'execution logging is off: API-key reasons, authorizer policies and mTLS reasons will be missing (classification still works from the access log)',
    ...fix,
  };
}

/** The account from a log group ARN (the stage's destination, else any group the account has). */
async function accountIdOf(clients: AwsClients, stage: StageInfo): Promise<{ accountId?: string }> {
  const fromArn = (arn: string | undefined) => /^arn:[^:]+:logs:[^:]*:(\d{12}):/.exec(arn ?? '')?.[1];
  const known = fromArn(stage.accessLog?.destinationArn);
  if (known) return { accountId: known };
  const page = await clients.logs.send(new DescribeLogGroupsCommand({ limit: 1 }));
  const accountId = fromArn(page.logGroups?.[0]?.arn);
  return accountId ? { accountId } : {};
}

async function logGroupExists(clients: AwsClients, name: string): Promise<boolean> {
  const page = await clients.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }));
  return (page.logGroups ?? []).some((group) => group.logGroupName === name);
}

async function subscriptionCheck(
  clients: AwsClients,
  group: { role: string; name: string; required: boolean; target: Target; format?: string | undefined },
  monitorName: string,
): Promise<Check> {
  const filters = await subscriptionFiltersOf(clients, group.name);
  const isMonitor = (filter: { filterName?: string; destinationArn?: string }) =>
    Boolean(filter.destinationArn?.includes(monitorName) || filter.filterName?.startsWith(monitorName));
  const monitor = filters.find(isMonitor);
  const others = filters.filter((filter) => !isMonitor(filter));
  const usage = `${filters.length} of ${SUBSCRIPTION_FILTERS_PER_LOG_GROUP} subscription filter slots used${others.length ? `; others: ${others.map((filter) => `${safeName(filter.filterName ?? '')} -> ${safeText(filter.destinationArn ?? '')}`).join(', ')}` : ''}`;
  const id = `${group.role}-subscription`;
  if (monitor && group.format && selectsForbiddenLines(monitor.filterPattern ?? '', group.format) === false) {
    // Subscribed, yet CloudWatch Logs would deliver none of the stage's 403s: the monitor stays silent.
    return {
      id,
      status: group.required ? 'fail' : 'warn',
      detail: `the monitor's filter ${safeName(monitor.filterName ?? '')} is subscribed, but its pattern selects no 403 line of the stage's access-log format; ${usage}`,
      fix: `deploy the monitor with ${patternSettings(group.format)} for this stage (cdk deploy)`,
    };
  }
  if (monitor)
    return {
      id,
      status: 'ok',
      detail: `the monitor's filter ${safeName(monitor.filterName ?? '')} is subscribed; ${usage}`,
    };
  const full = filters.length >= SUBSCRIPTION_FILTERS_PER_LOG_GROUP;
  const detail = `no filter to the monitor (${safeName(monitorName)}); ${usage}`;
  if (!full) {
    return {
      id,
      status: 'warn',
      detail,
      fix: 'deploy the monitor with this stage in its watched stages (cdk deploy)',
    };
  }
  return {
    id,
    status: group.required ? 'fail' : 'warn',
    detail,
    fix: 'free a slot with one of these commands (or ask AWS whether this account has 5), then deploy the monitor',
    commands: others.map(
      (filter) =>
        `aws logs delete-subscription-filter --log-group-name ${groupWord(group.name)} --filter-name ${nameWord(filter.filterName ?? '')} --region ${word(group.target.region)}`,
    ),
  };
}

/** The watched stage's settings (README, `apis[]`) whose filter selects the 403 lines of `format`. */
function patternSettings(format: string): string {
  const options = patternOptionsFor(format);
  if (options.format === 'text') return 'apis[].accessLogFormat "text"';
  // The keys are the stage's format's, as AWS returned it.
  const responseTypeKey =
    options.responseTypeKey === null ? 'null' : `"${safeText(options.responseTypeKey ?? '')}"`;
  return `apis[].statusKey "${safeText(options.statusKey ?? '')}" and apis[].responseTypeKey ${responseTypeKey}`;
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      "Check a stage's logging lets the monitor classify its 403s, print the fixes and the stage's noise policy.",
    )
    .requiredOption('--api <id>', 'the API id (REST, HTTP or WebSocket API)')
    .requiredOption('--stage <name>', 'the stage name')
    .option('--region <region>', "the API's region (default: the SDK's)")
    .option(
      '--monitor-function <name>',
      'a name the monitor function ARN or filter names contain',
      DEFAULT_MONITOR_NAME,
    )
    .option(
      '--function <name>',
      "the deployed monitor function (stack output MonitorFunctionName): show the stage's noise policy",
    )
    .option('--config <file>', "a cdk.json (or its apigw403 object): show the stage's noise policy from it")
    .addOption(new Option('-o, --output <format>', 'text or json').choices(['text', 'json']).default('text'))
    .action(async (options: DoctorOptions) => {
      process.exitCode = await runDoctor(options);
    });
}
