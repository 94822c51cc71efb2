import type { ChunkResult } from "./pass.js";

/** The events a chunk reads when behind, unless the pass is given a size range of its own. */
export const MAX_CHUNK = 5_000;
const WINDOW_MS = 60_000;
const MAX_SAMPLES = 200_000;

/** The pass's state where it runs (maybe another thread), as the collector reports it. */
export interface PassReport {
  lag: { p50Ms: number; p99Ms: number; maxMs: number; events: number };
  lastError: { message: string; at: number } | null;
}

/**
 * When a thread running the pass sends its state to the collector's main thread: after a chunk
 * at most every 250 ms (a lag summary selects among up to 200,000 samples), at once when told to
 * (caught up, an error), and every second while the last minute's lag still holds samples (they
 * age out while nothing is derived). `send` sends the state and returns the report it sent.
 */
export class ReportPacing {
  private sentAt = 0;
  private sampled = false;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly send: (derived: boolean) => PassReport | null) {
    this.timer = setInterval(() => {
      if (this.sampled && Date.now() - this.sentAt >= 1_000) this.report(false);
    }, 1_000);
    this.timer.unref();
  }

  /** A chunk was derived (or, `now`, something to report at once): whether the state went. */
  derived(now: boolean): boolean {
    if (!now && Date.now() - this.sentAt < 250) return false;
    this.report(true);
    return true;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private report(derived: boolean): void {
    this.sentAt = Date.now();
    this.sampled = (this.send(derived)?.lag.events ?? 0) > 0;
  }
}

/**
 * Derivation lag (acknowledgement → derived) of the events derived in the last minute, as
 * percentiles. Kept where the pass runs, in two rings of numbers (derived at, lag): recording
 * allocates nothing, and nothing per event stays on the heap for the collector to trace.
 */
export class LagWindow {
  private readonly at = new Float64Array(MAX_SAMPLES);
  private readonly lags = new Float64Array(MAX_SAMPLES);
  /** Index of the oldest sample, and how many there are. */
  private start = 0;
  private size = 0;

  record(receivedAt: number[], at = Date.now()): void {
    for (const received of receivedAt) {
      const slot = (this.start + this.size) % MAX_SAMPLES;
      this.at[slot] = at;
      this.lags[slot] = Math.max(0, at - received);
      if (this.size < MAX_SAMPLES) this.size++;
      else this.start = (this.start + 1) % MAX_SAMPLES;
    }
    this.trim(at);
  }

  summary(now = Date.now()): { p50Ms: number; p99Ms: number; maxMs: number; events: number } {
    this.trim(now);
    const n = this.size;
    if (n === 0) return { p50Ms: 0, p99Ms: 0, maxMs: 0, events: 0 };
    const lags = new Float64Array(n);
    for (let i = 0; i < n; i++) lags[i] = this.lags[(this.start + i) % MAX_SAMPLES] as number;
    // Selection, not a sort: /healthz may ask often while 200,000 samples are kept. Selecting p99
    // leaves everything above it at higher indexes, so p50 is selected below it.
    const rank = (q: number) => Math.min(n - 1, Math.ceil(q * n) - 1);
    const p99 = select(lags, rank(0.99), 0, n - 1);
    const p50 = select(lags, rank(0.5), 0, rank(0.99));
    let max = p99;
    for (let i = rank(0.99) + 1; i < n; i++) max = Math.max(max, lags[i] as number);
    return { p50Ms: p50, p99Ms: p99, maxMs: max, events: n };
  }

  /** Drops the samples derived more than a minute before `now` (they are oldest first). */
  private trim(now: number): void {
    while (this.size > 0 && (this.at[this.start] as number) < now - WINDOW_MS) {
      this.start = (this.start + 1) % MAX_SAMPLES;
      this.size--;
    }
  }
}

/**
 * The value that would be at index `k` of `values[from..to]` sorted (Hoare's selection, in
 * place): afterwards, values[from..k] are ≤ it and values[k..to] are ≥ it.
 */
