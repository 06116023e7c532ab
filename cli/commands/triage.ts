import { type Command, Option } from 'commander';
import {
  classifyDocuments,
  executionLogGroupName,
  type Finding,
  groupFindings,
} from '../../lambda/core/index.js';
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
  let sinceMs: number;
  try {
    sinceMs = parseDuration(options.since);
  } catch (error) {
    io.stderr(`apigw403 triage: ${(error as Error).message}\n`);
    return EXIT_USAGE;
  }
  const now = run.now ?? Date.now();
  const startTime = now - sinceMs;
  try {
    const clients = awsClients(options.region);
    const api = await readApi(clients, options.api);
    if (!api)
      return fail(
        io,
        `API ${options.api} not found in this account and region (check --api and --region; retrying will not help)`,
      );
    const stage = await readStage(clients, api, options.stage);
    if (!stage)
      return fail(io, `stage ${options.stage} not found on API ${options.api} (retrying will not help)`);
    const targets = logTargets(stage, options.accessLogGroup, io);
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
    for (const read of reads.filter((entry) => entry.missing)) {
      io.stderr(
        `apigw403 triage: log group ${read.logGroup} does not exist (nothing logged yet, or logging is off)\n`,
      );
    }
    if (reads.length > 0 && reads.every((read) => read.missing)) {
      return fail(io, "none of the stage's log groups exists: run `apigw403 doctor` for the fix");
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
      io.stderr(`apigw403 triage: interrupted; showing the ${stats.events} events read so far\n`);
    print(io, options, { findings, stats, reads, interrupted, startTime });
    return interrupted ? EXIT_INTERRUPTED : EXIT_OK;
  } catch (error) {
    return fail(io, describeAwsError('reading the stage and its logs', error));
  }
}

interface LogTarget {
  readonly role: 'access' | 'execution';
  readonly group: string;
  readonly pattern: string;
}

/** The stage's log groups, each with the pattern that fetches its 403 evidence only. */
function logTargets(stage: StageInfo, accessLogGroup: string | undefined, io: CommandIo): LogTarget[] {
  const targets: LogTarget[] = [];
  const accessGroup = accessLogGroup ?? stage.accessLog?.groupName;
  if (accessGroup) {
    // Without the format, only a term pattern is safe: a JSON pattern would select nothing from CLF lines.
    const patternOptions = stage.accessLog?.format
      ? patternOptionsFor(stage.accessLog.format)
      : { format: 'text' as const };
    targets.push({ role: 'access', group: accessGroup, pattern: accessLogFilterPattern(patternOptions) });
  } else {
    io.stderr(
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
    ? (events: number, pages: number) => io.stderr(`\r${target.group}: ${events} events, ${pages} pages`)
    : undefined;
  const read = await readGroup(clients.logs, target.group, target.pattern, { ...options, onProgress });
  if (onProgress) io.stderr('\n');
  return read;
}

function fail(io: CommandIo, message: string): number {
  io.stderr(`apigw403 triage: ${message}\n`);
  return EXIT_PROBLEM;
}

interface TriageResult {
  readonly findings: Finding[];
  readonly stats: ReturnType<typeof classifyDocuments>['stats'];
  readonly reads: readonly GroupRead[];
  readonly interrupted: boolean;
  readonly startTime: number;
}

function print(io: CommandIo, options: TriageOptions, result: TriageResult): void {
  if (options.output === 'jsonl') {
    for (const finding of result.findings) io.stdout(`${JSON.stringify(finding)}\n`);
    return;
  }
  if (options.output === 'json') {
    io.stdout(
      `${JSON.stringify(
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
        null,
        2,
      )}\n`,
    );
    return;
  }
  io.stdout(renderSummaryTable(result.findings));
  if (io.stdoutIsTTY && result.findings.length > 0) io.stdout(`\n${renderCategoryChart(result.findings)}`);
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
