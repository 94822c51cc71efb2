// Run as a child process by the delivery tests: enqueues events and returns without flushing or
// shutting down. The process must still exit on its own, delivering on beforeExit when it can.
import { createDelivery } from "../../src/delivery/index.js";

const endpoint = process.env.SINK_URL ?? "http://127.0.0.1:9";
const count = Number(process.env.EVENT_COUNT ?? "25");
const write = (level: string) => (message: string) => process.stderr.write(`${level} ${message}\n`);

const delivery = createDelivery({
  endpoint,
  maxQueueSize: 10_000,
  maxBatchSize: 1000,
  flushIntervalMs: 60_000,
  maxConcurrency: 4,
  logger: { debug: write("debug"), warn: write("warn"), error: write("error") },
  sdkHeader: "typescript/0.0.0-child",
  retryBaseMs: 1000,
  retryMaxMs: 60_000,
});

for (let i = 0; i < count; i++) {
  delivery.enqueue({
    id: `child-${process.pid}-${i}`,
    projectId: "proj_child",
    sessionId: "sess_child",
    eventType: "mcp:tools/call",
    timestamp: new Date().toISOString(),
  });
}
