import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ChunkResult } from "./pass.js";
import { ChunkSize, LagWindow, MAX_CHUNK, PassRunner, ReportPacing } from "./runner.js";

/** The percentiles as a sort gives them (the definition the window must match). */
function bySort(lags: number[]) {
  const sorted = [...lags].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
  return { p50Ms: at(0.5), p99Ms: at(0.99), maxMs: sorted.at(-1) ?? 0, events: sorted.length };
}

describe("the derivation lag window", () => {
  it("gives percentiles of the last minute's lags", () => {
    const lag = new LagWindow();
    const now = 1_000_000;
    // 100 events derived at `now`, acknowledged 1 … 100 ms before.
    lag.record(
      Array.from({ length: 100 }, (_, i) => now - (i + 1)),
      now,
    );
    expect(lag.summary(now)).toEqual({ p50Ms: 50, p99Ms: 99, maxMs: 100, events: 100 });
    // A minute later those are gone; a new sample is all there is.
    lag.record([now + 60_001 - 7], now + 60_001);
    expect(lag.summary(now + 60_001)).toEqual({ p50Ms: 7, p99Ms: 7, maxMs: 7, events: 1 });
    expect(lag.summary(now + 200_000)).toEqual({ p50Ms: 0, p99Ms: 0, maxMs: 0, events: 0 });
  });

  it("keeps the newest 200,000 samples when more were derived within the minute", () => {
    const lag = new LagWindow();
    const now = 5_000_000;
    lag.record(new Array<number>(150_000).fill(now - 1_000), now);
    lag.record(new Array<number>(150_000).fill(now - 10), now);
    const summary = lag.summary(now);
    expect(summary.events).toBe(200_000);
    // 150,000 of 10 ms and 50,000 of 1,000 ms remain.
    expect(summary).toMatchObject({ p50Ms: 10, p99Ms: 1_000, maxMs: 1_000 });
  });

  it("reports the percentiles of the last minute's samples as a sort would", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const window = new LagWindow();
    const kept: { at: number; lag: number }[] = [];
    let now = 1_000_000;
    expect(window.summary(now)).toEqual(bySort([]));
    for (let chunk = 0; chunk < 300; chunk++) {
      now += Math.floor(random() * 1_000);
      const size = Math.floor(random() * 40);
      // Repeated values and a few outliers, as real lags have.
      const received = Array.from({ length: size }, () =>
        random() < 0.05 ? now - Math.floor(random() * 30_000) : now - Math.floor(random() * 50) * 10,
      );
      window.record(received, now);
      for (const r of received) kept.push({ at: now, lag: Math.max(0, now - r) });
      const expected = bySort(kept.filter((s) => s.at >= now - 60_000).map((s) => s.lag));
      expect(window.summary(now)).toEqual(expected);
    }
    expect(window.summary(now + 120_000)).toEqual(bySort([]));
  });
});

/**
 * Runs a pass over a backlog of `pending` events, each costing `msPerEvent` on the runner's clock,
 * until it has caught up; resolves to the limits its chunks were asked for.
 */
async function drain(
  pending: number,
  options: { chunkSize?: ChunkSize; msPerEvent?: number } = {},
): Promise<{ limits: number[]; left: number }> {
  let clock = 0;
  const limits: number[] = [];
  const chunk = async (limit: number): Promise<ChunkResult> => {
    limits.push(limit);
    const derived = Math.min(limit, pending);
    pending -= derived;
    clock += derived * (options.msPerEvent ?? 0);
    return { derived, receivedAt: [] };
  };
  await new Promise<void>((resolve) => {
    const runner = new PassRunner(chunk, {
      chunkSize: options.chunkSize,
      now: () => clock,
      onCaughtUp: () => {
        void runner.close();
        resolve();
      },
    });
    runner.wake();
  });
  return { limits, left: pending };
}

