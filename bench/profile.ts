/**
 * Runs the classifier over the benchmark payloads in a loop, for a CPU profile:
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile.ts [passes] [403-only|mixed]
 */
import { buildPayloadSet, type PayloadMix } from './payloads.js';
import { classifier } from './variants.js';

const passes = Number(process.argv[2] ?? 8);
const mix = (process.argv[3] ?? '403-only') as PayloadMix;
const { payloads, stages } = buildPayloadSet(24, mix);
let sink = 0;
for (let i = 0; i < passes; i++) for (const p of payloads) sink += classifier(p.event, (g) => stages.get(g));
console.log(`${passes} passes over the ${mix} mix, sink ${sink}`);
