/** Exponential backoff with full jitter: a uniform delay in [0, min(cap, base·2^attempt)). */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(Math.random() * ceiling);
}

/** Longest wait honoured from a Retry-After header, so a misconfigured proxy cannot stall us for days. */
const MAX_RETRY_AFTER_MS = 5 * 60 * 1000;

/** Parses Retry-After (delta-seconds or an HTTP date) into milliseconds; undefined when absent or invalid. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  const ms = /^\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - now;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}