describe("the pass's chunk size", () => {
  it("doubles while full chunks are quick, halves when one is slow, starts over when caught up", () => {
    const size = new ChunkSize(5_000, 40_000, 500);
    expect(size.next).toBe(5_000);
    // [events asked for, events read, ms taken, the next size]
    const steps: [number, number, number, number][] = [
      [5_000, 5_000, 100, 10_000],
      [10_000, 10_000, 250, 20_000],
      [20_000, 20_000, 400, 20_000], // within the target but not within half of it: stays
      [20_000, 20_000, 200, 40_000],
      [40_000, 40_000, 10, 40_000], // at the most
      [40_000, 40_000, 900, 20_000],
      [20_000, 123, 5, 5_000], // not full: nothing more was pending
      [5_000, 5_000, 10_000, 5_000], // at the least
    ];
    for (const [limit, derived, elapsed, next] of steps) {
      size.done(limit, derived, elapsed);
      expect(size.next).toBe(next);
    }
    expect(() => new ChunkSize(10, 5, 100)).toThrow(RangeError);
  });

  it("is what the runner asks its chunks for, timed by its clock", async () => {
    const { limits, left } = await drain(200_000, {
      chunkSize: new ChunkSize(5_000, 40_000, 500),
      msPerEvent: 0.02,
    });
    // 100 ms, 200 ms, then 400 ms chunks (20,000 events); 40,000 would take 800 ms.
    expect(limits.slice(0, 4)).toEqual([5_000, 10_000, 20_000, 20_000]);
    expect(limits.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(200_000);
    expect(left).toBe(0);
  });

  it("stays at MAX_CHUNK when given no size range", async () => {
    const { limits } = await drain(3 * MAX_CHUNK + 1);
    // The fourth reads the one event left, fewer than asked for: caught up, no empty chunk after.
    expect(limits).toEqual([MAX_CHUNK, MAX_CHUNK, MAX_CHUNK, MAX_CHUNK]);
  });
});

/** The runner's pause between chunks (setImmediate, real under the fake timers below) passed. */
const between = async () => {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
};

/**
 * A runner over a count of pending events, on fake timers and clock: `ingest` stores and wakes it,
 * `chunks` lists what each chunk derived, `fail` makes the next chunks throw.
 */
function settlingRunner(options: ConstructorParameters<typeof PassRunner>[1]) {
  let pending = 0;
  let failures = 0;
  const chunks: number[] = [];
  const runner = new PassRunner(
    async (limit) => {
      if (failures > 0) {
        failures--;
        throw new Error("connection lost");
      }
      const derived = Math.min(limit, pending);
      pending -= derived;
      chunks.push(derived);
      return { derived, receivedAt: [] };
    },
    { chunkSize: new ChunkSize(10, 10, 500), now: () => Date.now(), ...options },
  );
  return {
    runner,
    chunks,
    ingest: (events: number) => {
      pending += events;
      runner.wake(events);
    },
    /** Stored without an ingest's wake-up (as by another process). */
    store: (events: number) => {
      pending += events;
    },
    fail: (times: number) => {
      failures = times;
    },
  };
}

describe("the pass settling after it caught up", () => {
  // Timers and the clock faked; the runner's pause between chunks (setImmediate) real.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("derives what ingests store within settleMs of catching up in one chunk, at its end or at settleEvents", async () => {
    const { runner, chunks, ingest, store } = settlingRunner({
      settleMs: 250,
      settleEvents: 8,
      // The idle poll, due before the settling ends, waits for it too.
      idleMs: 100,
    });
    // Behind: full chunks follow each other at once, until one reads fewer than asked for.
    ingest(25);
    await between();
    expect(chunks).toEqual([10, 10, 5]);
    // Three ingests within the settle time: no chunk until it ends, then one for all.
    for (let i = 0; i < 3; i++) {
      ingest(2);
      await vi.advanceTimersByTimeAsync(60);
    }
    expect(chunks).toEqual([10, 10, 5]);
    await vi.advanceTimersByTimeAsync(70);
    await between();
    expect(chunks).toEqual([10, 10, 5, 6]);
    // Within the settle time again: once ingests stored settleEvents (8), at once.
    ingest(5);
    await between();
    expect(chunks).toEqual([10, 10, 5, 6]);
    ingest(3);
    await between();
    expect(chunks).toEqual([10, 10, 5, 6, 8]);
    // A wake-up without a count (someone waits for the pass) does not settle.
    store(1);
    runner.wake();
    await between();
    expect(chunks).toEqual([10, 10, 5, 6, 8, 1]);
    // An ingest later than settleMs after the last chunk derives at once, though idle polls
    // that found nothing (the chunks of 0) came meanwhile.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(chunks.length).toBeGreaterThan(6);
    ingest(1);
    await between();
    expect(chunks.filter((n) => n > 0)).toEqual([10, 10, 5, 6, 8, 1, 1]);
    await runner.close();
  });

  it("ends a settling before an idle poll due later, and keeps a retry's pause", async () => {
    const { runner, chunks, ingest, fail } = settlingRunner({
      settleMs: 250,
      idleMs: 1_000,
      retryMs: 1_000,
    });
    ingest(3);
    await between();
    expect(chunks).toEqual([3]);
    // The idle poll is due in 1 s; the ingest is derived when the settling ends.
    ingest(2);
    await vi.advanceTimersByTimeAsync(250);
    await between();
    expect(chunks).toEqual([3, 2]);
    // A chunk fails: its retry in 1 s holds though an ingest settles sooner.
    fail(1);
    runner.wake();
    await between();
    expect(runner.lastError?.message).toBe("connection lost");
    ingest(1);
    await vi.advanceTimersByTimeAsync(900);
    await between();
    expect(chunks).toEqual([3, 2]);
    await vi.advanceTimersByTimeAsync(100);
    await between();
    expect(chunks).toEqual([3, 2, 1]);
    await runner.close();
  });

  it("runs at once on every ingest without settleMs", async () => {
    const { runner, chunks, ingest } = settlingRunner({});
    for (let i = 1; i <= 3; i++) {
      ingest(i);
      await between();
      expect(chunks.at(-1)).toBe(i);
    }
    expect(chunks).toEqual([1, 2, 3]);
    await runner.close();
  });
});

describe("the pacing of the pass's reports", () => {
  it("reports a chunk at most every 250 ms, at once when told, and every second while samples remain", () => {
    vi.useFakeTimers({ now: 1_000_000 });
    try {
      let events = 5;
      const sent: boolean[] = [];
      const pacing = new ReportPacing((derived) => {
        sent.push(derived);
        return { lag: { p50Ms: 0, p99Ms: 0, maxMs: 0, events }, lastError: null };
      });
      expect(pacing.derived(false)).toBe(true);
      vi.advanceTimersByTime(100);
      expect(pacing.derived(false)).toBe(false);
      expect(pacing.derived(true)).toBe(true);
      vi.advanceTimersByTime(250);
      expect(pacing.derived(false)).toBe(true);
      expect(sent).toEqual([true, true, true]);
      // Nothing derived: the window still holds samples, so the state goes again on the first
      // one-second tick at least a second after the last report (not as a chunk), until a report
      // finds it empty.
      vi.advanceTimersByTime(1_000);
      expect(sent).toEqual([true, true, true]);
      vi.advanceTimersByTime(1_000);
      expect(sent).toEqual([true, true, true, false]);
      events = 0;
      vi.advanceTimersByTime(1_000);
      vi.advanceTimersByTime(5_000);
      expect(sent).toEqual([true, true, true, false, false]);
      pacing.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
