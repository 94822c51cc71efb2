/**
 * Derivation lag during an ingest benchmark, read from the collectors' `/healthz`: sampled while
 * batches are sent (the largest backlog and lag seen), then, after the last acknowledgement, how
 * long the pass took to derive what was pending, and the lag percentiles (acknowledged → derived)
 * of the events derived in the last minute, from the collector running the pass.
 */
interface Health {
  derivation: {
    pending: number;
    lagMs: number;
    recent: { p50Ms: number; p99Ms: number; maxMs: number; events: number } | null;
    lastError: string | null;
  };
}

export interface LagReport {
  /** From the last acknowledgement until nothing was pending. */
  catchUpMs: number;
  maxPending: number;
  maxLagMs: number;
  /** Lag percentiles of the last minute where the pass runs (null if no collector reported one). */
  recent: { p50Ms: number; p99Ms: number; maxMs: number; events: number } | null;
}

const health = async (url: string): Promise<Health> =>
  (await fetch(`${url}/healthz`)).json() as Promise<Health>;

export class LagProbe {
  private maxPending = 0;
  private maxLagMs = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly urls: string[],
    private readonly everyMs = 250,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      void health(this.urls[0] as string).then(
        ({ derivation }) => {
          this.maxPending = Math.max(this.maxPending, derivation.pending);
          this.maxLagMs = Math.max(this.maxLagMs, derivation.lagMs);
        },
        () => {},
      );
    }, this.everyMs);
  }

  /** Call right after the last batch is acknowledged: waits until the pass has caught up. */
  async drain(timeoutMs = 600_000): Promise<LagReport> {
    const acknowledged = performance.now();
    if (this.timer) clearInterval(this.timer);
    for (;;) {
      const { derivation } = await health(this.urls[0] as string);
      if (derivation.pending === 0) break;
      if (performance.now() - acknowledged > timeoutMs)
        throw new Error(
          `derivation still had ${derivation.pending} events pending (${derivation.lastError ?? "no error"})`,
        );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const catchUpMs = performance.now() - acknowledged;
    let recent: LagReport["recent"] = null;
    for (const url of this.urls) recent ??= (await health(url)).derivation.recent;
    return { catchUpMs, maxPending: this.maxPending, maxLagMs: this.maxLagMs, recent };
  }
}

export const describeLag = (lag: LagReport): string =>
  `derivation lag p50 ${lag.recent?.p50Ms ?? "?"} ms, p99 ${lag.recent?.p99Ms ?? "?"} ms, max ${lag.recent?.maxMs ?? "?"} ms ` +
  `(${lag.recent?.events ?? 0} events in the last minute); caught up ${lag.catchUpMs.toFixed(0)} ms after the last ` +
  `acknowledgement; at most ${lag.maxPending} pending (${lag.maxLagMs} ms behind) while sending`;
