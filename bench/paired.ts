/**
 * Paired rounds: each round measures every variant on the same work, a ratio is taken within each
 * round (so a busy moment of the machine slows both sides of it alike), and what is reported is the
 * median and the range of those per-round ratios. An A/A pair (one variant measured twice per round)
 * shows how far two identical measurements drift apart on this machine: a ratio is only meaningful
 * where it differs from 1 by more than the A/A range.
 */

export interface RatioSummary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly perRound: readonly number[];
}

export const median = (values: readonly number[]): number => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

export const round = (n: number, digits = 3): number => Number(n.toFixed(digits));

/**
 * `numerator[i] / denominator[i]` per round, summarised. For throughput "A relative to B" pass B's
 * times as the numerator and A's as the denominator (A's events/s over B's).
 */
export function pairedRatio(numerator: readonly number[], denominator: readonly number[]): RatioSummary {
  if (numerator.length !== denominator.length) throw new Error('paired samples differ in length');
  const perRound = numerator.map((value, i) => value / (denominator[i] as number));
  return {
    median: round(median(perRound)),
    min: round(Math.min(...perRound)),
    max: round(Math.max(...perRound)),
    perRound: perRound.map((ratio) => round(ratio)),
  };
}

/** The order of `variants` in round `r`: rotated, so no variant always runs first or last. */
export function rotation<T>(variants: readonly T[], r: number): T[] {
  return variants.map((_, k) => variants[(r + k) % variants.length] as T);
}

export const formatRatio = (ratio: RatioSummary): string =>
  `${ratio.median.toFixed(3)} (range ${ratio.min.toFixed(3)}-${ratio.max.toFixed(3)})`;
