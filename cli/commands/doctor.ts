import { DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { type Command, Option } from 'commander';
import {
  analyzeAccessLogFormat,
  executionLogGroupName,
  recommendedAccessLogFormat,
} from '../../lambda/core/index.js';
import { readApi, readStage, type StageInfo } from '../aws/api-gateway.js';
import { type AwsClients, awsClients, describeAwsError } from '../aws/clients.js';
import { subscriptionFiltersOf } from '../aws/subscriptions.js';
import { type CommandIo, EXIT_OK, EXIT_PROBLEM, processIo } from './command-io.js';

export interface DoctorOptions {
  readonly api: string;
  readonly stage: string;
  readonly region?: string;
  readonly monitorFunction: string;
  readonly output: 'text' | 'json';
}

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface Check {
  readonly id: string;
  readonly status: CheckStatus;
  readonly detail: string;
  readonly fix?: string;
}

/**
 * The documented quota is 2 subscription filters per log group; the newest PutAccountPolicy page says
 * 5. Doctor assumes the lower one so it never promises a slot that may not exist.
 */
export const SUBSCRIPTION_FILTER_LIMIT = 2;
export const DEFAULT_MONITOR_NAME = 'Apigw403Monitor';

/**
 * `apigw403 doctor`: checks a stage's logging lets the monitor classify its 403s. Exit 0 when it can
 * (warnings allowed), 1 when it cannot (every failing check prints its fix), 2 for a usage error.
 */
export async function runDoctor(options: DoctorOptions, io: CommandIo = processIo): Promise<number> {
  const clients = awsClients(options.region);
  let checks: Check[];
  try {
    checks = await diagnose(clients, options);
  } catch (error) {
    io.stderr(`apigw403 doctor: ${describeAwsError('reading the stage and its log groups', error)}\n`);
    return EXIT_PROBLEM;
  }
  const classifiable = !checks.some((check) => check.status === 'fail');
  if (options.output === 'json') {
    io.stdout(
      `${JSON.stringify({ apiId: options.api, stage: options.stage, classifiable, checks }, null, 2)}\n`,
    );
  } else {
    const mark: Record<CheckStatus, string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };
    for (const check of checks) {
      io.stdout(`[${mark[check.status]}] ${check.id}: ${check.detail}\n`);
      if (check.fix && check.status !== 'ok')
        io.stdout(`       fix: ${check.fix.replaceAll('\n', '\n            ')}\n`);
    }
    io.stdout(
      classifiable
        ? `\nThe monitor can classify ${options.api}/${options.stage}.\n`
        : `\nThe monitor cannot classify ${options.api}/${options.stage}: apply the fixes marked FAIL.\n`,
    );
  }
  return classifiable ? EXIT_OK : EXIT_PROBLEM;
}

async function diagnose(clients: AwsClients, options: DoctorOptions): Promise<Check[]> {
  const api = await readApi(clients, options.api);
  if (!api) {
    return [
      {
        id: 'api',
        status: 'fail',
        detail: `no REST or HTTP API ${options.api} in this account and region`,
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
        detail: `API ${api.apiId} (${api.kind}) has no stage ${options.stage}`,
        fix: 'check --stage (names are case-sensitive)',
      },
    ];
  }
  const checks: Check[] = [
    {
      id: 'stage',
      status: 'ok',
      detail: `${api.kind === 'rest' ? 'REST' : 'HTTP'} API ${api.apiId}, stage ${stage.stage}`,
    },
  ];
  checks.push(...accessLogChecks(stage));
  if (api.kind === 'rest') checks.push(executionLoggingCheck(stage));
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
        detail: `log group ${group.name} does not exist${group.required ? '' : ' (API Gateway creates it on the first logged request)'}`,
        fix: `aws logs create-log-group --log-group-name '${group.name}'`,
      });
      continue;
    }
    checks.push({ id: `${group.role}-log-group`, status: 'ok', detail: `log group ${group.name} exists` });
    checks.push(
      await subscriptionCheck(clients, group.role, group.name, group.required, options.monitorFunction),
    );
  }
  return checks;
}

