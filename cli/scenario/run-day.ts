import { monitorEnvironment } from '../../lambda/core/monitor-contract.js';
import {
  DEFAULT_DIGEST_SCHEDULE,
  DEFAULT_DIGEST_TIMEZONE,
  DEFAULT_SWEEP_MINUTES,
} from '../../lambda/core/noise-policy.js';
import { CloudWatchLogsServer } from '../peers/cloudwatch-logs-server.js';
import { startLocalAws } from '../peers/local-aws.js';
import { cooldownOnlyAlerts, type OldAlert } from './cooldown-only.js';
import { buildDay, DAY_END, DAY_STAGES, DAY_START, type Incident } from './day.js';
import { firings } from './schedule.js';
import { localDigest, type PublishedMessage, runTimeline } from './timeline.js';

/**
 * Runs the simulated day through the real handler on the local peers, with the default policy (no
 * policy configured), and compares it with what the cooldown-only monitor would have sent.
 */

const MINUTE = 60_000;
/** The incident target: alerted within this many simulated minutes of its start. */
export const DETECT_WITHIN_MINUTES = 5;

export interface Detection {
  /** Minutes from the incident's start to the first alert of its group; undefined: none. */
  readonly minutes?: number;
  readonly caught: boolean;
}

export interface DayReport {
  readonly scenario: 'day';
  readonly start: string;
  readonly end: string;
  readonly policy: 'default';
  /** Every message published, alerts and digests, with its simulated time. */
  readonly messages: readonly PublishedMessage[];
  readonly incidents: readonly (Omit<Incident, 'start'> & {
    readonly start: string;
    readonly noisePolicy: Detection;
    readonly cooldownOnly: Detection;
  })[];
  readonly totals: {
    /** Messages published: alerts, and digests (one per stage and digest run). */
    readonly noisePolicy: { readonly alerts: number; readonly digests: number };
    readonly cooldownOnly: { readonly alerts: number };
  };
  readonly background: readonly string[];
  readonly sent: Readonly<Record<string, number>>;
  /** The simulated times the digest ran at (the default schedule, daily 08:00 UTC). */
  readonly digestRuns: readonly string[];
  readonly deliveries: number;
  readonly sweeps: number;
  readonly seconds: number;
}

function detection(
  incident: Incident,
  alerts: readonly { at: number; stage: string; category?: string }[],
): Detection {
  const first = alerts.find(
    (alert) =>
      alert.stage === incident.stage && alert.category === incident.category && alert.at >= incident.start,
  );
  if (!first) return { caught: false };
  const minutes = Math.round(((first.at - incident.start) / MINUTE) * 10) / 10;
  return { minutes, caught: minutes <= DETECT_WITHIN_MINUTES };
}

