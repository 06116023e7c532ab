import { DIGEST_EVENT } from '../../lambda/core/digest-event.js';
import type { Lifecycle, MessageKind } from '../../lambda/core/noise-policy.js';
import { SWEEP_EVENT } from '../../lambda/core/noise-policy.js';
import type { DigestLine } from '../../lambda/core/render/digest-view.js';
import type { InvocationSummary } from '../../lambda/monitor.js';

/**
 * A simulated clock that follows the events: deliveries in the order of their events' timestamps,
 * and the scheduled work (the sweep that resolves quiet groups, the digest) at its own times on the
 * same clock, through the real handler. Every message published is recorded with its simulated time.
 */

export interface TimedDelivery {
  readonly label: string;
  /** The simulated time of the delivery: its latest event's timestamp. */
  readonly at: number;
  readonly event: unknown;
}

/** One message the run published, as the report lists it. */
export interface PublishedMessage {
  /** Simulated time, ISO 8601. */
  readonly at: string;
  readonly kind: MessageKind;
  readonly apiId: string;
  readonly stage: string;
  /** Alerts only. */
  readonly category?: string;
  readonly lifecycle?: Lifecycle;
  /** The alert's one-line lifecycle reason (or the digest's summary line). */
  readonly reason?: string;
  readonly action?: string;
  /** Digests only: the stage's groups as the digest lists them. */
  readonly groups?: readonly Pick<
    DigestLine,
    'category' | 'lifecycle' | 'count' | 'previousCount' | 'mutedCount' | 'alertsSent'
  >[];
}

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

/** Runs the scheduled digest at a simulated time and says what it published. */
export type DigestRunner = (at: number) => Promise<readonly PublishedMessage[]>;

/**
 * The deployed digest function's run (`runDigest` with the monitor's environment: its state table,
 * topic and policy) on the simulated clock: at `at`, with the schedule's event as Scheduler fills it.
 * Imported when called, after the caller pointed the environment at the local peers.
 */
export async function localDigest(): Promise<DigestRunner> {
  const { monitorConfig } = await import('../../lambda/adapters/env-config.js');
  const { digestDeps, runDigest } = await import('../../lambda/digest-handler.js');
  const config = monitorConfig();
  return async (at) => {
    const run = await runDigest(
      digestDeps(config, () => at),
      { ...DIGEST_EVENT, scheduledTime: new Date(at).toISOString() },
    );
    return run.digests.map((digest) => ({
      at: new Date(at).toISOString(),
      kind: 'digest' as const,
      apiId: digest.apiId,
      stage: digest.stage,
      reason: `${plural(digest.total, '403')} in ${plural(digest.categories.length, 'group')}, ${digest.mutedTotal} muted`,
      groups: digest.categories.map(
        ({ category, lifecycle, count, previousCount, mutedCount, alertsSent }) => ({
          category,
          lifecycle,
          count,
          previousCount,
          mutedCount,
          alertsSent,
        }),
      ),
    }));
  };
}

/** After the last delivery of a replay the sweep goes on this long: a default group resolves in it. */
export const REPLAY_TAIL_MS = 75 * 60_000;

export interface Schedule {
  /** The sweep runs at every multiple of this (epoch ms) from the first delivery to `end`. */
  readonly sweepEveryMs: number;
  /** Simulated times the digest runs at (schedule.ts `digestTimes`). */
  readonly digestAt: readonly number[];
  /** The scheduled work runs until here (at least the last delivery). */
  readonly end: number;
}

export interface TimelineRun {
  readonly messages: PublishedMessage[];
  readonly invocations: number;
  readonly sweeps: number;
  readonly digests: number;
  readonly failed: number;
}

type Step =
  | { readonly at: number; readonly kind: 'delivery'; readonly delivery: TimedDelivery }
  | { readonly at: number; readonly kind: 'sweep' }
  | { readonly at: number; readonly kind: 'digest' };

/** The deliveries and the scheduled work, in time order (at the same time: deliveries first). */
export function timelineSteps(deliveries: readonly TimedDelivery[], schedule: Schedule): Step[] {
  const sorted = [...deliveries].sort((a, b) => a.at - b.at);
  const first = sorted[0]?.at ?? schedule.end;
  const end = Math.max(schedule.end, sorted.at(-1)?.at ?? 0);
  const steps: Step[] = sorted.map((delivery) => ({ at: delivery.at, kind: 'delivery', delivery }));
  for (
    let at = Math.ceil(first / schedule.sweepEveryMs) * schedule.sweepEveryMs;
    at <= end;
    at += schedule.sweepEveryMs
  )
    steps.push({ at, kind: 'sweep' });
  for (const at of schedule.digestAt) steps.push({ at, kind: 'digest' });
  const rank = { delivery: 0, sweep: 1, digest: 2 } as const;
  return steps.sort((a, b) => a.at - b.at || rank[a.kind] - rank[b.kind]);
}

/** The alerts an invocation published, as report entries. */
export function publishedBy(summary: InvocationSummary, at: number): PublishedMessage[] {
  return summary.outcomes.flatMap((outcome) => {
    const view = outcome.rendered?.view;
    if (outcome.action !== 'alert' || !view) return [];
    return [
      {
        at: new Date(at).toISOString(),
        kind: 'alert' as const,
        apiId: outcome.apiId,
        stage: outcome.stage,
        category: outcome.category,
        ...(view.lifecycle ? { lifecycle: view.lifecycle } : {}),
        ...(view.lifecycleReason ? { reason: view.lifecycleReason } : {}),
        ...(view.action ? { action: view.action } : {}),
      },
    ];
  });
}

/**
 * Plays the timeline: `setClock` moves the handler's clock to each step's time before it runs. A
 * failed invocation is reported (`onFailure`) and the run goes on, as Lambda's retries would.
 */
export async function runTimeline(
  deliveries: readonly TimedDelivery[],
  schedule: Schedule,
  monitor: (event: unknown) => Promise<InvocationSummary>,
  setClock: (at: number) => void,
  digest: DigestRunner,
  options: {
    readonly onDelivery?: (delivery: TimedDelivery, summary: InvocationSummary) => void;
    readonly onFailure?: (label: string, error: unknown) => void;
  } = {},
): Promise<TimelineRun> {
  const messages: PublishedMessage[] = [];
  let invocations = 0;
  let sweeps = 0;
  let digests = 0;
  let failed = 0;
  for (const step of timelineSteps(deliveries, schedule)) {
    setClock(step.at);
    const label = step.kind === 'delivery' ? step.delivery.label : step.kind;
    try {
      if (step.kind === 'digest') {
        digests += 1;
        messages.push(...(await digest(step.at)));
        continue;
      }
      const summary = await monitor(step.kind === 'sweep' ? SWEEP_EVENT : step.delivery.event);
      if (step.kind === 'sweep') sweeps += 1;
      else {
        invocations += 1;
        options.onDelivery?.(step.delivery, summary);
      }
      messages.push(...publishedBy(summary, step.at));
    } catch (error) {
      failed += 1;
      options.onFailure?.(label, error);
    }
  }
  return { messages, invocations, sweeps, digests, failed };
}
