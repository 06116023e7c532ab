import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { WatchedStage } from '../../lambda/adapters/env-config.js';
import { type LogsDocument, parseExecutionLogGroup } from '../../lambda/core/index.js';
import { parseNoisePolicy } from '../../lambda/core/noise-policy.js';
import { CONTEXT_KEY, parseConfig } from '../../lib/config.js';
import { readTextFile } from '../input/text.js';
import { readInputs, stageOfLogGroup } from '../input.js';
import { timedDelivery } from './payload.js';
import type { ExecutionSeed } from './scenario.js';
import { type Firings, firings, ScheduleError } from './schedule.js';
import type { TimedDelivery } from './timeline.js';

/** The longest span of event time a replay plays: a stray timestamp years away would sweep for ever. */
export const MAX_REPLAY_DAYS = 7;
const DAY_MS = 24 * 60 * 60_000;

/**
 * `npm start -- --input FILE... [--config FILE]`: every file is checked before the run, and read the
 * way `apigw403 classify` reads it (subscription events, decoded documents, JSON lines of either,
 * AWS CLI and Insights exports, plain log lines). What cannot be read is one line each; the others run.
 */

export interface PreparedInputs {
  /** Each input document's subscription event, at its latest event's timestamp. */
  readonly deliveries: readonly TimedDelivery[];
  /** One line per input that cannot be used, `FILE: reason`. */
  readonly problems: readonly string[];
  readonly watchedStages: readonly WatchedStage[];
  /** The `noisePolicy` of the --config context, as JSON (absent: the default policy). */
  readonly noisePolicy?: string;
  /** Execution lines to put in the local CloudWatch Logs first, for the evidence lookup. */
  readonly executionLogs: readonly ExecutionSeed[];
  /** When the policy's digest schedule fires; absent when the policy deploys none (`digest: false`). */
  readonly digestFirings?: Firings;
}

export class InputUsageError extends Error {}

/** The stages of a cdk.json (its `context.apigw403`) or of the `apigw403` context object itself. */
export async function watchedStagesFromConfig(file: string): Promise<WatchedStage[]> {
  return (await configFrom(file)).watchedStages;
}

/** The stages and the noise policy (JSON) of a cdk.json or of its `apigw403` context object. */
async function configFrom(file: string): Promise<{ watchedStages: WatchedStage[]; noisePolicy: string }> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readTextFile(file));
  } catch (error) {
    throw new InputUsageError(`--config ${file}: ${describeReadError(error)}`);
  }
  const context = (raw as { context?: Record<string, unknown> } | null)?.context?.[CONTEXT_KEY] ?? raw;
  if (typeof context !== 'object' || context === null || !('apis' in context)) {
    throw new InputUsageError(
      `--config ${file}: neither a cdk.json with context.${CONTEXT_KEY} nor an ${CONTEXT_KEY} context object (no "apis")`,
    );
  }
  const result = parseConfig(context);
  if (!result.ok) {
    const more = result.errors.length > 1 ? ` (and ${result.errors.length - 1} more)` : '';
    throw new InputUsageError(`--config ${file}: ${result.errors[0] ?? 'not valid'}${more}`);
  }
  return {
    watchedStages: result.config.apis.map((api) => ({
      apiId: api.apiId,
      stage: api.stage,
      ...(api.accessLogGroup ? { accessLogGroup: api.accessLogGroup } : {}),
      executionLogs: api.executionLogs,
    })),
    noisePolicy: JSON.stringify(result.config.noisePolicy),
  };
}

/** Why `--report FILE` cannot be written, checked before the run; `undefined` when it can. */
export async function reportPathProblem(file: string): Promise<string | undefined> {
  const existing = await stat(file).catch(() => undefined);
  if (existing?.isDirectory()) return `--report ${file}: is a directory`;
  try {
    await access(existing ? file : dirname(file), constants.W_OK);
    return undefined;
  } catch (error) {
    return `--report ${file}: cannot be written (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
  }
}

function describeReadError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'EACCES') return 'permission denied';
  return error instanceof SyntaxError ? `not JSON (${error.message.split('\n')[0]})` : String(code ?? error);
}

/** The policy's digest schedule as the simulated clock fires it; a schedule it cannot fire is a usage error. */
function digestFiringsOf(noisePolicy: string | undefined, config: string | undefined): Firings | undefined {
  const parsed = parseNoisePolicy(noisePolicy === undefined ? undefined : JSON.parse(noisePolicy));
  // parseConfig validated the policy already.
  if (!parsed.ok || !parsed.policy.digest.enabled) return undefined;
  try {
    return firings(parsed.policy.digest.schedule, parsed.policy.digest.timezone);
  } catch (error) {
    if (!(error instanceof ScheduleError)) throw error;
    throw new InputUsageError(`--config ${config}: noisePolicy.${error.setting} ${error.message}`);
  }
}

/** Refuses a replay whose event times span more than MAX_REPLAY_DAYS, naming the two ends. */
function checkSpan(deliveries: readonly TimedDelivery[]): void {
  const sorted = [...deliveries].sort((a, b) => a.at - b.at);
  const [first, last] = [sorted[0], sorted.at(-1)];
  if (!first || !last || last.at - first.at <= MAX_REPLAY_DAYS * DAY_MS) return;
  const end = (delivery: TimedDelivery) =>
    `${delivery.label} at ${Number.isFinite(new Date(delivery.at).getTime()) ? new Date(delivery.at).toISOString() : delivery.at}`;
  throw new InputUsageError(
    `the inputs' events span ${Math.round((last.at - first.at) / DAY_MS)} days (${end(first)} to ${end(last)}); a replay plays at most ${MAX_REPLAY_DAYS} days: check those timestamps or replay the files apart`,
  );
}

