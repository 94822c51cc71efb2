// The host of the outage benchmark (bench/sdk-outage.ts), in its own process so its memory is
// the SDK's and the server's alone: an McpServer tracked by the built mcpsight package, called in
// memory by a real client at a steady rate. The tool called names the phase (before, during and
// after the outage), so the collector's per-tool counts say which phase's events arrived.
// Driven over IPC: {phase} switches the tool, {stop} ends the calls, flushes and reports.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type * as McpsightModule from "mcpsight";
import { z } from "zod";
import type { HostCommand, HostMessage, MemorySample, Phase } from "./outage-protocol.js";
import { TOOL_OF } from "./outage-protocol.js";

const mcpsight: typeof McpsightModule = await import(process.env.MCPSIGHT_SDK || "mcpsight");
const url = process.env.OUTAGE_COLLECTOR_URL ?? "";
const projectId = process.env.OUTAGE_PROJECT_ID ?? "";
const rate = Number(process.env.OUTAGE_RATE ?? "1000");

const send = (message: HostMessage): void => {
  process.send?.(message);
};

let reportedDrops = 0;
const logger = {
  warn: () => {},
  error: () => {},
  debug: (message: string) => {
    const reported = /reporting (\d+) dropped events/.exec(message);
    if (reported) reportedDrops += Number(reported[1]);
  },
};

const server = new McpServer({ name: "outage-bench", version: "1.0.0" });
mcpsight.track(server, projectId, {
  apiBaseUrl: url,
  debug: true,
  logger,
  identify: async () => ({ userId: "user_outage", userName: "Outage Bench" }),
});
for (const tool of Object.values(TOOL_OF)) {
  server.registerTool(
    tool,
    { description: "Searches documents", inputSchema: { query: z.string(), limit: z.number() } },
    async ({ query, limit }) => ({
      content: [{ type: "text", text: `Found ${limit} documents matching "${query}".` }],
    }),
  );
}
const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
await server.connect(serverTransport);
const client = new Client({ name: "outage-bench-client", version: "1.0.0" });
await client.connect(clientTransport);

const sample = (): MemorySample => {
  const usage = process.memoryUsage();
  return { rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external };
};
const higher = (a: MemorySample, b: MemorySample): MemorySample => ({
  rss: Math.max(a.rss, b.rss),
  heapUsed: Math.max(a.heapUsed, b.heapUsed),
  external: Math.max(a.external, b.external),
});
/** Memory after a full collection (the benchmark runs the host with --expose-gc). */
const live = (): MemorySample => {
  globalThis.gc?.();
  return sample();
};
const zero: MemorySample = { rss: 0, heapUsed: 0, external: 0 };
let window: "warm-up" | "up" | "down" = "warm-up";
let peakUp = zero;
let peakDown = zero;
let baseline = zero;
let liveAtRecovery = zero;
setTimeout(() => {
  if (window === "warm-up") window = "up";
}, 1000).unref();
const sampler = setInterval(() => {
  if (window === "up") peakUp = higher(peakUp, sample());
  else if (window === "down") peakDown = higher(peakDown, sample());
}, 50);

let phase: Phase = "before";
const calls: Record<Phase, number> = { before: 0, outage: 0, after: 0 };
let made = 0;
let behindSchedule = 0;
const started = performance.now();
let calling = false;
let stopped = false;

/** Every few ms, makes the calls the rate asks for by now (sequentially, as one client would). */
const pacer = setInterval(async () => {
  if (calling || stopped) return;
  calling = true;
  try {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    behindSchedule = Math.max(behindSchedule, due - made);
    while (made < due && !stopped) {
      const current = phase;
      await client.callTool({
        name: TOOL_OF[current],
        arguments: {
          query: `quarterly revenue ${made}`,
          limit: (made % 20) + 1,
          context: "Find last quarter's revenue figures for the report",
        },
      });
      calls[current] += 1;
      made += 1;
    }
  } finally {
    calling = false;
  }
}, 5);

process.on("message", async (command: HostCommand) => {
  if ("phase" in command) {
    if (command.phase === "outage") {
      baseline = live();
      window = "down";
    } else if (command.phase === "after") {
      liveAtRecovery = live();
    }
    phase = command.phase;
    send({ phaseStarted: command.phase });
    return;
  }
  stopped = true;
  clearInterval(pacer);
  while (calling) await new Promise((resolve) => setTimeout(resolve, 5));
  const flushStarted = performance.now();
  await mcpsight.flush(command.stop.flushTimeoutMs);
  const flushMs = performance.now() - flushStarted;
  clearInterval(sampler);
  await client.close();
  send({
    report: { calls, baseline, peakUp, peakDown, liveAtRecovery, reportedDrops, flushMs, behindSchedule },
  });
  process.disconnect?.();
});

send({ ready: true });
