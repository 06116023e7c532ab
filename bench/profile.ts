/**
 * Runs the monitor's per-line path (the benchmark's `classifier` variant) over the benchmark payloads
 * in a loop, for a CPU profile:
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile.ts [passes] [403-only|mixed]
 */
import { buildPayloadSet, type PayloadMix } from './payloads.js';
import { benchConfig, classifier, watchedStagesOf } from './variants.js';

const passes = Number(process.argv[2] ?? 8);
const mix = (process.argv[3] ?? '403-only') as PayloadMix;
const { payloads, stages } = buildPayloadSet(24, mix);
const watched = payloads.map((p) => watchedStagesOf(p, (group) => stages.get(group)));
const config = benchConfig(watched.flat());
let sink = 0;
for (let i = 0; i < passes; i++)
  payloads.forEach((p, index) => {
    sink += classifier(p.event, watched[index] ?? [], config);
  });
console.log(`${passes} passes over the ${mix} mix, sink ${sink}`);
