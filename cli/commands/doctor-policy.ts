import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CATEGORIES, type Category, CLIENT_ONLY_CATEGORIES } from '../../lambda/core/categories.js';
import {
  type GroupPolicy,
  groupPolicy,
  type MuteRule,
  NOISE_POLICY_ENV,
  type NoisePolicy,
  parseNoisePolicy,
} from '../../lambda/core/noise-policy.js';
import { CONTEXT_KEY, parseConfig } from '../../lib/config.js';
import { describeAwsError } from '../aws/clients.js';
import { readTextFile } from '../input/text.js';

export const NO_POLICY_SOURCE =
  'not shown: give --function NAME (the stack output MonitorFunctionName) or --config cdk.json';

/** One category's settings on a stage, as the monitor applies them, and the mute rules that apply. */
export interface CategoryPolicy extends GroupPolicy {
  readonly category: Category;
  readonly mute: readonly MuteRule[];
}

export interface StagePolicy {
  /** Where the policy was read: the deployed function's NOISE_POLICY, or a `--config` file. */
  readonly source: string;
  readonly digest: NoisePolicy['digest'];
  readonly categories: readonly CategoryPolicy[];
}

export type PolicyResult =
  | { readonly ok: true; readonly policy: StagePolicy }
  | { readonly ok: false; readonly problem: string };

const applies = (
  rule: { apiId?: string; stage?: string; category?: Category },
  apiId: string,
  stage: string,
  category: Category,
) =>
  (rule.apiId ?? apiId) === apiId &&
  (rule.stage ?? stage) === stage &&
  (rule.category ?? category) === category;

/** The stage's policy per category a stage log can show, by the rules the monitor applies (groupPolicy). */
export function stagePolicy(policy: NoisePolicy, apiId: string, stage: string, source: string): StagePolicy {
  return {
    source,
    digest: policy.digest,
    categories: CATEGORIES.filter((category) => !CLIENT_ONLY_CATEGORIES.includes(category)).map(
      (category) => ({
        category,
        ...groupPolicy(policy, { apiId, stage, category }),
        mute: policy.mute.filter((rule) => applies(rule, apiId, stage, category)),
      }),
    ),
  };
}

function fromJson(
  text: string | undefined,
  where: string,
): { ok: true; policy: NoisePolicy } | { ok: false; problem: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text ?? '{}');
  } catch {
    return { ok: false, problem: `${where}: ${NOISE_POLICY_ENV} is not JSON` };
  }
  const parsed = parseNoisePolicy(raw);
  return parsed.ok ? parsed : { ok: false, problem: `${where}: ${parsed.problems.join('; ')}` };
}

/** The policy of a `--config` file shaped like cdk.json (or its `apigw403` object), checked as `cdk synth` checks it. */
export async function policyFromConfigFile(
  file: string,
): Promise<{ ok: true; policy: NoisePolicy } | { ok: false; problem: string }> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readTextFile(file));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      ok: false,
      problem: `--config ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'not JSON')}`,
    };
  }
  const context = (raw as { context?: Record<string, unknown> } | null)?.context?.[CONTEXT_KEY] ?? raw;
  const result = parseConfig(context);
  if (!result.ok) return { ok: false, problem: `--config ${file}: ${result.errors[0]}` };
  return fromJson(JSON.stringify(result.config.noisePolicy), `--config ${file}`);
}

/** Request timeouts of the CLI's Lambda reads: a peer that never answers must not hang doctor. */
const LAMBDA_CLIENT_CONFIG = {
  requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000, throwOnRequestTimeout: true },
};

/** The policy the deployed monitor function runs with: its NOISE_POLICY (GetFunctionConfiguration). */
export async function policyOfFunction(
  name: string,
  region?: string,
): Promise<{ ok: true; policy: NoisePolicy } | { ok: false; problem: string }> {
  const client = new LambdaClient({ ...LAMBDA_CLIENT_CONFIG, ...(region ? { region } : {}) });
  try {
    const config = await client.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    return fromJson(config.Environment?.Variables?.[NOISE_POLICY_ENV], `function ${name}`);
  } catch (error) {
    return {
      ok: false,
      problem: `${describeAwsError(`reading the configuration of function ${name}`, error)}; give --config cdk.json instead`,
    };
  } finally {
    client.destroy();
  }
}

const minutesText = (minutes: number) => (minutes % 60 === 0 ? `${minutes / 60}h` : `${minutes}m`);

const muteText = (rule: MuteRule) =>
  [
    rule.sourceIp && `ip ${rule.sourceIp}`,
    rule.userAgentContains && `user agent ~ ${JSON.stringify(rule.userAgentContains)}`,
    rule.pathPrefix && `path ${rule.pathPrefix}*`,
    rule.apiKeyId && `API key ${rule.apiKeyId}`,
  ]
    .filter(Boolean)
    .join(' and ') + (rule.reason ? ` (${rule.reason})` : '');

/**
 * The stage's policy for doctor: from `--config` (a bad file is a usage error), else from the
 * deployed `--function`, else a note saying how to show it.
 */
export async function readStagePolicy(options: {
  readonly api: string;
  readonly stage: string;
  readonly function?: string;
  readonly config?: string;
  readonly region?: string;
}): Promise<StagePolicy | { readonly problem: string; readonly usage?: true }> {
  if (options.config) {
    const read = await policyFromConfigFile(options.config);
    return read.ok
      ? stagePolicy(read.policy, options.api, options.stage, options.config)
      : { problem: read.problem, usage: true };
  }
  if (!options.function) return { problem: NO_POLICY_SOURCE };
  const read = await policyOfFunction(options.function, options.region);
  return read.ok
    ? stagePolicy(read.policy, options.api, options.stage, `function ${options.function}`)
    : { problem: read.problem };
}

export function policyText(policy: StagePolicy | { readonly problem: string }): string {
  return 'problem' in policy ? `Noise policy: ${policy.problem}` : policyLines(policy).join('\n');
}

/** The policy as lines of text: one per category, then the digest. */
export function policyLines(policy: StagePolicy): string[] {
  const rows = policy.categories.map((c) => {
    const escalation = `x${c.escalationFactor} and >= ${c.escalationMinCount}/window`;
    const resolved = `${minutesText(c.resolveAfterMinutes)}${c.notifyResolved ? ', notify' : ''}`;
    const mutes = c.mute.length > 0 ? `; muted: ${c.mute.map(muteText).join('; ')}` : '';
    return `  ${c.category.padEnd(30)} ${c.action.padEnd(6)} quiet ${minutesText(c.quietPeriodMinutes).padEnd(5)} escalates ${escalation} · resolves after ${resolved}${mutes}`;
  });
  const digest = policy.digest.enabled
    ? `  digest: ${policy.digest.schedule} (${policy.digest.timezone})`
    : '  digest: off';
  return [`Noise policy (from ${policy.source}):`, ...rows, digest];
}
