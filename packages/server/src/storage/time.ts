import type { Bucket } from "./types.js";

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export const bucketMs = (bucket: Bucket): number => (bucket === "hour" ? HOUR_MS : DAY_MS);
export const floorTo = (time: number, size: number): number => Math.floor(time / size) * size;
export const iso = (time: number): string => new Date(time).toISOString();
/** Hour-rollup bounds for a range: every hour that overlaps it. */
export const hourBounds = (range: { from: number; to: number }): [number, number] => [
  floorTo(range.from, HOUR_MS),
  range.to,
];
export const isoOrNull = (time: number | null): string | null => (time === null ? null : iso(time));

/** Start times of every bucket from the one containing `from` up to the one before `to`. */
export function bucketStarts(from: number, to: number, bucket: Bucket): number[] {
  const size = bucketMs(bucket);
  const starts: number[] = [];
  for (let t = floorTo(from, size); t < to; t += size) starts.push(t);
  return starts;
}

/** ISO labels of a `starts` array, formatted once however many series share it (one per tool). */
const labelCache = new WeakMap<number[], string[]>();

/** Zero-filled series from sparse rows keyed by bucket start. */
export function fillSeries<T>(starts: number[], rows: Map<number, T>, empty: () => T): (T & { t: string })[] {
  let labels = labelCache.get(starts);
  if (!labels) {
    labels = starts.map(iso);
    labelCache.set(starts, labels);
  }
  const series: (T & { t: string })[] = new Array(starts.length);
  for (let i = 0; i < starts.length; i++)
    series[i] = { t: labels[i] as string, ...(rows.get(starts[i] as number) ?? empty()) };
  return series;
}
