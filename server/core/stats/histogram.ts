import { sql, type RawBuilder } from 'kysely';

/**
 * The duration histogram of the timing roll-up (migration 20261204_0900): the one place its bucket
 * edges are defined, for the SQL that fills it and the code that reads it.
 *
 * Edges are log-spaced from 1 s by a ratio of 2^(1/32) up to 2^28 s (about 8.5 years), unioned
 * with every whole day from 1 to 90: the first-feedback window is a whole number of days (1 to 90,
 * an admin setting), so "met within the window" is an exact sum of whole buckets whatever the
 * window. Buckets are (lo, hi]: bucket b holds the durations x with EDGES[b-1] < x <= EDGES[b]
 * (bucket 0 everything up to 1 s, the last everything above the top edge), so a duration exactly
 * equal to the window counts as met, as `first_feedback_at <= acknowledged_at + window` does.
 */
const RATIO_STEPS = 32;
const TOP_POWER = 28;
const DAY_SECONDS = 86_400;

export const EDGES: readonly number[] = (() => {
  const log = Array.from({ length: TOP_POWER * RATIO_STEPS + 1 }, (_, k) => 2 ** (k / RATIO_STEPS));
  const days = Array.from({ length: 90 }, (_, d) => (d + 1) * DAY_SECONDS);
  return [...new Set([...log, ...days])].sort((a, b) => a - b);
})();

/**
 * The largest relative error of a median or p90 read from the histogram, for durations from 1 s
 * to the top edge: an estimate lies in the same bucket as the value, and hi/lo <= 2^(1/32).
 */
export const MAX_RELATIVE_ERROR = 2 ** (1 / RATIO_STEPS) - 1;

/** The error bound as the page states it, in percent, rounded up to one decimal (2.2). */
export const ERROR_PERCENT = Math.ceil(MAX_RELATIVE_ERROR * 1000) / 10;

// width_bucket(x, thresholds) counts the thresholds <= x: [lo, hi) buckets. On -x against the
// negated edges it counts the edges >= x, so the edges < x, the (lo, hi] bucket, is the rest.
const NEGATED = [...EDGES].reverse().map((e) => -e);

/** SQL: the bucket of a duration in seconds (float8), 0 … EDGES.length. */
export function durationBucket(seconds: RawBuilder<unknown>): RawBuilder<number> {
  return sql<number>`(${EDGES.length} - width_bucket(-(${seconds}), ${NEGATED}::float8[]))`;
}

/** The bucket whose upper edge is `seconds`, when one is: buckets 0 … that one hold durations <= seconds. */
export function bucketEndingAt(seconds: number): number | undefined {
  const i = EDGES.indexOf(seconds);
  return i < 0 ? undefined : i;
}

/** Bucket → count; buckets not listed are empty. */
export type Histogram = ReadonlyMap<number, number>;

/** How many durations are <= the upper edge of `last` bucket. */
export function countThrough(h: Histogram, last: number): number {
  let n = 0;
  for (const [b, count] of h) if (b <= last) n += count;
  return n;
}

/**
 * percentile_cont's value (linear between the order statistics around rank p·(N−1)) with each
 * order statistic estimated inside its bucket, as if the bucket's durations were spread evenly.
 * Each estimate is within MAX_RELATIVE_ERROR of its order statistic, so their weighted mean is too.
 */
export function percentiles(h: Histogram, ps: readonly number[]): (number | null)[] {
  const buckets = [...h].filter(([, n]) => n > 0).sort(([a], [b]) => a - b);
  const total = buckets.reduce((s, [, n]) => s + n, 0);
  if (total === 0) return ps.map(() => null);
  const orderStatistic = (j: number): number => {
    let before = 0;
    for (const [b, n] of buckets) {
      if (j < before + n) {
        const lo = b === 0 ? 0 : EDGES[b - 1]!;
        const hi = EDGES[b] ?? lo;
        return lo + ((hi - lo) * (j - before + 0.5)) / n;
      }
      before += n;
    }
    return EDGES.at(-1)!;
  };
  return ps.map((p) => {
    const rank = p * (total - 1);
    const i = Math.floor(rank);
    const low = orderStatistic(i);
    return rank === i ? low : low + (rank - i) * (orderStatistic(i + 1) - low);
  });
}
