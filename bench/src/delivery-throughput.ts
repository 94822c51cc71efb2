// Events per second from one process to a local sink, with zero drops: mcpsight's batched
// delivery beside mcpcat's one-POST-per-event queue, both to the same out-of-process sink.
import { performance } from "node:perf_hooks";
import { setImmediate as nextTurn, setTimeout as sleep } from "node:timers/promises";
import type { Event } from "@mcpsight/protocol";
import { createDelivery, type Delivery } from "../../packages/sdk/src/delivery/index.js";
import type { SinkProcess } from "./sink.js";
import { fmt } from "./stats.js";
import { callEcho, connect, nextRequest } from "./variants.js";

export interface ThroughputResult {
  name: string;
  events: number;
  delivered: number;
  dropped: number;
  seconds: number;
  eventsPerSecond: number;
}

const silent = { debug() {}, warn() {}, error() {} };

/** A tools/call event shaped like the ones track() produces (~500 bytes of JSON). */
function makeEvents(count: number, run: string): Event[] {
  const timestamp = new Date().toISOString();
  return Array.from({ length: count }, (_, i) => ({
    id: `evt_${run}_${i}`,
    projectId: "proj_bench",
    sessionId: `ses_${run}_${i % 50}`,
    eventType: "mcp:tools/call",
    timestamp,
    duration: 3,
    resourceName: "search_documents",
    parameters: { query: `quarterly revenue ${i}`, limit: 10 },
    response: { content: [{ type: "text", text: `Found ${i % 17} documents matching the query.` }] },
    userIntent: "Find last quarter's revenue figures for the report",
    identifyActorGivenId: `user_${i % 200}`,
    clientName: "claude-code",
    clientVersion: "1.0.0",
    serverName: "bench-server",
    serverVersion: "1.0.0",
    sdkLanguage: "typescript",
    sdkVersion: "0.1.0",
  }));
}

function newDelivery(sink: SinkProcess): Delivery {
  return createDelivery({
    endpoint: sink.url,
    maxQueueSize: 10_000,
    maxBatchSize: 1000,
    flushIntervalMs: 1000,
    maxConcurrency: 4,
    logger: silent,
    sdkHeader: "typescript/bench",
  });
}

/**
 * Capacity: the producer enqueues as fast as delivery drains, never past the queue bound, so the
 * figure is the most delivery sustains without dropping.
 */
export async function benchDeliveryCapacity(sink: SinkProcess, count: number): Promise<ThroughputResult> {
  await sink.reset();
  const events = makeEvents(count, "cap");
  const delivery = newDelivery(sink);
  const start = performance.now();
  let next = 0;
  while (next < count) {
    const { queued, inFlight } = delivery.stats();
    const room = Math.min(10_000 - queued - inFlight, 1000, count - next);
    for (let i = 0; i < room; i++) delivery.enqueue(events[next++] as Event);
    await nextTurn();
  }
  await delivery.flush(60_000);
  const seconds = (performance.now() - start) / 1000;
  return finish("mcpsight delivery, as fast as it drains", sink, delivery, count, seconds);
}

/** Paced: a steady `rate` events/s for `seconds`, as a busy server would produce them. */
export async function benchDeliveryPaced(
  sink: SinkProcess,
  rate: number,
  seconds: number,
): Promise<ThroughputResult> {
  await sink.reset();
  const count = rate * seconds;
  const events = makeEvents(count, `paced${rate}`);
  const delivery = newDelivery(sink);
  const start = performance.now();
  let next = 0;
  while (next < count) {
    const due = Math.min(count, Math.floor(((performance.now() - start) / 1000) * rate));
    while (next < due) delivery.enqueue(events[next++] as Event);
    await sleep(1);
  }
  await delivery.flush(60_000);
  const elapsed = (performance.now() - start) / 1000;
  return finish(`mcpsight delivery, paced at ${rate}/s`, sink, delivery, count, elapsed);
}

async function finish(
  name: string,
  sink: SinkProcess,
  delivery: Delivery,
  count: number,
  seconds: number,
): Promise<ThroughputResult> {
  const stats = await sink.stats();
  const dropped = delivery.stats().dropped;
  await delivery.shutdown(1000);
  return {
    name,
    events: count,
    delivered: stats.unique,
    dropped,
    seconds,
    eventsPerSecond: stats.unique / seconds,
  };
}

/**
 * mcpcat through its real track() (its queue is not exported): tool calls as fast as the loop
 * runs, then the time until the sink has every tools/call event. Bounded by `timeoutMs`.
 */
export async function benchMcpcatDelivery(
  sink: SinkProcess,
  calls: number,
  timeoutMs: number,
): Promise<ThroughputResult> {
  const pair = await connect("mcpcat", sink);
  await sink.waitQuiet(5000); // initialize / tools/list events from connecting.
  await sink.reset();
  const start = performance.now();
  for (let i = 0; i < calls; i++) {
    await callEcho(pair.client, i);
    await nextRequest();
  }
  const stats = await sink.waitFor(calls, timeoutMs);
  const seconds = (performance.now() - start) / 1000;
  await pair.close();
  return {
    name: "mcpcat (one POST per event)",
    events: calls,
    delivered: stats.unique,
    dropped: calls - stats.unique,
    seconds,
    eventsPerSecond: stats.unique / seconds,
  };
}

export function formatThroughput(results: ThroughputResult[]): string {
  const lines = [
    "| sender | events | delivered | dropped | seconds | events/s |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of results) {
    lines.push(
      `| ${r.name} | ${r.events} | ${r.delivered} | ${r.dropped} | ${fmt(r.seconds, 2)} | ${Math.round(r.eventsPerSecond)} |`,
    );
  }
  return lines.join("\n");
}
