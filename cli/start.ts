import { writeFile } from 'node:fs/promises';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Command, Option } from 'commander';
import { monitorEnvironment } from '../lambda/core/monitor-contract.js';
import {
  DEFAULT_DIGEST_SCHEDULE,
  DEFAULT_DIGEST_TIMEZONE,
  DEFAULT_SWEEP_MINUTES,
  ROUTING_ATTRIBUTES,
} from '../lambda/core/noise-policy.js';
import { METRIC_NAME } from '../lambda/core/render/index.js';
import type { AlertOutcome } from '../lambda/monitor.js';
import { ComposedText, processIo, safeOutput, safeText } from './commands/command-io.js';
import { CloudWatchLogsServer } from './peers/cloudwatch-logs-server.js';
import { type LocalAws, startLocalAws } from './peers/local-aws.js';
import { totalsPerService } from './peers/request-count.js';
import { deliverToLambda, messageForProtocol, receiveAll, type SnsEnvelope } from './peers/sns-delivery.js';
import { InputUsageError, type PreparedInputs, prepareInputs, reportPathProblem } from './scenario/inputs.js';
import { timedDelivery } from './scenario/payload.js';
import { runAccountsScenario } from './scenario/run-accounts.js';
import { runDay } from './scenario/run-day.js';
import { buildScenario, WATCHED_STAGES } from './scenario/scenario.js';
import { digestTimes, firings } from './scenario/schedule.js';
import { describeSlackBlocks } from './scenario/show.js';
import { localDigest, REPLAY_TAIL_MS, runTimeline, type TimedDelivery } from './scenario/timeline.js';

/**
 * `npm start`: the whole runtime path on one machine. Real local peers start in-process, the scenario
 * (or `--input` payloads) goes through the real monitor handler, SNS fans out to SQS queues, the Slack
 * forwarder posts to a local Slack receiver, and what each channel received is printed.
 */

interface Options {
  readonly input?: string[];
  readonly config?: string;
  readonly report?: string;
  readonly all?: boolean;
  readonly scenario?: 'stages' | 'accounts' | 'day';
}

interface MetricRow {
  apiId: string;
  stage: string;
  category: string;
  count: number;
}

const program = new Command()
  .name('npm start --')
  .description(
    'Play a realistic 403 scenario (or replay subscription payloads) through the monitor on local peers.',
  )
  .option(
    '--input <file...>',
    'your own payloads instead of the scenario: subscription events, decoded documents, JSON lines of them, or exported logs (what `apigw403 classify` reads)',
  )
  .option(
    '--config <file>',
    'with --input: the watched stages and noise policy of a cdk.json (or of its apigw403 context object); default: derived from the inputs, default policy',
  )
  .option('--report <file>', 'also write a JSON report')
  .option('--all', 'print the e-mail text of every alert, not only the first ones')
  .addOption(
    new Option(
      '--scenario <name>',
      'stages: one account, listed stages; accounts: a central account fed by Kinesis; day: a simulated day of background noise and three incidents, the noise policy against the cooldown-only monitor',
    )
      .choices(['stages', 'accounts', 'day'])
      .default('stages'),
  )
  .parse();

/**
 * What npm start prints passes the CLI's safe output: file names, input problems and errors through
 * `safeText` (redacted, no control sequences); the alerts the channels received are the monitor's
 * already redacted renderings and the tables are the CLI's own text, so they are only stripped of
 * control sequences (redaction would read `INVALID_API_KEY  12` as a key and its value).
 */
const output = safeOutput(processIo);
const say = (text: string): void => output.out(`${text}\n`);
const warn = (text: string): void => output.err(`${text}\n`);
const print = (text: string): void => output.composed(new ComposedText(`${text}\n`));

const options = program.opts<Options>();
try {
  await (options.scenario === 'accounts'
    ? runAccountsScenario()
    : options.scenario === 'day' && !options.input
      ? day(options)
      : main(options));
} catch (error) {
  // Whatever went wrong is one line, never a stack trace.
  warn(`npm start: ${error instanceof Error ? error.message : String(error)}`.split('\n')[0] ?? '');
  process.exitCode = 1;
}

/**
 * Checks the report path and every input before any peer starts: `run: false` when nothing should
 * run (a usage error, or no input could be read); `inputs` absent for the built-in scenario.
 */