export async function runDay(print: (text: string) => void): Promise<DayReport> {
  const began = performance.now();
  const day = buildDay();
  const logs = await CloudWatchLogsServer.start({ region: 'us-east-1' });
  const local = await startLocalAws({ logsEndpoint: logs.endpoint });
  Object.assign(process.env, local.env, monitorEnvironment({ watchedStages: DAY_STAGES }), {
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  let clock = DAY_START;
  try {
    const { createHandler } = await import('../../lambda/handler.js');
    const monitor = createHandler({ now: () => clock, metrics: () => {} });
    // The day's events end before DAY_END: the digest of DAY_END (the schedule's last in the day) closes it.
    const digestAt = firings(DEFAULT_DIGEST_SCHEDULE, DEFAULT_DIGEST_TIMEZONE)(DAY_START, DAY_END);
    const run = await runTimeline(
      day.deliveries,
      { sweepEveryMs: DEFAULT_SWEEP_MINUTES * MINUTE, digestAt, end: DAY_END },
      monitor,
      (at) => {
        clock = at;
      },
      await localDigest(),
      {
        onFailure: (label, error) => print(`  ${label}: the monitor failed: ${String(error).split('\n')[0]}`),
      },
    );
    const alerts = run.messages
      .filter((message) => message.kind === 'alert')
      .map((message) => ({ ...message, at: Date.parse(message.at) }));
    const old = cooldownOnlyAlerts(day.deliveries);
    const report: DayReport = {
      scenario: 'day',
      start: new Date(DAY_START).toISOString(),
      end: new Date(DAY_END).toISOString(),
      policy: 'default',
      messages: run.messages,
      incidents: day.incidents.map((incident) => ({
        ...incident,
        start: new Date(incident.start).toISOString(),
        noisePolicy: detection(incident, alerts),
        cooldownOnly: detection(incident, old),
      })),
      totals: {
        noisePolicy: { alerts: alerts.length, digests: run.messages.length - alerts.length },
        cooldownOnly: { alerts: old.length },
      },
      background: day.background,
      sent: day.sent,
      digestRuns: digestAt.map((at) => new Date(at).toISOString()),
      deliveries: run.invocations,
      sweeps: run.sweeps,
      seconds: Math.round((performance.now() - began) / 100) / 10,
    };
    printDay(report, old, print);
    return report;
  } finally {
    await local.stop();
    await logs.close();
  }
}

const hhmm = (at: number) => new Date(at).toISOString().slice(11, 16);

function describe(message: PublishedMessage): string {
  return message.kind === 'digest'
    ? `digest ${message.stage}`
    : `${message.lifecycle ?? 'alert'} ${message.stage} ${message.category}`;
}

function printDay(report: DayReport, old: readonly OldAlert[], print: (text: string) => void): void {
  print(
    `\n== The simulated day ${report.start.slice(0, 16)} → ${report.end.slice(0, 16)} (UTC), default noise policy ==`,
  );
  print(
    `  ${report.deliveries} deliveries, ${report.sweeps} sweeps; background: ${report.background.join(', ')}`,
  );
  print(`\n  hour   new  old  what the new policy sent`);
  for (let hour = 0; hour < 24; hour += 1) {
    const from = Date.parse(report.start) + hour * 60 * MINUTE;
    const inHour = (at: number) => at >= from && at < from + 60 * MINUTE;
    const sent = report.messages.filter((message) => inHour(Date.parse(message.at)));
    const oldCount = old.filter((alert) => inHour(alert.at)).length;
    const what = sent.map((message) => `${hhmm(Date.parse(message.at))} ${describe(message)}`).join('; ');
    print(`  ${hhmm(from)}  ${String(sent.length).padStart(4)} ${String(oldCount).padStart(4)}  ${what}`);
  }
  const atEnd = report.messages.filter((message) => Date.parse(message.at) >= Date.parse(report.end));
  for (const message of atEnd) print(`  ${hhmm(Date.parse(message.at))}  +1        ${describe(message)}`);
  for (const message of report.messages) {
    const at = message.at.slice(11, 16);
    if (message.kind === 'alert') print(`    ${at} ${message.stage} ${message.category}: ${message.reason}`);
    else print(`    ${at} digest ${message.stage}: ${message.reason}`);
    for (const group of message.groups ?? [])
      print(
        `      ${group.category.padEnd(30)} ${String(group.count).padStart(6)} 403s, ${group.mutedCount} muted, ${group.alertsSent} alerts, ${group.lifecycle}`,
      );
  }

  print('\n== Cooldown-only (before) vs noise policy (now), same day ==');
  print(`  ${''.padEnd(62)} ${'cooldown-only'.padStart(14)} ${'noise policy'.padStart(14)}`);
  print(
    `  ${'alert messages in the day'.padEnd(62)} ${String(report.totals.cooldownOnly.alerts).padStart(14)} ${String(report.totals.noisePolicy.alerts).padStart(14)}`,
  );
  const caught = (key: 'cooldownOnly' | 'noisePolicy') =>
    `${report.incidents.filter((incident) => incident[key].caught).length} of ${report.incidents.length}`;
  print(
    `  ${`incidents alerted within ${DETECT_WITHIN_MINUTES} min`.padEnd(62)} ${caught('cooldownOnly').padStart(14)} ${caught('noisePolicy').padStart(14)}`,
  );
  for (const incident of report.incidents) {
    const minutes = (entry: Detection) => (entry.minutes === undefined ? 'never' : `${entry.minutes} min`);
    print(
      `  ${`  ${incident.start.slice(11, 16)} ${incident.name}`.slice(0, 62).padEnd(62)} ${minutes(incident.cooldownOnly).padStart(14)} ${minutes(incident.noisePolicy).padStart(14)}`,
    );
  }
  print(
    `  ${"  (cooldown-only: the escalation's alert looks like the 95 others of its group that day)".padEnd(62)}`,
  );
  print(
    `  ${'digests (one per stage, 08:00 UTC)'.padEnd(62)} ${'0'.padStart(14)} ${String(report.totals.noisePolicy.digests).padStart(14)}`,
  );
  print(`  done in ${report.seconds} s`);
}
