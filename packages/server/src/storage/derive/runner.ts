import type { ChunkResult } from "./pass.js";

/** The most events one chunk reads: large enough to amortise a transaction when behind. */
export const MAX_CHUNK = 5_000;
const WINDOW_MS = 60_000;
const MAX_SAMPLES = 200_000;

/**
 * Derivation lag (acknowledgement → derived) of the events derived in the last minute, as
 * percentiles. Kept where the pass runs: one typed array per chunk (all of a chunk's events are
 * derived at the same moment), and percentiles by selection rather than a sort, since /healthz
 * may ask often while 200,000 samples are kept.
 */
export class LagWindow {
  private chunks: { at: number; lags: Float64Array }[] = [];
  private size = 0;

  record(receivedAt: number[], at = Date.now()): void {
    if (receivedAt.length > 0)
      this.chunks.push({ at, lags: Float64Array.from(receivedAt, (received) => Math.max(0, at - received)) });
    this.size += receivedAt.length;
    this.trim(at);
  }

  summary(now = Date.now()): { p50Ms: number; p99Ms: number; maxMs: number; events: number } {
    this.trim(now);
    const n = this.size;
    if (n === 0) return { p50Ms: 0, p99Ms: 0, maxMs: 0, events: 0 };
    const lags = new Float64Array(n);
    let offset = 0;
    for (const chunk of this.chunks) {
      lags.set(chunk.lags, offset);
      offset += chunk.lags.length;
    }
    const rank = (q: number) => Math.min(n - 1, Math.ceil(q * n) - 1);
    // Selecting p99 leaves everything above it at higher indexes: p50 is selected below it.
    const p99 = select(lags, rank(0.99), 0, n - 1);
    const p50 = select(lags, rank(0.5), 0, rank(0.99));
    let max = p99;
    for (let i = rank(0.99) + 1; i < n; i++) max = Math.max(max, lags[i] as number);
    return { p50Ms: p50, p99Ms: p99, maxMs: max, events: n };
  }

  private trim(now: number): void {
    let drop = 0;
    for (const chunk of this.chunks) {
      if (chunk.at >= now - WINDOW_MS) break;
      this.size -= chunk.lags.length;
      drop++;
    }
    if (drop > 0) this.chunks.splice(0, drop);
    // The oldest samples beyond the cap go, partly from a chunk if need be.
    while (this.size > MAX_SAMPLES) {
      const oldest = this.chunks[0] as { lags: Float64Array };
      const excess = this.size - MAX_SAMPLES;
      if (oldest.lags.length <= excess) {
        this.chunks.shift();
        this.size -= oldest.lags.length;
      } else {
        oldest.lags = oldest.lags.subarray(excess);
        this.size -= excess;
      }
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
 * Runs the pass: chunks until nothing is pending, then sleeps until woken (by an ingest) or for
 * `idleMs` (events another process stored). A failing chunk is retried after a pause, never
 * stopping ingest; its error is kept for the status.
 */
export class PassRunner {
  readonly lag = new LagWindow();
  lastError: { message: string; at: number } | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly chunk: (limit: number) => Promise<ChunkResult>,
    private readonly options: {
      idleMs?: number;
      retryMs?: number;
      onChunk?: (result: ChunkResult) => void;
      /** Nothing is pending any more (after at least one chunk). */
      onCaughtUp?: () => void;
      onError?: (error: unknown) => void;
    } = {},
  ) {}

  /** Derives soon (after the current chunk, if one runs). */
  wake(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.clearTimer();
    this.running = this.loop().finally(() => {
      this.running = null;
      if (this.again) this.wake();
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
      try {
        result = await this.chunk(MAX_CHUNK);
      } catch (error) {
        this.lastError = { message: error instanceof Error ? error.message : String(error), at: Date.now() };
        this.options.onError?.(error);
        this.again = false;
        this.schedule(this.options.retryMs ?? 1_000);
        return;
      }
      this.lastError = null;
      if (result.derived === 0) {
        if (chunks > 0) this.options.onCaughtUp?.();
        return;
      }
      this.lag.record(result.receivedAt);
      this.options.onChunk?.(result);
      // Let waiting work (ingest on the same thread) run between chunks.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private schedule(ms: number | undefined): void {
    if (this.closed || ms === undefined || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.wake();
    }, ms);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
