/**
 * Throughput in paired rounds on one payload set. Each round hands every payload to every slot in turn
 * and adds up each slot's time, in an order rotated from payload to payload and round to round; no
 * forced GC anywhere (a full collection before
 * each pass threw the classifier's optimised code away and measured something no Lambda does), so each
 * pass also pays for the garbage it makes, as in production. The ratios are taken per round.
 */

import { median, pairedRatio, type RatioSummary, rotation, round } from './paired.js';
import type { Payload, PayloadSet } from './payloads.js';
import {
  benchConfig,
  classifier,
  core,
  decode,
  floor,
  powertools,
  type Resolve,
  type Variant,
  watchedStagesOf,
} from './variants.js';

/** The four variants plus the A/A control: the floor, timed a second time in every round. */
export type Slot = Variant | 'floor-aa';
const SLOTS: readonly Slot[] = ['floor', 'floor-aa', 'decode', 'powertools', 'core', 'classifier'];

/** CPU milliseconds per pass over all payloads. */
export interface SlotStats {
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly eventsPerSecond: number;
}

export interface ThroughputResult {
  readonly mix: PayloadSet['mix'];
  readonly payloads: number;
  readonly events: number;
  readonly eventsByKind: Readonly<Record<string, number>>;
  readonly base64MB: number;
  readonly decompressedMB: number;
  /** The classifier's own check sum (findings + groups): equal from run to run, or the work changed. */
  readonly classifierOutput: number;
  readonly slots: Readonly<Record<Slot, SlotStats>>;
  readonly ratios: {
    /** The monitor's whole per-line path against the floor (events/s over events/s). */
    readonly classifierOverFloor: RatioSummary;
    /** `classifyIntoGroups` alone against the floor: what the monitor adds is the difference. */
    readonly coreOverFloor: RatioSummary;
    /** Equal work: our decode step against Powertools' CloudWatchLogsSchema. */
    readonly decodeOverPowertools: RatioSummary;
    /** A/A control: the floor against itself. */
    readonly floorOverFloor: RatioSummary;
  };
  /** Per round, CPU ms: the raw samples behind every ratio. */
  readonly roundsMs: Readonly<Record<Slot, readonly number[]>>;
}

export interface ThroughputConfig {
  readonly warmups: number;
  readonly rounds: number;
}

function runnerFor(slot: Slot, set: PayloadSet): (payload: Payload) => number {
  const resolve: Resolve = (logGroup) => set.stages.get(logGroup);
  const watched = new Map(set.payloads.map((p) => [p, watchedStagesOf(p, resolve)]));
  const config = benchConfig([...watched.values()].flat());
  switch (slot) {
    case 'floor':
    case 'floor-aa':
      return (p) => floor(p.event);
    case 'decode':
      return (p) => decode(p.event);
    case 'powertools':
      return (p) => powertools(p.event);
    case 'core':
      return (p) => core(p.event, resolve);
    case 'classifier':
      return (p) => classifier(p.event, watched.get(p) ?? [], config);
  }
}

export function measureThroughput(set: PayloadSet, config: ThroughputConfig): ThroughputResult {
  const { payloads } = set;
  const events = payloads.reduce((sum, p) => sum + p.events, 0);

  // Every variant must handle every payload, and agree on the number of log events.
  for (const variant of ['powertools', 'decode'] as const) {
    const seen = payloads.reduce((sum, p) => sum + runnerFor(variant, set)(p), 0);
    if (seen !== events) throw new Error(`${variant} saw ${seen} of ${events} events`);
  }
  const runs = Object.fromEntries(SLOTS.map((slot) => [slot, runnerFor(slot, set)])) as Record<
    Slot,
    (payload: Payload) => number
  >;
  let classifierOutput = 0;
  for (const p of payloads) classifierOutput += runs.classifier(p);
  if (classifierOutput <= 0) throw new Error('the classifier found nothing');
  let sink = 0;
  const samples = Object.fromEntries(SLOTS.map((slot) => [slot, [] as number[]])) as Record<Slot, number[]>;
  // One round: every payload is handed to every slot in turn (order rotated per payload and round), so
  // a burst of load from the rest of the machine lands on all slots of the round alike. Time is this
  // process's CPU time (user + system, GC threads included), not wall time: on a shared machine the
  // wall clock also counts the moments another process holds the core.
  const roundOnce = (r: number, record: boolean): void => {
    const totals = new Map<Slot, number>(SLOTS.map((slot) => [slot, 0]));
    payloads.forEach((payload, index) => {
      for (const slot of rotation(SLOTS, r + index)) {
        const start = process.cpuUsage();
        sink += runs[slot](payload);
        const used = process.cpuUsage(start);
        totals.set(slot, (totals.get(slot) ?? 0) + (used.user + used.system) / 1e3);
      }
    });
    if (record) for (const slot of SLOTS) samples[slot].push(totals.get(slot) ?? 0);
  };
  for (let i = 0; i < config.warmups; i++) roundOnce(i, false);
  for (let r = 0; r < config.rounds; r++) roundOnce(r, true);
  if (sink === 0) throw new Error('no work was done');

  const slots = Object.fromEntries(
    SLOTS.map((slot) => {
      const ms = samples[slot];
      const med = median(ms);
      return [
        slot,
        {
          medianMs: round(med, 2),
          minMs: round(Math.min(...ms), 2),
          maxMs: round(Math.max(...ms), 2),
          eventsPerSecond: Math.round(events / (med / 1e3)),
        },
      ];
    }),
  ) as Record<Slot, SlotStats>;
  const eventsByKind: Record<string, number> = {};
  for (const p of payloads) eventsByKind[p.kind] = (eventsByKind[p.kind] ?? 0) + p.events;
  return {
    mix: set.mix,
    payloads: payloads.length,
    events,
    eventsByKind,
    base64MB: round(payloads.reduce((sum, p) => sum + p.event.awslogs.data.length, 0) / 1e6, 2),
    decompressedMB: round(payloads.reduce((sum, p) => sum + p.inflatedBytes, 0) / 1e6, 2),
    classifierOutput,
    slots,
    ratios: {
      classifierOverFloor: pairedRatio(samples.floor, samples.classifier),
      coreOverFloor: pairedRatio(samples.floor, samples.core),
      decodeOverPowertools: pairedRatio(samples.powertools, samples.decode),
      floorOverFloor: pairedRatio(samples['floor-aa'], samples.floor),
    },
    roundsMs: Object.fromEntries(
      SLOTS.map((slot) => [slot, samples[slot].map((ms) => round(ms, 2))]),
    ) as Record<Slot, number[]>,
  };
}
