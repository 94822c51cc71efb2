// Per-call latency of an in-memory tools/call loop: untracked vs tracked by mcpsight vs mcpcat.
// Rounds are interleaved and rotated so drift (thermal, GC, neighbours) hits every variant alike.
import { performance } from "node:perf_hooks";
import type { SinkProcess } from "./sink.js";
import { fmt, mean, quantile, sortedCopy } from "./stats.js";
import { type Connected, callEcho, connect, nextRequest, type Variant } from "./variants.js";

export interface LatencyOptions {
  rounds: number;
  callsPerRound: number;
  warmupCalls: number;
}

export interface LatencyResult {
  variant: Variant;
  calls: number;
  medianUs: number;
  p90Us: number;
  meanUs: number;
  /** Pooled median ÷ pooled untracked median. */
  pooledRatio: number;
  /** Round wall time per call, including work deferred past the response, and its ratio. */
  loopUs: number;
  loopRatio: number;
  /** Process CPU time per call, µs, and its ratio to untracked. */
  cpuUs: number;
  cpuRatio: number;
  /** Median over rounds of (round median ÷ same round's untracked median): the headline figure. */
  ratio: number;
}

export async function benchCallLatency(sink: SinkProcess, options: LatencyOptions): Promise<LatencyResult[]> {
  const variants: Variant[] = ["untracked", "mcpsight", "mcpcat"];

  const connected: Connected[] = [];
  for (const variant of variants) connected.push(await connect(variant, sink));
  const samples = new Map<Variant, Float64Array>(
    variants.map((variant) => [variant, new Float64Array(options.rounds * options.callsPerRound)]),
  );

  for (const pair of connected) {
    for (let i = 0; i < options.warmupCalls; i++) {
      await callEcho(pair.client, i);
      await nextRequest();
    }
    await pair.settle();
  }

  // Per round, each variant's median ÷ the untracked median of the same round: comparing within a
  // round cancels the slow drift of a shared machine better than comparing pooled medians.
  const roundRatios = new Map<Variant, number[]>(variants.map((variant) => [variant, []]));
  // Process CPU time (all threads, so compression and GC count) is steadier than wall time when
  // other processes share the machine.
  const cpuMicros = new Map<Variant, number>();
  // Wall time of whole rounds, including each variant's deferred work between calls.
  const loopMicros = new Map<Variant, number>();
  const collectGarbage = (globalThis as { gc?: () => void }).gc;
  for (let round = 0; round < options.rounds; round++) {
    const roundMedians = new Map<Variant, number>();
    for (let k = 0; k < connected.length; k++) {
      const pair = connected[(round + k) % connected.length] as Connected;
      const out = samples.get(pair.variant) as Float64Array;
      const offset = round * options.callsPerRound;
      collectGarbage?.(); // Start each round with a clean heap so no variant pays for another's garbage.
      const cpuBefore = process.cpuUsage();
      const roundStart = performance.now();
      for (let i = 0; i < options.callsPerRound; i++) {
        const start = performance.now();
        await callEcho(pair.client, i);
        out[offset + i] = (performance.now() - start) * 1000;
        await nextRequest(); // Deferred tracking work runs here: in the loop time, not the call's latency.
      }
      loopMicros.set(
        pair.variant,
        (loopMicros.get(pair.variant) ?? 0) + (performance.now() - roundStart) * 1000,
      );
      const cpu = process.cpuUsage(cpuBefore);
      cpuMicros.set(pair.variant, (cpuMicros.get(pair.variant) ?? 0) + cpu.user + cpu.system);
      roundMedians.set(pair.variant, median(out.subarray(offset, offset + options.callsPerRound)));
      // Let background delivery finish so it does not bleed into the next variant's round.
      await pair.settle();
    }
    const base = roundMedians.get("untracked") as number;
    for (const [variant, value] of roundMedians) roundRatios.get(variant)?.push(value / base);
  }

  for (const pair of connected) await pair.close();
  const baseline = median(samples.get("untracked") as Float64Array);
  const totalCalls = options.rounds * options.callsPerRound;
  const cpuPerCall = (variant: Variant) => (cpuMicros.get(variant) ?? 0) / totalCalls;
  const loopPerCall = (variant: Variant) => (loopMicros.get(variant) ?? 0) / totalCalls;
  return variants.map((variant) => {
    const values = samples.get(variant) as Float64Array;
    const sorted = sortedCopy(values);
    const medianUs = quantile(sorted, 0.5);
    return {
      variant,
      calls: values.length,
      medianUs,
      p90Us: quantile(sorted, 0.9),
      meanUs: mean(values),
      pooledRatio: medianUs / baseline,
      loopUs: loopPerCall(variant),
      loopRatio: loopPerCall(variant) / loopPerCall("untracked"),
      cpuUs: cpuPerCall(variant),
      cpuRatio: cpuPerCall(variant) / cpuPerCall("untracked"),
      ratio: quantile(Float64Array.from(roundRatios.get(variant) ?? []).sort(), 0.5),
    };
  });
}

function median(values: Float64Array): number {
  return quantile(sortedCopy(values), 0.5);
}

export function formatLatency(results: LatencyResult[]): string {
  const lines = [
    "| variant | calls | median µs | p90 µs | **latency ratio** | pooled-median ratio | loop µs/call | loop ratio | CPU µs/call | CPU ratio |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of results) {
    lines.push(
      `| ${r.variant} | ${r.calls} | ${fmt(r.medianUs)} | ${fmt(r.p90Us)} | **${fmt(r.ratio, 3)}** | ${fmt(r.pooledRatio, 3)} | ${fmt(r.loopUs)} | ${fmt(r.loopRatio, 3)} | ${fmt(r.cpuUs)} | ${fmt(r.cpuRatio, 3)} |`,
    );
  }
  return lines.join("\n");
}