function accessLogChecks(stage: StageInfo): Check[] {
  const kind = stage.api.kind;
  const format = stage.accessLog?.format;
  const recommended = recommendedAccessLogFormat(kind);
  if (!stage.accessLog || !format) {
    const arn =
      stage.accessLog?.destinationArn ??
      `arn:aws:logs:<region>:<account-id>:log-group:/aws/apigateway/${stage.api.apiId}/${stage.stage}`;
    return [
      {
        id: 'access-logging',
        status: 'fail',
        detail: 'access logging is off: the monitor counts and classifies 403s from the access log',
        fix: setAccessLogCommand(stage, arn, recommended),
      },
    ];
  }
  const analysis = analyzeAccessLogFormat(format, kind);
  const checks: Check[] = [
    {
      id: 'access-logging',
      status: 'ok',
      detail: `access logging to ${stage.accessLog.groupName} (${analysis.kind})`,
    },
  ];
  const fix = setAccessLogCommand(stage, stage.accessLog.destinationArn, recommended);
  if (!analysis.classifiable) {
    checks.push({
      id: 'access-log-format',
      status: 'fail',
      detail: `the format cannot tell 403 causes apart; missing ${analysis.missingVariables.join(', ')}`,
      fix,
    });
  } else if (analysis.missingVariables.length > 0) {
    checks.push({
      id: 'access-log-format',
      status: 'warn',
      detail: `the format lacks ${analysis.missingVariables.join(', ')}: some causes will be ranked, not decided`,
      fix,
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

function setAccessLogCommand(stage: StageInfo, destinationArn: string, format: string): string {
  const arn = destinationArn.replace(/:\*$/, '');
  if (stage.api.kind === 'http') {
    const settings = JSON.stringify({ DestinationArn: arn, Format: format });
    return `aws apigatewayv2 update-stage --api-id ${stage.api.apiId} --stage-name '${stage.stage}' --access-log-settings '${settings}'`;
  }
  return [
    `aws apigateway update-stage --rest-api-id ${stage.api.apiId} --stage-name '${stage.stage}' --patch-operations`,
    `op=replace,path=/accessLogSettings/destinationArn,value=${arn}`,
    `'op=replace,path=/accessLogSettings/format,value=${format}'`,
  ].join(' \\\n');
}

function executionLoggingCheck(stage: StageInfo): Check {
  const level = stage.executionLoggingLevel ?? 'OFF';
  const fix = `aws apigateway update-stage --rest-api-id ${stage.api.apiId} --stage-name '${stage.stage}' --patch-operations 'op=replace,path=/*/*/logging/loglevel,value=INFO'`;
  if (level === 'INFO') return { id: 'execution-logging', status: 'ok', detail: 'execution logging at INFO' };
  if (level === 'ERROR') {
    return {
      id: 'execution-logging',
      status: 'warn',
      detail:
        'execution logging at ERROR: which 403 evidence lines (usage-plan reason, authorizer policy) ERROR keeps is not documented; INFO keeps them all',
      fix,
    };
  }
  return {
    id: 'execution-logging',
    status: 'warn',
    detail:
      'execution logging is off: API-key reasons, authorizer policies and mTLS reasons will be missing (classification still works from the access log)',
    fix,
  };
}

async function logGroupExists(clients: AwsClients, name: string): Promise<boolean> {
  const page = await clients.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }));
  return (page.logGroups ?? []).some((group) => group.logGroupName === name);
}

async function subscriptionCheck(
  clients: AwsClients,
  role: string,
  group: string,
  required: boolean,
  monitorName: string,
): Promise<Check> {
  const filters = await subscriptionFiltersOf(clients, group);
  const isMonitor = (filter: { filterName?: string; destinationArn?: string }) =>
    Boolean(filter.destinationArn?.includes(monitorName) || filter.filterName?.startsWith(monitorName));
  const monitor = filters.find(isMonitor);
  const others = filters
    .filter((filter) => !isMonitor(filter))
    .map((filter) => `${filter.filterName} -> ${filter.destinationArn}`);
  const usage = `${filters.length} of ${SUBSCRIPTION_FILTER_LIMIT} subscription filter slots used (2 is the documented quota; newer docs say 5)${others.length ? `; others: ${others.join(', ')}` : ''}`;
  const id = `${role}-subscription`;
  if (monitor)
    return { id, status: 'ok', detail: `the monitor's filter ${monitor.filterName} is subscribed; ${usage}` };
  const full = filters.length >= SUBSCRIPTION_FILTER_LIMIT;
  return {
    id,
    status: full && required ? 'fail' : 'warn',
    detail: `no filter to the monitor (${monitorName}); ${usage}`,
    fix: full
      ? `free a slot (aws logs delete-subscription-filter --log-group-name '${group}' --filter-name <name>) or ask AWS whether this account has 5, then deploy the monitor`
      : 'deploy the monitor with this stage in its watched stages (cdk deploy)',
  };
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description("Check a stage's logging lets the monitor classify its 403s, and print the fixes.")
    .requiredOption('--api <id>', 'the API id (REST or HTTP API)')
    .requiredOption('--stage <name>', 'the stage name')
    .option('--region <region>', "the API's region (default: the SDK's)")
    .option(
      '--monitor-function <name>',
      'a name the monitor function ARN or filter names contain',
      DEFAULT_MONITOR_NAME,
    )
    .addOption(new Option('-o, --output <format>', 'text or json').choices(['text', 'json']).default('text'))
    .action(async (options: DoctorOptions) => {
      process.exitCode = await runDoctor(options);
    });
}
