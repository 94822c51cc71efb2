/**
 * The freshness the query API reports with each answer (docs/API.md): every event acknowledged
 * before `dataAsOf` is in the data; `pending` events were stored but are not derived yet. The
 * latest one is kept here, and the notice shows when the data is more than a few seconds behind.
 */
export interface Freshness {
  dataAsOf: string;
  lagMs: number;
  pending: number;
}

/** Behind by more than this, the dashboard says so. */
export const NOTICE_AFTER_MS = 5_000;

let latest: Freshness | null = null;
const listeners = new Set<(value: Freshness | null) => void>();

/** Records an answer's freshness (a response body that has none is ignored). */
export function reportFreshness(body: unknown): void {
  if (typeof body !== "object" || body === null || !("freshness" in body)) return;
  const value = (body as { freshness: Freshness }).freshness;
  if (latest && latest.dataAsOf === value.dataAsOf && latest.pending === value.pending) return;
  latest = value;
  for (const listener of listeners) listener(value);
}

export function subscribeFreshness(listener: (value: Freshness | null) => void): () => void {
  listeners.add(listener);
  listener(latest);
  return () => listeners.delete(listener);
}

/** The notice's text, or null when the data is current enough. */
export function freshnessText(value: Freshness | null, timeZone?: string): string | null {
  if (!value || value.lagMs <= NOTICE_AFTER_MS) return null;
  const time = new Date(value.dataAsOf).toLocaleTimeString("en-GB", { timeZone });
  const events = `${value.pending.toLocaleString("en-US")} event${value.pending === 1 ? "" : "s"}`;
  return `Data as of ${time}: ${events} received since are still being processed.`;
}
