// `npm run profile:sdk`: a tracked tools/call loop under the V8 profiler, then the functions that
// cost the most self time, so per-call overhead can be traced to a file and line.
// Run with `--cpu-prof --cpu-prof-dir=<dir>`; arguments: variant, calls, and optionally mcpsight's
// flushIntervalMs (instructions.ts sets it so batches are as full as in the timed runs).
import { SinkProcess } from "./sink.js";
import { callEcho, connect, nextRequest, type Variant } from "./variants.js";

process.env.DISABLE_DIAGNOSTICS = "1";
const variant = (process.argv[2] ?? "mcpsight") as Variant;
const calls = Number(process.argv[3] ?? "20000");
const flushIntervalMs = process.argv[4] ? Number(process.argv[4]) : undefined;

const sink = await SinkProcess.start();
try {
  const pair = await connect(variant, sink, { flushIntervalMs });
  for (let i = 0; i < calls; i++) {
    await callEcho(pair.client, i);
    await nextRequest();
  }
  await pair.settle();
  await pair.close();
} finally {
  sink.stop();
}
