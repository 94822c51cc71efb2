// `npm run bench:sdk`: the SDK benchmarks in one bounded run, printed as Markdown tables.
// Everything talks to a sink on 127.0.0.1; mcpcat's diagnostics and log file stay local too.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

process.env.DISABLE_DIAGNOSTICS = "1";
// mcpcat appends to ~/mcpcat.log on every event; keep that out of the user's home.
process.env.HOME = mkdtempSync(join(tmpdir(), "mcpsight-bench-"));

const { benchCallLatency, formatLatency } = await import("./call-latency.js");
const { benchDeliveryCapacity, benchDeliveryPaced, benchMcpcatDelivery, formatThroughput } = await import(
  "./delivery-throughput.js"
);
const { describeMachine } = await import("./machine.js");
const { SinkProcess } = await import("./sink.js");

const quick = process.argv.includes("--quick");
const sink = await SinkProcess.start();
try {
  process.stdout.write(`## SDK benchmarks\n\n${describeMachine()}\n\n`);

  const latency = await benchCallLatency(sink, {
    rounds: quick ? 8 : 30,
    callsPerRound: quick ? 250 : 400,
    warmupCalls: quick ? 500 : 2000,
  });
  process.stdout.write(`### tools/call latency (in-memory transport)\n\n${formatLatency(latency)}\n\n`);

  const throughput = [
    await benchDeliveryCapacity(sink, quick ? 100_000 : 300_000),
    await benchDeliveryPaced(sink, 50_000, quick ? 2 : 4),
    await benchMcpcatDelivery(sink, quick ? 1000 : 3000, 30_000),
  ];
  process.stdout.write(
    `### Delivery throughput (one process → local sink)\n\n${formatThroughput(throughput)}\n`,
  );
} finally {
  sink.stop();
}
