import type { Event } from "@mcpsight/protocol";
import { describe, expect, it } from "vitest";
import { makeEvent } from "../test/helpers/delivery.js";
import type { Delivery } from "./delivery/index.js";
import { createLogger } from "./log.js";
import { resolveOptions } from "./options.js";
import { DRAIN_CHUNK, Pipeline, readyEvent } from "./pipeline.js";
import { flush } from "./runtime.js";

/** A delivery that only holds what it is given, bounded like the real one. */
function holdingDelivery(maxQueueSize: number) {
  const queued: string[] = [];
  let dropped = 0;
  const delivery: Delivery = {
    enqueue(event: Event) {
      if (queued.length >= maxQueueSize) delivery.dropOldest();
      queued.push(JSON.stringify(event));
    },
    backlog: () => queued.length,
    dropOldest() {
      if (queued.shift() === undefined) return false;
      dropped += 1;
      return true;
    },
    reportDropped(count) {
      dropped += count;
    },
    flush: async () => {},
    shutdown: async () => {},
    stats: () => ({
      queued: queued.length,
      queuedBytes: queued.reduce((sum, json) => sum + Buffer.byteLength(json), 0),
      inFlight: 0,
      sent: 0,
      dropped,
      rejected: 0,
      failedBatches: 0,
      retriedBatches: 0,
    }),
  };
  const ids = () => queued.map((json) => (JSON.parse(json) as Event).id);
  return { delivery, ids, queued, dropped: () => dropped };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("Pipeline", () => {
  it("bounds events waiting for their turn by maxQueueSize, dropping the oldest and reporting the drops", async () => {
    const { delivery, ids, dropped } = holdingDelivery(50);
    const pipeline = new Pipeline(resolveOptions({ maxQueueSize: 50 }), createLogger({}), delivery);
    const events = Array.from({ length: 2000 }, (_, i) => makeEvent(i));
    // A tight loop with no event-loop turn, like a client calling over an in-memory transport.
    for (const event of events) {
      pipeline.submit(readyEvent(event));
      expect(pipeline.waitingCount + delivery.backlog()).toBeLessThanOrEqual(50);
    }
    expect(dropped()).toBe(1950);
    await flush(); // resolves once nothing is being prepared, so dropped events were accounted for
    expect(pipeline.waitingCount).toBe(0);
    expect(ids()).toEqual(events.slice(-50).map((event) => event.id));
    expect(dropped()).toBe(1950);
  });

  it("counts events still waiting toward the bound shared with the delivery queue", () => {
    const { delivery, ids, dropped } = holdingDelivery(10);
    for (let i = 0; i < 8; i++) delivery.enqueue(makeEvent(100 + i));
    const pipeline = new Pipeline(resolveOptions({ maxQueueSize: 10 }), createLogger({}), delivery);
    for (let i = 0; i < 5; i++) pipeline.submit(readyEvent(makeEvent(i)));
    // 8 queued + 5 waiting > 10: the three oldest queued events went first.
    expect(dropped()).toBe(3);
    expect(ids()).toHaveLength(5);
    expect(pipeline.waitingCount).toBe(5);
  });

  it("processes a backlog in chunks, one per event-loop turn", async () => {
    const { delivery, ids } = holdingDelivery(10_000);
    const pipeline = new Pipeline(resolveOptions({ maxQueueSize: 10_000 }), createLogger({}), delivery);
    const total = DRAIN_CHUNK * 2 + 10;
    for (let i = 0; i < total; i++) pipeline.submit(readyEvent(makeEvent(i)));
    await turn();
    expect(ids()).toHaveLength(DRAIN_CHUNK);
    await turn();
    await turn();
    expect(ids()).toHaveLength(total);
  });

  it("sanitizes events before they reach the delivery", async () => {
    const { delivery, queued } = holdingDelivery(10);
    const pipeline = new Pipeline(resolveOptions({}), createLogger({}), delivery);
    pipeline.submit(readyEvent(makeEvent(1, { parameters: { apiKey: "sk-secret", n: 1 } })));
    await flush();
    expect(queued).toHaveLength(1);
    expect(JSON.parse(queued[0] as string).parameters).toEqual({ apiKey: "[REDACTED]", n: 1 });
  });
});
