/**
 * Runs the classifier over the benchmark payloads in a loop, for a CPU profile:
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile.ts
 */
import { buildPayloadSet } from './payloads.js';
import { classifier } from './variants.js';

const { payloads, stages } = buildPayloadSet(24);
const passes = Number(process.argv[2] ?? 8);
let sink = 0;
for (let i = 0; i < passes; i++) for (const p of payloads) sink += classifier(p.event, (g) => stages.get(g));
console.log(`${passes} passes, sink ${sink}`);