function select(values: Float64Array, k: number, from: number, to: number): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const pivot = values[(lo + hi) >>> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((values[i] as number) < pivot) i++;
      while ((values[j] as number) > pivot) j--;
      if (i <= j) {
        const t = values[i] as number;
        values[i] = values[j] as number;
        values[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return values[k] as number;
}

/**
 * How many events the pass's next chunk reads, between `min` and `max`: a chunk that came back
 * full (the pass is behind) and took at most half of `targetMs` doubles the next; one that took
 * longer than `targetMs` halves it; a chunk that was not full (caught up) starts over at `min`.
 * Larger chunks cost less per event (a user, a session or an hour's rollup touched by many events
 * is written once per chunk) but hold their events back until they commit, and the lock that
 * erasure and retention wait for, longer; the time target bounds that.
 */
export class ChunkSize {
  private size: number;

  constructor(
    readonly min: number,
    readonly max: number,
    readonly targetMs: number,
  ) {
    if (!(min >= 1 && max >= min)) throw new RangeError(`chunk sizes ${min}..${max}: need 1 <= min <= max`);
    this.size = min;
  }

  get next(): number {
    return this.size;
  }

  /** After a chunk of `limit` events that read `derived` of them in `elapsedMs`. */
  done(limit: number, derived: number, elapsedMs: number): void {
    if (derived < limit) this.size = this.min;
    else if (elapsedMs > this.targetMs) this.size = Math.max(this.min, Math.floor(limit / 2));
    else if (elapsedMs * 2 <= this.targetMs) this.size = Math.min(this.max, limit * 2);
  }
}

/**
 * Runs the pass: chunks until nothing is pending (a chunk read fewer events than it asked for),
 * then sleeps until woken (by an ingest) or for `idleMs` (events another process stored). With
 * `settleMs`, an ingest's wake-up within that long of catching up waits for its end, or until
 * ingests woke it for `settleEvents` events: under a steady load the pass then derives what
 * gathered meanwhile in one chunk instead of a small chunk per ingest, whose users', sessions' and
 * rollups' rows it would write again each time. A failing chunk is retried after a pause, never
 * stopping ingest; its error is kept for the status.
 */
export class PassRunner {
  readonly lag = new LagWindow();
  lastError: { message: string; at: number } | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  /** When the timer fires (the runner's clock), and whether it is a retry after an error. */
  private due = 0;
  private retrying = false;
  /** When the pass last caught up (the runner's clock). */
  private caughtUpAt = Number.NEGATIVE_INFINITY;
  /** Events ingests woke the pass for since its last chunk began. */
  private gathered = 0;
  /** A wake-up that does not settle came since the last chunk began. */
  private urgent = false;
  private closed = false;
  private readonly size: ChunkSize;
  private readonly now: () => number;

  constructor(
    private readonly chunk: (limit: number) => Promise<ChunkResult>,
    private readonly options: {
      idleMs?: number;
      /** After catching up, how long ingests' wake-ups wait before the next chunk (default 0). */
      settleMs?: number;
      /** Ingests' wake-ups for this many events end the wait at once (default: none do). */
      settleEvents?: number;
      retryMs?: number;
      onChunk?: (result: ChunkResult) => void;
      /** Nothing is pending any more (after at least one chunk). */
      onCaughtUp?: () => void;
      onError?: (error: unknown) => void;
      /** Events per chunk (default: always MAX_CHUNK). */
      chunkSize?: ChunkSize;
      /** The clock chunks are timed with (tests). */
      now?: () => number;
    } = {},
  ) {
    this.size = options.chunkSize ?? new ChunkSize(MAX_CHUNK, MAX_CHUNK, Number.POSITIVE_INFINITY);
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * Derives soon (after the current chunk, if one runs). `stored`: an ingest stored that many
   * events, which may wait for the pass to settle; without it, at once.
   */
  wake(stored?: number): void {
    if (this.closed) return;
    if (stored === undefined) this.urgent = true;
    else this.gathered += stored;
    if (this.running) {
      this.again = true;
      return;
    }
    const settle = this.caughtUpAt + (this.options.settleMs ?? 0) - this.now();
    if (
      settle > 0 &&
      !this.urgent &&
      this.gathered < (this.options.settleEvents ?? Number.POSITIVE_INFINITY)
    ) {
      this.schedule(settle, "settle");
      return;
    }
    this.urgent = false;
    this.gathered = 0;
    this.clearTimer();
    this.running = this.loop().finally(() => {
      this.running = null;
      if (this.again) this.wake(0);
      else this.schedule(this.options.idleMs);
    });
  }

  /** Lets the chunk in progress finish; no further chunk starts. */
  async close(): Promise<void> {
    this.closed = true;
    this.clearTimer();
    await this.running;
  }

  private async loop(): Promise<void> {
    this.again = false;
    for (let chunks = 0; ; chunks++) {
      if (this.closed) return;
      let result: ChunkResult;
      const limit = this.size.next;
      const started = this.now();
      try {
        result = await this.chunk(limit);
        this.size.done(limit, result.derived, this.now() - started);
      } catch (error) {
        this.lastError = { message: error instanceof Error ? error.message : String(error), at: Date.now() };
        this.options.onError?.(error);
        this.again = false;
        this.schedule(this.options.retryMs ?? 1_000, "retry");
        return;
      }
      this.lastError = null;
      if (result.derived === 0) {
        if (chunks > 0) this.options.onCaughtUp?.();
        return;
      }
      this.lag.record(result.receivedAt);
      this.options.onChunk?.(result);
      // Fewer than asked for: nothing else was pending when the chunk read (what is stored
      // since wakes the pass again). It settles from here (not after a poll that found nothing,
      // which would hold back the next ingest under a light load).
      if (result.derived < limit) {
        this.caughtUpAt = this.now();
        this.options.onCaughtUp?.();
        return;
      }
      // Let waiting work (ingest on the same thread) run between chunks.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Wakes the pass in `ms` (`why`: the idle poll, the end of a settling, a retry after an error),
   * unless a timer is set already. Only the end of a settling replaces one, an idle poll due
   * later: a retry keeps its pause.
   */
  private schedule(ms: number | undefined, why: "idle" | "settle" | "retry" = "idle"): void {
    if (this.closed || ms === undefined) return;
    if (this.timer) {
      if (why !== "settle" || this.retrying || this.due <= this.now() + ms) return;
      clearTimeout(this.timer);
    }
    this.due = this.now() + ms;
    this.retrying = why === "retry";
    this.timer = setTimeout(() => {
      this.timer = null;
      this.retrying = false;
      // As an ingest of nothing: the idle poll too waits while the pass settles.
      this.wake(0);
    }, ms);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.retrying = false;
  }
}
