import type { ChunkResult } from "./pass.js";

/** The most events one chunk reads: large enough to amortise a transaction when behind. */
export const MAX_CHUNK = 5_000;
const WINDOW_MS = 60_000;
const MAX_SAMPLES = 200_000;

/**
 * Derivation lag (acknowledgement → derived) of the events derived in the last minute, as
 * percentiles. Kept where the pass runs.
 */
export class LagWindow {
  private samples: { at: number; lag: number }[] = [];

  record(receivedAt: number[], at = Date.now()): void {
    for (const received of receivedAt) this.samples.push({ at, lag: Math.max(0, at - received) });
    this.trim(at);
  }

  summary(now = Date.now()): { p50Ms: number; p99Ms: number; maxMs: number; events: number } {
    this.trim(now);
    // A typed array sorts numerically without a comparator call per comparison (a window may
    // hold 200,000 samples, and /healthz asks for it).
    const lags = Float64Array.from(this.samples, (s) => s.lag).sort();
    const at = (q: number) => lags[Math.min(lags.length - 1, Math.ceil(q * lags.length) - 1)] ?? 0;
    return { p50Ms: at(0.5), p99Ms: at(0.99), maxMs: lags.at(-1) ?? 0, events: lags.length };
  }

  private trim(now: number): void {
    let drop = 0;
    while (drop < this.samples.length && (this.samples[drop] as { at: number }).at < now - WINDOW_MS) drop++;
    if (this.samples.length - drop > MAX_SAMPLES) drop = this.samples.length - MAX_SAMPLES;
    if (drop > 0) this.samples.splice(0, drop);
  }
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