async function checkInputs(
  options: Options,
): Promise<{ run: false } | { run: true; inputs?: PreparedInputs }> {
  const reportProblem = options.report ? await reportPathProblem(options.report) : undefined;
  if (reportProblem || (options.config && !options.input)) {
    warn(`npm start: ${reportProblem ?? '--config applies to --input payloads'}`);
    process.exitCode = 2;
    return { run: false };
  }
  if (!options.input) return { run: true };
  let inputs: PreparedInputs;
  try {
    inputs = await prepareInputs(options.input, options.config);
  } catch (error) {
    if (!(error instanceof InputUsageError)) throw error;
    warn(`npm start: ${error.message}`);
    process.exitCode = 2;
    return { run: false };
  }
  for (const problem of inputs.problems) warn(`npm start: ${problem}`);
  if (inputs.problems.length > 0) process.exitCode = 1;
  if (inputs.deliveries.length === 0) {
    warn('npm start: no input could be read; nothing to run');
    return { run: false };
  }
  const stages = inputs.watchedStages.map(
    (stage) =>
      `${stage.apiId}/${stage.stage} (${[stage.accessLogGroup, stage.executionLogs ? 'execution logs' : undefined].filter(Boolean).join(', ')})`,
  );
  say(
    options.config
      ? `Watched stages from ${options.config}: ${stages.join('; ')}`
      : `Watched stages derived from the inputs (give --config cdk.json to use your own): ${stages.join('; ')}`,
  );
  return { run: true, inputs };
}

