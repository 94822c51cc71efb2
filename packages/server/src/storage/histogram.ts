/**
 * Fixed log-scale duration histogram used by the per-tool-per-hour rollups. Bucket i holds
 * durations in (2^((i-1)/4), 2^(i/4)] ms; bucket 0 holds ≤ 1 ms. Fixed buckets make hourly
 * histograms mergeable by addition, so percentiles over any range come from the rollups alone.
 */
export type Histogram = Record<number, number>;

const STEPS_PER_DOUBLING = 4;
const MAX_BUCKET = 120; // 2^30 ms ≈ 12 days

export function bucketOf(durationMs: number): number {
  if (!(durationMs > 1)) return 0;
  return Math.min(MAX_BUCKET, Math.ceil(Math.log2(durationMs) * STEPS_PER_DOUBLING));
}

/** Representative value of a bucket: the geometric middle of its bounds (within ±10%). */
export function representativeOf(bucket: number): number {
  if (bucket === 0) return 1;
  return 2 ** ((bucket - 0.5) / STEPS_PER_DOUBLING);
}

export function addTo(target: Histogram, source: Histogram, sign = 1): Histogram {
  // for…in rather than Object.entries: merging thousands of hourly histograms per query, the
  // entry arrays were most of the work.
  for (const key in source) {
    const bucket = Number(key);
    const next = (target[bucket] ?? 0) + sign * (source[bucket] as number);
    if (next > 0) target[bucket] = next;
    else delete target[bucket];
  }
  return target;
}

/** The q-quantile (0..1) of a histogram, rounded to 0.1 ms, or null when it is empty. */
export function quantile(histogram: Histogram, q: number): number | null {
  const buckets = Object.entries(histogram)
    .map(([key, count]) => [Number(key), count] as const)
    .sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const [bucket, count] of buckets) {
    seen += count;
    if (seen >= rank) return Math.round(representativeOf(bucket) * 10) / 10;
  }
  return null;
}

/**
 * A histogram as a dense array of counts indexed by bucket (PostgreSQL stores it so, an
 * `integer[]` on its tool hour), up to its last non-empty bucket; empty buckets are 0.
 */
export function toCounts(histogram: Histogram): number[] {
  let top = -1;
  for (const key in histogram) if ((histogram[Number(key)] as number) > 0) top = Math.max(top, Number(key));
  const counts = new Array<number>(top + 1).fill(0);
  for (const key in histogram) {
    const count = histogram[Number(key)] as number;
    if (count > 0) counts[Number(key)] = count;
  }
  return counts;
}

/** The histogram of a dense array of counts (`toCounts`): its positive buckets. */
export function fromCounts(counts: readonly number[]): Histogram {
  const histogram: Histogram = {};
  for (let bucket = 0; bucket < counts.length; bucket++)
    if ((counts[bucket] as number) > 0) histogram[bucket] = counts[bucket] as number;
  return histogram;
}
