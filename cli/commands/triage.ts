import { type Command, Option } from 'commander';
import {
  classifyDocuments,
  executionLogGroupName,
  type Finding,
  groupFindings,
} from '../../lambda/core/index.js';
import { shellQuote } from '../../lambda/core/shell.js';
import {
  accessLogFilterPattern,
  executionLogFilterPattern,
  patternOptionsFor,
} from '../../lib/filter-patterns.js';
import { readApi, readStage, type StageInfo } from '../aws/api-gateway.js';
import { type AwsClients, awsClients, describeAwsError } from '../aws/clients.js';
import { type GroupRead, type ReadGroupOptions, readGroup } from '../aws/log-reader.js';
import { renderCategoryChart } from '../format-chart.js';
import { renderSummaryTable } from '../format-table.js';
import {
  abortOnSigint,
  type CommandIo,
  EXIT_INTERRUPTED,
  EXIT_OK,
  EXIT_PROBLEM,
  EXIT_USAGE,
  parseDuration,
  processIo,
  type SafeOutput,
  safeOutput,
  safeText,
} from './command-io.js';

export interface TriageOptions {
  readonly api: string;
  readonly stage: string;
  readonly since: string;
  readonly region?: string;
  readonly output: 'table' | 'jsonl' | 'json';
  readonly accessLogGroup?: string;
  readonly maxPages?: number;
}

interface TriageRun {
  readonly signal?: AbortSignal;
  readonly now?: number;
}

/**
 * `apigw403 triage`: reads a stage's past 403 evidence and summarises it. Exit 0 when read (whether
 * or not 403s were found), 1 when the stage or its logs cannot be read, 2 for a usage error, 130
 * when Ctrl-C stopped the read (what was read is still printed).
 */
export async function runTriage(
  options: TriageOptions,
  io: CommandIo = processIo,
  run: TriageRun = {},
): Promise<number> {
  const output = safeOutput(io);
  let sinceMs: number;
  try {
    sinceMs = parseDuration(options.since);
  } catch (error) {
    output.err(`apigw403 triage: ${(error as Error).message}\n`);
    return EXIT_USAGE;
  }
  const now = run.now ?? Date.now();
  const startTime = now - sinceMs;
  try {
    const clients = awsClients(options.region);
    const api = await readApi(clients, options.api);
    if (!api)
      return fail(
        output,
        `API ${options.api} not found in this account and region (check --api and --region; retrying will not help)`,
      );
    const stage = await readStage(clients, api, options.stage);
    if (!stage)
      return fail(output, `stage ${options.stage} not found on API ${options.api} (retrying will not help)`);
    const targets = logTargets(stage, options.accessLogGroup, output);
    if (targets.length === 0) {
      return fail(
        output,
        `${stage.api.kind === 'http' ? 'HTTP API' : 'API'} ${api.apiId} stage ${stage.stage} has no access logging, so it has no 403s to read: turn it on (${doctorCommand(api.apiId, stage.stage)} prints the command), or give --access-log-group`,
      );
    }
    const reads: GroupRead[] = [];
    for (const target of targets) {
      if (run.signal?.aborted) break;
      reads.push(
        await readWithProgress(clients, target, io, {
          startTime,
          endTime: now,
          signal: run.signal,
          maxPages: options.maxPages,
        }),
      );
    }
    const doctor = doctorCommand(api.apiId, stage.stage);
    const missingAccess = reads.find(
      (read) => read.missing && read.logGroup === targets[0]?.group && targets[0]?.role === 'access',
    );
    if (missingAccess) {
      return fail(
        output,
        `access log group ${missingAccess.logGroup} does not exist: ${options.accessLogGroup ? 'check --access-log-group' : `the stage logs to it but nothing was written yet, or it was deleted; ${doctor} prints the fix`}`,
      );
    }
    if (reads.length > 0 && reads.every((read) => read.missing)) {
      return fail(
        output,
        `none of the stage's log groups exists (${reads.map((read) => read.logGroup).join(', ')}): ${doctor} prints the fix`,
      );
    }
    for (const read of reads.filter((entry) => entry.missing)) {
      output.err(
        `apigw403 triage: log group ${read.logGroup} does not exist (nothing logged yet, or logging is off); reading the others\n`,
      );
    }
    const accessGroup = targets.find((target) => target.role === 'access')?.group;
    const { findings, stats } = classifyDocuments(
      reads.flatMap((read) => read.documents),
      {
        resolveStage: (group) =>
          group === accessGroup ? { apiId: api.apiId, stage: stage.stage } : undefined,
      },
    );
    const interrupted = run.signal?.aborted === true;
    if (interrupted)
      output.err(`apigw403 triage: interrupted; showing the ${stats.events} events read so far\n`);
    print(output, io, options, { findings, stats, reads, interrupted, startTime });
    return interrupted ? EXIT_INTERRUPTED : EXIT_OK;
  } catch (error) {
    return fail(output, describeAwsError('reading the stage and its logs', error));
  }
}