async function main(options: Options): Promise<void> {
  const began = performance.now();
  const checked = await checkInputs(options);
  if (!checked.run) return;
  const { inputs } = checked;
  const logs = await CloudWatchLogsServer.start({ region: 'us-east-1' });
  const local = await startLocalAws({ logsEndpoint: logs.endpoint });
  Object.assign(process.env, local.env, {
    ...monitorEnvironment({
      watchedStages: inputs?.watchedStages ?? WATCHED_STAGES,
      ...(inputs?.noisePolicy ? { noisePolicy: inputs.noisePolicy } : {}),
    }),
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  try {
    const start = Date.now() - 30 * 60_000;
    const scenario = inputs ? undefined : buildScenario(start);
    for (const seed of inputs?.executionLogs ?? scenario?.executionLogs ?? [])
      logs.putLogEvents(seed.logGroup, '072b030ba126b2f4b2374f342be9ed44', seed.events);

    const { createHandler } = await import('../lambda/handler.js');
    const { handler: forwarder } = await import('../lambda/slack-forwarder.js');
    const metric: MetricRow[] = [];
    let clock = Date.now();
    const monitor = createHandler({
      now: () => clock,
      metrics: (documents) => {
        for (const document of documents) {
          if (typeof document[METRIC_NAME] !== 'number') continue;
          metric.push({
            apiId: String(document.ApiId),
            stage: String(document.Stage),
            category: String(document.Category),
            count: document[METRIC_NAME],
          });
        }
      },
    });

    const outcomes: AlertOutcome[] = [];
    const deliveries: TimedDelivery[] = scenario
      ? scenario.deliveries.map((delivery) =>
          timedDelivery(delivery.label, delivery.document, start + delivery.minute * 60_000),
        )
      : [...(inputs?.deliveries ?? [])];
    print(`\n== Monitor invocations (${deliveries.length}), in the order of their events' timestamps ==`);
    const times = deliveries.map((delivery) => delivery.at);
    const last = Math.max(...times);
    // The scheduled work runs on the same clock: the sweep past the last delivery long enough to
    // resolve, the digest at the policy's times up to the one that covers the last delivery.
    const fire = inputs ? inputs.digestFirings : firings(DEFAULT_DIGEST_SCHEDULE, DEFAULT_DIGEST_TIMEZONE);
    const digestAt = fire ? digestTimes(fire, Math.min(...times), last) : [];
    const run = await runTimeline(
      deliveries,
      {
        sweepEveryMs: DEFAULT_SWEEP_MINUTES * 60_000,
        digestAt,
        end: Math.max(last + REPLAY_TAIL_MS, ...digestAt),
      },
      monitor,
      (at) => {
        clock = at;
      },
      await localDigest(),
      {
        onDelivery: (delivery, summary) => {
          outcomes.push(...summary.outcomes);
          const alerted = summary.outcomes.filter((outcome) => outcome.action === 'alert').length;
          const suppressed = summary.outcomes.filter((outcome) => outcome.action === 'suppress').length;
          print(
            `  ${safeText(delivery.label).padEnd(48)} ${summary.kind.padEnd(13)} 403s ${String(summary.findings).padStart(3)}  alerts ${alerted}  suppressed ${suppressed}`,
          );
        },
        // Deployed, Lambda would retry it and then keep it on the failure queue; here it is one line.
        onFailure: (label, error) => {
          warn(`npm start: ${label}: the monitor failed: ${String(error).split('\n')[0]}`);
          process.exitCode = 1;
        },
      },
    );
    const digests = run.messages.filter((message) => message.kind === 'digest');
    print(
      `  scheduled work on the same clock: ${run.sweeps} sweeps, ${run.digests} digest runs (${digestAt.map((at) => new Date(at).toISOString().slice(0, 16)).join(', ') || (fire ? 'none within the replay' : 'no digest schedule')}), ${digests.length} digests`,
    );
    for (const digest of digests)
      print(`    ${digest.at.slice(0, 16)} digest ${safeText(digest.stage)}: ${digest.reason}`);

    const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
    const slackDelivered = await deliverToLambda(sqs, local.queueUrls.slack, forwarder);
    const received = await receiveAll(sqs, local.queueUrls.all);
    const urgent = await receiveAll(sqs, local.queueUrls.urgent);

    printEmails(
      received.map((entry) => entry.envelope),
      options.all === true,
    );
    printSlack(local);
    printMetric(metric);
    print(
      `\n== Delivered ==\n  SQS (every message): ${received.length}   SQS (filter policy severity=critical|high): ${urgent.length}   Slack: ${local.slack.messages.length} (forwarder invocations ${slackDelivered})`,
    );
    const awsRequests = local.awsRequests.snapshot();
    print(`  awsRequests (counted at the local peers): ${JSON.stringify(totalsPerService(awsRequests))}`);
    print(`  done in ${((performance.now() - began) / 1000).toFixed(1)} s`);

    if (options.report) {
      const report = {
        ...(scenario ? { scenario: scenario.sent } : {}),
        metric: Object.fromEntries(
          [...new Set(metric.map((row) => row.category))]
            .sort()
            .map((category) => [
              category,
              metric.filter((row) => row.category === category).reduce((sum, row) => sum + row.count, 0),
            ]),
        ),
        alerts: outcomes
          .filter((outcome) => outcome.action === 'alert')
          .map((outcome) => ({
            category: outcome.category,
            apiId: outcome.apiId,
            stage: outcome.stage,
            count: outcome.count,
          })),
        messages: run.messages,
        delivered: { sqs: received.length, slack: local.slack.messages.length },
        awsRequests,
      };
      await writeFile(options.report, `${JSON.stringify(report, null, 2)}\n`);
      say(`  report written to ${options.report}`);
    }
  } finally {
    await local.stop();
    await logs.close();
  }
}

/** `--scenario day`: the simulated day, its timeline and the side-by-side; `--report` gets the report. */
async function day(options: Options): Promise<void> {
  const reportProblem = options.report ? await reportPathProblem(options.report) : undefined;
  if (reportProblem) {
    warn(`npm start: ${reportProblem}`);
    process.exitCode = 2;
    return;
  }
  const report = await runDay(print);
  if (options.report) {
    await writeFile(options.report, `${JSON.stringify(report, null, 2)}\n`);
    say(`  report written to ${options.report}`);
  }
}

function printEmails(envelopes: readonly SnsEnvelope[], all: boolean): void {
  const isDigest = (envelope: SnsEnvelope) =>
    envelope.MessageAttributes?.[ROUTING_ATTRIBUTES.kind]?.Value === 'digest';
  const digests = envelopes.filter(isDigest);
  print(`\n== E-mail (${envelopes.length - digests.length} alerts, ${digests.length} digests) ==`);
  for (const envelope of envelopes) print(`  ${envelope.Subject}`);
  const shown = all
    ? envelopes
    : envelopes.filter(
        (envelope, index) =>
          index === 0 || envelope === digests[0] || /Escalated: |Resolved: /.test(envelope.Message),
      );
  for (const envelope of shown) {
    print(`\n---- Subject: ${envelope.Subject}\n${messageForProtocol(envelope.Message, 'email')}`);
  }
}

function printSlack(local: LocalAws): void {
  print(`\n== Slack (${local.slack.messages.length} messages) ==`);
  for (const message of local.slack.messages) {
    const blocks = message.blocks ?? [];
    const types = blocks.map((block) => block.type);
    print(`  ${message.text?.slice(0, 110)}\n    ${blocks.length} blocks: ${types.join(', ')}`);
  }
  const first = local.slack.messages[0];
  if (first) {
    print('\n---- First Slack message, block by block');
    for (const line of describeSlackBlocks(first)) print(`  ${line.replace(/\n/g, '\n  ')}`);
  }
}

function printMetric(rows: readonly MetricRow[]): void {
  print(`\n== Metric ${METRIC_NAME} (EMF) ==`);
  const table = new Map<string, MetricRow>();
  for (const row of rows) {
    const key = `${row.apiId}|${row.stage}|${row.category}`;
    const previous = table.get(key);
    table.set(key, { ...row, count: (previous?.count ?? 0) + row.count });
  }
  print(`  ${'ApiId'.padEnd(12)} ${'Stage'.padEnd(10)} ${'Category'.padEnd(30)} Count`);
  for (const row of [...table.values()].sort((a, b) => b.count - a.count)) {
    print(
      `  ${safeText(row.apiId).padEnd(12)} ${safeText(row.stage).padEnd(10)} ${row.category.padEnd(30)} ${String(row.count).padStart(5)}`,
    );
  }
}
