// A collector outage, against a real HTTP server that drops every connection until it "comes
// back": the queue stays within its byte and event bounds, drops the oldest, and drains once the
// collector answers again. No wall-clock thresholds: waits are for conditions, with generous caps.
import { randomBytes } from "node:crypto";
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
  it("holds queued and waiting events to maxQueueBytes, dropping the oldest and reporting them", async () => {
    const back = outage();
    // Random text: compression barely shrinks it, so the bound is reached in this short outage.
    const events = Array.from({ length: 60 }, (_, i) =>
      makeEvent(i, { parameters: { text: randomBytes(750).toString("base64") } }),
    );
    const size = bytesOf(events[0] as Event);
    const maxQueueBytes = 10 * size + size / 2;
    const { delivery } = testDelivery(sink.url, { maxQueueBytes, maxBatchSize: 4, maxConcurrency: 1 });

    let peakBytes = 0;
    for (const [i, event] of events.entries()) {
      delivery.enqueue(event);
      peakBytes = Math.max(peakBytes, delivery.stats().queuedBytes);
      if (i % 5 === 0) await nextTurn(); // let batches go out, fail and wait to be retried
    }
    await vi.waitFor(() => expect(delivery.stats().retriedBatches).toBeGreaterThan(0));
    expect(peakBytes).toBeLessThanOrEqual(maxQueueBytes);
    expect(delivery.stats().dropped).toBeGreaterThanOrEqual(30);

    back();
    await delivery.flush(30_000);
    const { ids, reportedDrops } = received();
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.length).toBeLessThan(30);
    expect(ids.at(-1)).toBe(events.at(-1)?.id);
    expect(ids.length + reportedDrops).toBe(events.length);
    expect(delivery.stats()).toMatchObject({ queued: 0, inFlight: 0, queuedBytes: 0 });
    await delivery.shutdown();
  });

  it("counts waiting batches by their compressed size, so an outage keeps more events than their JSON would fit", async () => {
    const back = outage();
    const maxQueueBytes = 300_000;
    const { delivery } = testDelivery(sink.url, { maxQueueBytes, maxBatchSize: 100 });
    const events = Array.from({ length: 2000 }, (_, i) =>
      makeEvent(i, { parameters: { text: "x".repeat(1000) } }),
    );
    const json = events.reduce((sum, event) => sum + bytesOf(event), 0);
    expect(json).toBeGreaterThan(5 * maxQueueBytes);
    let peakBytes = 0;
    for (let chunk = 0; chunk < events.length; chunk += 100) {
      for (const event of events.slice(chunk, chunk + 100)) {
        delivery.enqueue(event);
        peakBytes = Math.max(peakBytes, delivery.stats().queuedBytes);
      }
      // The full batch is taken and compressed before the next one arrives.
      await vi.waitFor(() => expect(delivery.stats()).toMatchObject({ queued: 0 }));
      await vi.waitFor(() => expect(delivery.stats().queuedBytes).toBeLessThan(100_000));
    }
    expect(peakBytes).toBeLessThanOrEqual(maxQueueBytes);
    expect(delivery.stats()).toMatchObject({ dropped: 0, inFlight: 2000 });
    expect(sink.batches).toHaveLength(0);

    back();
    await delivery.flush(30_000);
    expect(new Set(received().ids)).toEqual(new Set(events.map((event) => event.id)));
    expect(delivery.stats()).toMatchObject({ sent: 2000, dropped: 0, queuedBytes: 0 });
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
  it("while backing off, forms full batches and compresses them without sending, then sends them oldest first", async () => {
    sink.respondWith((_request, response, attempt) => {
      if (attempt > 1) return false;
      response.writeHead(503, { "retry-after": "1" }).end();
      return true;
    });
    const { delivery, logger } = testDelivery(sink.url, { maxBatchSize: 100, maxConcurrency: 1 });
    const events = Array.from({ length: 501 }, (_, i) => makeEvent(i));
    delivery.enqueue(events[0] as Event);
    void delivery.flush(0);
    await vi.waitFor(() => expect(logger.text()).toMatch(/HTTP 503\); retrying in 1000 ms/));
    // The collector asked for a second's pause: batches are formed meanwhile, none is sent.
    for (const event of events.slice(1)) delivery.enqueue(event);
    await vi.waitFor(() => expect(delivery.stats()).toMatchObject({ queued: 0, inFlight: 501 }));
    const json = events.reduce((sum, event) => sum + bytesOf(event), 0);
    await vi.waitFor(() => expect(delivery.stats().queuedBytes).toBeLessThan(json / 3));
    expect(sink.attempts).toHaveLength(1);

    await delivery.flush(30_000);
    expect(received().ids).toEqual(events.map((event) => event.id));
    expect(delivery.stats()).toMatchObject({ sent: 501, dropped: 0, queued: 0, inFlight: 0 });
    await delivery.shutdown();
  });

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
