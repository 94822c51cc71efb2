// A collector outage, against a real HTTP server that drops every connection until it "comes
// back": the queue stays within its byte and event bounds, drops the oldest, and drains once the
// collector answers again. No wall-clock thresholds: waits are for conditions, with generous caps.
import { setImmediate as nextTurn } from "node:timers/promises";
import type { Event } from "@mcpsight/protocol";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { makeEvent, testDelivery } from "../../test/helpers/delivery.js";
import { Sink } from "../../test/helpers/sink.js";

let sink: Sink;

beforeEach(async () => {
  sink = await new Sink().start();
});

afterEach(async () => {
  await sink.stop();
});

/** The sink drops every connection, as a collector that is down; returns the way back. */
function outage(): () => void {
  sink.respondWith((request) => {
    request.socket.destroy();
    return true;
  });
  return () => sink.respondWith(undefined);
}

const bytesOf = (event: Event): number => Buffer.byteLength(JSON.stringify(event));

/** Every event id the sink received, each batch counted once, with the drops the batches reported. */
function received(): { ids: string[]; reportedDrops: number } {
  return {
    ids: sink.events.map((event) => event.id),
    reportedDrops: sink.batches.reduce((sum, batch) => sum + (batch.body.droppedEvents ?? 0), 0),
  };
}

describe("the byte bound", () => {
  it("holds queued and retrying events to maxQueueBytes, dropping the oldest and reporting them", async () => {
    const back = outage();
    const events = Array.from({ length: 60 }, (_, i) =>
      makeEvent(i, { parameters: { text: "x".repeat(1000) } }),
    );
    const size = bytesOf(events[0] as Event);
    const maxQueueBytes = 10 * size + size / 2; // room for ten events, never eleven
    const { delivery } = testDelivery(sink.url, { maxQueueBytes, maxBatchSize: 4, maxConcurrency: 1 });

    let peakBytes = 0;
    let peakEvents = 0;
    for (const [i, event] of events.entries()) {
      delivery.enqueue(event);
      const stats = delivery.stats();
      peakBytes = Math.max(peakBytes, stats.queuedBytes);
      peakEvents = Math.max(peakEvents, stats.queued + stats.inFlight);
      if (i % 5 === 0) await nextTurn(); // let batches go out, fail and wait to be retried
    }
    await vi.waitFor(() => expect(delivery.stats().retriedBatches).toBeGreaterThan(0));
    expect(peakBytes).toBeLessThanOrEqual(maxQueueBytes);
    expect(peakEvents).toBeLessThanOrEqual(10);
    expect(delivery.stats().dropped).toBeGreaterThanOrEqual(50);

    back();
    await delivery.flush(30_000);
    const { ids, reportedDrops } = received();
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.length).toBeLessThanOrEqual(10);
    expect(ids.at(-1)).toBe(events.at(-1)?.id);
    expect(ids.length + reportedDrops).toBe(events.length);
    expect(delivery.stats()).toMatchObject({ queued: 0, inFlight: 0, queuedBytes: 0 });
    await delivery.shutdown();
  });

  it("counts the UTF-8 bytes of each event's JSON", async () => {
    const { delivery } = testDelivery(sink.url, { flushIntervalMs: 3_600_000 });
    const wide = makeEvent(0, { parameters: { text: "é€😀".repeat(100) } });
    const plain = makeEvent(1);
    delivery.enqueue(wide);
    delivery.enqueue(plain);
    expect(delivery.stats().queuedBytes).toBe(bytesOf(wide) + bytesOf(plain));
    await delivery.flush();
    expect(delivery.stats().queuedBytes).toBe(0);
    await delivery.shutdown();
  });

  it("drops an event larger than the whole budget and keeps the others", async () => {
    const { delivery, logger } = testDelivery(sink.url, { maxQueueBytes: 2000 });
    const small = makeEvent(0);
    delivery.enqueue(small);
    delivery.enqueue(makeEvent(1, { parameters: { text: "x".repeat(5000) } }));
    expect(delivery.stats()).toMatchObject({ queued: 1, dropped: 1, queuedBytes: bytesOf(small) });
    await delivery.flush();
    expect(received().ids).toEqual([small.id]);
    expect(sink.batches[0]?.body.droppedEvents).toBe(1);
    expect(logger.text()).toMatch(/queue full/);
    await delivery.shutdown();
  });

  it("keeps every batch within maxBatchBytes of JSON", async () => {
    const { delivery } = testDelivery(sink.url, { maxBatchBytes: 8 * 1024, maxBatchSize: 1000 });
    const events = Array.from({ length: 40 }, (_, i) =>
      makeEvent(i, { parameters: { text: "y".repeat(900) } }),
    );
    for (const event of events) delivery.enqueue(event);
    await delivery.flush();
    expect(received().ids).toHaveLength(40);
    expect(sink.batches.length).toBeGreaterThan(1);
    for (const batch of sink.batches) {
      expect(Buffer.byteLength(JSON.stringify(batch.body))).toBeLessThanOrEqual(8 * 1024);
    }
    await delivery.shutdown();
  });
});

describe("recovery", () => {
  it("drains the whole queue once the collector is back, each event once, with its id", async () => {
    const back = outage();
    const { delivery } = testDelivery(sink.url, { maxBatchSize: 100, flushIntervalMs: 10 });
    const events = Array.from({ length: 2000 }, (_, i) => makeEvent(i));
    for (const [i, event] of events.entries()) {
      delivery.enqueue(event);
      if (i % 100 === 0) await nextTurn();
    }
    // Down long enough for batches to fail more than once.
    await vi.waitFor(() => expect(delivery.stats().retriedBatches).toBeGreaterThan(3), { timeout: 10_000 });
    expect(sink.batches).toHaveLength(0);

    back();
    await delivery.flush(30_000);
    const ids = received().ids;
    expect(ids).toHaveLength(events.length);
    expect(new Set(ids)).toEqual(new Set(events.map((event) => event.id)));
    expect(delivery.stats()).toMatchObject({ sent: 2000, dropped: 0, queued: 0, inFlight: 0 });
    await delivery.shutdown();
  });
});