interface LogTarget {
  readonly role: 'access' | 'execution';
  readonly group: string;
  readonly pattern: string;
}

/** The stage's log groups, each with the pattern that fetches its 403 evidence only. */
function logTargets(stage: StageInfo, accessLogGroup: string | undefined, output: SafeOutput): LogTarget[] {
  const targets: LogTarget[] = [];
  const accessGroup = accessLogGroup ?? stage.accessLog?.groupName;
  if (accessGroup) {
    // Without the format, only a term pattern is safe: a JSON pattern would select nothing from CLF lines.
    const patternOptions = stage.accessLog?.format
      ? patternOptionsFor(stage.accessLog.format)
      : { format: 'text' as const };
    targets.push({ role: 'access', group: accessGroup, pattern: accessLogFilterPattern(patternOptions) });
  } else if (stage.api.kind === 'rest') {
    output.err(
      'apigw403 triage: the stage has no access logging; reading execution logs only (see `apigw403 doctor`)\n',
    );
  }
  if (stage.api.kind === 'rest') {
    targets.push({
      role: 'execution',
      group: executionLogGroupName(stage.api.apiId, stage.stage),
      pattern: executionLogFilterPattern(),
    });
  }
  return targets;
}

async function readWithProgress(
  clients: AwsClients,
  target: LogTarget,
  io: CommandIo,
  options: Omit<ReadGroupOptions, 'onProgress'>,
): Promise<GroupRead> {
  const onProgress = io.stderrIsTTY
    ? (events: number, pages: number) =>
        io.stderr(`\r${safeText(target.group)}: ${events} events, ${pages} pages`)
    : undefined;
  const read = await readGroup(clients.logs, target.group, target.pattern, { ...options, onProgress });
  if (onProgress) io.stderr('\n');
  return read;
}

function fail(output: SafeOutput, message: string): number {
  output.err(`apigw403 triage: ${message}\n`);
  return EXIT_PROBLEM;
}

interface TriageResult {
  readonly findings: Finding[];
  readonly stats: ReturnType<typeof classifyDocuments>['stats'];
  readonly reads: readonly GroupRead[];
  readonly interrupted: boolean;
  readonly startTime: number;
}

function print(output: SafeOutput, io: CommandIo, options: TriageOptions, result: TriageResult): void {
  if (options.output === 'jsonl') {
    for (const finding of result.findings) output.json(finding);
    return;
  }
  if (options.output === 'json') {
    output.json(
      {
        apiId: options.api,
        stage: options.stage,
        since: new Date(result.startTime).toISOString(),
        interrupted: result.interrupted,
        logGroups: result.reads.map(({ documents: _documents, ...read }) => read),
        stats: result.stats,
        groups: groupFindings(result.findings),
        findings: result.findings,
      },
      2,
    );
    return;
  }
  output.composed(renderSummaryTable(result.findings));
  if (io.stdoutIsTTY && result.findings.length > 0) {
    output.out('\n');
    output.composed(renderCategoryChart(result.findings));
  }
}

export function registerTriage(program: Command): void {
  program
    .command('triage')
    .description("Classify a stage's past 403s from its access and execution logs (FilterLogEvents).")
    .requiredOption('--api <id>', 'the API id (REST or HTTP API)')
    .requiredOption('--stage <name>', 'the stage name')
    .option('--since <duration>', 'how far back to read: 30m, 24h, 7d', '24h')
    .option('--region <region>', "the API's region (default: the SDK's)")
    .option('--access-log-group <name>', "read this access log group instead of the stage's destination")
    .addOption(
      new Option(
        '-o, --output <format>',
        'table: summary (and a chart on a terminal); jsonl: one finding per line; json: everything',
      )
        .choices(['table', 'jsonl', 'json'])
        .default('table'),
    )
    .action(async (options: TriageOptions) => {
      const sigint = abortOnSigint();
      try {
        process.exitCode = await runTriage(options, processIo, { signal: sigint.signal });
      } finally {
        sigint.dispose();
      }
    });
}

/** The doctor command for a stage, in backquotes, its names quoted to paste (`$default` stays `$default`). */
function doctorCommand(apiId: string, stage: string): string {
  return `\`apigw403 doctor --api ${shellQuote(apiId)} --stage ${shellQuote(stage)}\``;
}
