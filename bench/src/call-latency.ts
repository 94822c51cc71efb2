// Per-call latency of an in-memory tools/call loop: untracked vs tracked by mcpsight vs mcpcat.
// Rounds are interleaved and rotated so drift (thermal, GC, neighbours) hits every variant alike.
import { performance } from "node:perf_hooks";
import type { SinkProcess } from "./sink.js";
import { fmt, mean, quantile, sortedCopy } from "./stats.js";
import { type Connected, callEcho, connect, loadMcpsight, type Variant } from "./variants.js";

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
  ratio: number;
}

export async function benchCallLatency(sink: SinkProcess, options: LatencyOptions): Promise<LatencyResult[]> {
  const mcpsight = await loadMcpsight();
  const variants: Variant[] = mcpsight ? ["untracked", "mcpsight", "mcpcat"] : ["untracked", "mcpcat"];
  if (!mcpsight) process.stderr.write("call latency: mcpsight track() not available yet, skipping it\n");

  const connected: Connected[] = [];
  for (const variant of variants) connected.push(await connect(variant, sink, mcpsight));
  const samples = new Map<Variant, Float64Array>(
    variants.map((variant) => [variant, new Float64Array(options.rounds * options.callsPerRound)]),
  );

  for (const pair of connected) {
    for (let i = 0; i < options.warmupCalls; i++) await callEcho(pair.client, i);
    await pair.settle();
  }

  for (let round = 0; round < options.rounds; round++) {
    for (let k = 0; k < connected.length; k++) {
      const pair = connected[(round + k) % connected.length] as Connected;
      const out = samples.get(pair.variant) as Float64Array;
      const offset = round * options.callsPerRound;
      for (let i = 0; i < options.callsPerRound; i++) {
        const start = performance.now();
        await callEcho(pair.client, i);
        out[offset + i] = (performance.now() - start) * 1000;
      }
      // Let background delivery finish so it does not bleed into the next variant's round.
      await pair.settle();
    }
  }

  for (const pair of connected) await pair.close();
  const baseline = median(samples.get("untracked") as Float64Array);
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
      ratio: medianUs / baseline,
    };
  });
}

function median(values: Float64Array): number {
  return quantile(sortedCopy(values), 0.5);
}

export function formatLatency(results: LatencyResult[]): string {
  const lines = [
    "| variant | calls | median µs | p90 µs | mean µs | median ÷ untracked |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of results) {
    lines.push(
      `| ${r.variant} | ${r.calls} | ${fmt(r.medianUs)} | ${fmt(r.p90Us)} | ${fmt(r.meanUs)} | ${fmt(r.ratio, 3)} |`,
    );
  }
  return lines.join("\n");
}
