/**
 * `NODE_OPTIONS` for a function of `memorySizeMb`. V8 sizes its young generation for servers (16 MB
 * per semi-space), which in a small function is headroom the memory limit does not have: a 1 MB log
 * batch inflates to about 10 MB and leaves as much short-lived garbage. Capping the semi-space at
 * about 5% of the memory, as Lambda's own Node.js bootstrap has done, makes the scavenger collect it
 * early. No `--enable-source-maps`: it parses the 2 MB source map at every cold start (about 11 MB of
 * RSS and a quarter of the import time, docs/benchmarks.md); the bundle keeps function names instead,
 * and the map ships beside it for anyone who switches the flag on. Pure (no CDK import) so the
 * benchmark measures under the very same flags.
 */
export function nodeOptionsFor(memorySizeMb: number): string {
  const semiSpaceMb = Math.max(1, Math.floor(memorySizeMb / 20));
  return `--max-semi-space-size=${semiSpaceMb}`;
}