export async function prepareInputs(files: readonly string[], config?: string): Promise<PreparedInputs> {
  const configured = config === undefined ? undefined : await configFrom(config);
  const digestFirings = digestFiringsOf(configured?.noisePolicy, config);
  const problems: string[] = [];
  const documents: { label: string; document: LogsDocument }[] = [];
  for (const file of files) {
    const info = await stat(file).catch((error: unknown) => error as NodeJS.ErrnoException);
    if (info instanceof Error) {
      problems.push(`${file}: ${describeReadError(info)}`);
      continue;
    }
    if (info.isDirectory()) {
      problems.push(`${file}: is a directory (give the files in it)`);
      continue;
    }
    const set = await readInputs([file]);
    problems.push(...set.unreadable, ...set.invalid);
    const report = set.files[0];
    if (set.documents.length === 0) {
      if (set.unreadable.length === 0 && report) {
        problems.push(
          `${file}: 0 of ${report.total} ${report.unit} are API Gateway log lines or subscription events${report.hint ? ` (looks like: ${report.hint})` : ''}`,
        );
      }
      continue;
    }
    set.documents.forEach((document, index) => {
      documents.push({ label: set.documents.length > 1 ? `${file} #${index + 1}` : file, document });
    });
  }
  const watchedStages = configured?.watchedStages ?? deriveStages(documents.map((entry) => entry.document));
  const executionLogs = documents.flatMap(({ document }) =>
    parseExecutionLogGroup(document.logGroup)
      ? [{ logGroup: document.logGroup, events: document.logEvents }]
      : [],
  );
  const deliveries = documents.map(({ label, document }) => timedDelivery(label, document));
  checkSpan(deliveries);
  return {
    deliveries,
    problems,
    watchedStages,
    ...(configured ? { noisePolicy: configured.noisePolicy } : {}),
    executionLogs,
    ...(digestFirings ? { digestFirings } : {}),
  };
}

const UNKNOWN = { apiId: 'unknown', stage: 'unknown' };

/**
 * Without `--config`, every log group of the inputs is watched: an execution group as its stage's
 * execution log, an access group as the stage its first JSON line names, else the one its name says.
 * A stage with both keeps its access log as the count and its execution lines as evidence, as deployed.
 */
export function deriveStages(documents: readonly LogsDocument[]): WatchedStage[] {
  const stages = new Map<string, WatchedStage>();
  const keyOf = (ref: { apiId: string; stage: string }) => `${ref.apiId}\u0000${ref.stage}`;
  for (const document of documents) {
    const execution = parseExecutionLogGroup(document.logGroup);
    const ref = execution ?? accessStageOf(document);
    const previous = stages.get(keyOf(ref));
    stages.set(keyOf(ref), {
      apiId: ref.apiId,
      stage: ref.stage,
      executionLogs: Boolean(execution) || previous?.executionLogs === true,
      ...(execution
        ? previous?.accessLogGroup
          ? { accessLogGroup: previous.accessLogGroup }
          : {}
        : { accessLogGroup: document.logGroup }),
    });
  }
  return [...stages.values()];
}

/** The stage the first JSON line names, else the one the group's name says. */
function accessStageOf(document: LogsDocument): { apiId: string; stage: string } {
  for (const event of document.logEvents) {
    try {
      const line = JSON.parse(event.message) as { apiId?: unknown; stage?: unknown };
      if (typeof line.apiId === 'string' && typeof line.stage === 'string')
        return { apiId: line.apiId, stage: line.stage };
    } catch {
      // Not a JSON line: the next one may say.
    }
  }
  return stageOfLogGroup(document.logGroup) ?? UNKNOWN;
}
