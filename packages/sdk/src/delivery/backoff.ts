/** Retry timing shared by every SDK: short enough that a collector back from an outage is noticed within seconds. */
export const RETRY = {
  /** Ceiling of the first retry's delay. */
  baseMs: 500,
  /** Longest delay of the backoff itself. */
  maxMs: 5000,
  /** Longest wait honoured from a Retry-After header, so a misconfigured proxy cannot stall delivery. */
  maxRetryAfterMs: 30_000,
} as const;

/** Exponential backoff with full jitter: a uniform delay in [0, min(cap, base·2^attempt)). */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(Math.random() * ceiling);
}

/**
 * The delay before the next attempt, after consecutive retryable failures. One per delivery: all
 * of its batches share it, since they all wait for the same collector.
 *
 * @example
 * const backoff = new Backoff();
 * const wait = backoff.failed(); // < 500 ms, then < 1 s, < 2 s, < 4 s, < 5 s from then on
 * backoff.succeeded();
 */
export class Backoff {
  private count = 0;

  constructor(
    private readonly baseMs: number = RETRY.baseMs,
    private readonly maxMs: number = RETRY.maxMs,
  ) {}

  /** Consecutive failures so far. */
  get failures(): number {
    return this.count;
  }

  /** Records a failure; returns how long to wait: the server's Retry-After when it sent one, else the backoff. */
  failed(retryAfterMs?: number): number {
    this.count += 1;
    if (retryAfterMs !== undefined) return Math.min(Math.max(retryAfterMs, 0), RETRY.maxRetryAfterMs);
    return backoffDelay(this.count - 1, this.baseMs, this.maxMs);
  }

  /** The collector answered: the next failure starts from the base again. */
  succeeded(): void {
    this.count = 0;
  }
}

/** Parses Retry-After (delta-seconds or an HTTP date) into milliseconds, at most 30 s; undefined when absent or invalid. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  const ms = /^\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - now;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(ms, 0), RETRY.maxRetryAfterMs);
}
