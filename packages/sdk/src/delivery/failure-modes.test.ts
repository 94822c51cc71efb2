import type { ServerResponse } from "node:http";
import { setImmediate as nextTurn } from "node:timers/promises";
import type { Event } from "@mcpsight/protocol";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { makeEvent, testDelivery } from "../../test/helpers/delivery.js";
import { Sink } from "../../test/helpers/sink.js";

// A collector that is down, hangs or misbehaves must never surface in the host process.
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
const stdoutWrite = vi.spyOn(process.stdout, "write");

beforeAll(() => {
  process.on("unhandledRejection", onUnhandled);
});

afterAll(() => {
  process.off("unhandledRejection", onUnhandled);
  stdoutWrite.mockRestore();
});

let sink: Sink;
let hanging: ServerResponse[];

beforeEach(async () => {
  sink = await new Sink().start();
  hanging = [];
  stdoutWrite.mockClear();
});

afterEach(async () => {
  for (const response of hanging) response.destroy();
  await sink.stop();
  // Give any stray rejection a turn to be reported before checking.
  await nextTurn();
  expect(unhandled).toEqual([]);
  expect(stdoutWrite).not.toHaveBeenCalled();
});

/** Makes the sink accept requests and never answer them. */
function hang(): void {
  sink.respondWith((_request, response) => {
    hanging.push(response);
    return true;
  });
}

describe("collector down", () => {
  it("keeps memory bounded, drops the oldest, and never rejects", async () => {
    const url = sink.url;
    await sink.stop(); // Connection refused from now on.
    const { delivery } = testDelivery(url, { maxQueueSize: 100, maxBatchSize: 10, maxConcurrency: 2 });

    let peak = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 200; i++) delivery.enqueue(makeEvent(round * 200 + i));
      const { queued, inFlight } = delivery.stats();
      peak = Math.max(peak, queued + inFlight);
      await nextTurn();
    }
    const stats = delivery.stats();
    expect(peak).toBeLessThanOrEqual(100);
    expect(stats.queued + stats.inFlight).toBeLessThanOrEqual(100);
    expect(stats.dropped).toBeGreaterThanOrEqual(10_000 - 100);
    expect(stats.sent).toBe(0);

    await delivery.flush(50);
    await delivery.shutdown(50);
    await sink.start(); // So afterEach can stop it.
  });

  it("delivers the newest events, with the drop count, once the collector is back", async () => {
    hang();
    const { delivery } = testDelivery(sink.url, {
      maxQueueSize: 20,
      maxBatchSize: 5,
      maxConcurrency: 1,
      requestTimeoutMs: 200,
    });
    const events = Array.from({ length: 100 }, (_, i) => makeEvent(i));
    for (const event of events) {
      delivery.enqueue(event);
      await nextTurn();
    }
    sink.respondWith(undefined);
    await delivery.flush(10_000);

    const delivered = sink.events;
    // Count each batch once: a request that timed out after the sink stored it is sent again.
    const firstIds = new Set<string | undefined>();
    let reported = 0;
    for (const batch of sink.batches) {
      const key = batch.body.events[0]?.id;
      if (firstIds.has(key)) continue;
      firstIds.add(key);
      reported += batch.body.droppedEvents ?? 0;
    }
    expect(delivered.length).toBeGreaterThan(0);
    expect(delivered.at(-1)?.id).toBe(events.at(-1)?.id);
    expect(delivered.length + reported).toBe(100);
    await delivery.shutdown();
  });
});

describe("slow collector", () => {
  it("never blocks enqueue while requests hang, and retries after the request timeout", async () => {
    hang();
    const { delivery } = testDelivery(sink.url, {
      maxBatchSize: 10,
      maxConcurrency: 1,
      requestTimeoutMs: 500,
    });
    for (let i = 0; i < 10; i++) delivery.enqueue(makeEvent(i));
    await vi.waitFor(() => expect(hanging.length).toBe(1));

    // The only request is stuck; enqueue still returns synchronously and keeps accepting.
    for (let i = 10; i < 1000; i++) delivery.enqueue(makeEvent(i));
    expect(delivery.stats()).toMatchObject({ queued: 990, inFlight: 10, dropped: 0 });

    sink.respondWith(undefined);
    await delivery.flush(10_000);
    expect(sink.events).toHaveLength(1000);
    expect(delivery.stats().retriedBatches).toBeGreaterThanOrEqual(1);
    await delivery.shutdown();
  });
});

describe("flush and shutdown deadlines", () => {
  it("resolve at their deadline when the collector hangs, then refuse new events", async () => {
    hang();
    const { delivery } = testDelivery(sink.url);
    delivery.enqueue(makeEvent(1));
    await expect(delivery.flush(50)).resolves.toBeUndefined();
    expect(delivery.stats().inFlight).toBe(1);

    await expect(delivery.shutdown(50)).resolves.toBeUndefined();
    await expect(delivery.shutdown(50)).resolves.toBeUndefined(); // Idempotent.
    delivery.enqueue(makeEvent(2));
    expect(delivery.stats().queued).toBe(0);
  });

  it("flush with nothing queued resolves at once", async () => {
    const { delivery } = testDelivery(sink.url);
    await expect(delivery.flush()).resolves.toBeUndefined();
    await delivery.shutdown();
  });
});

describe("bad input", () => {
  it("survives a logger that throws", async () => {
    sink.respondWith((_request, response, attempt) => {
      if (attempt > 1) return false;
      response.writeHead(500).end();
      return true;
    });
    const throwing = () => {
      throw new Error("logger broke");
    };
    const { delivery } = testDelivery(sink.url, {
      logger: { debug: throwing, warn: throwing, error: throwing },
    });
    delivery.enqueue(makeEvent(1));
    await delivery.flush();
    expect(sink.events).toHaveLength(1);
    await delivery.shutdown();
  });

  it("drops an event that cannot be serialized and still sends the rest", async () => {
    const { delivery, logger } = testDelivery(sink.url);
    const poisoned = { ...makeEvent(0), parameters: { big: 10n } } as unknown as Event;
    delivery.enqueue(makeEvent(1));
    expect(() => delivery.enqueue(poisoned)).not.toThrow();
    delivery.enqueue(makeEvent(2));
    await delivery.flush();
    expect(sink.events).toHaveLength(2);
    expect(delivery.stats().dropped).toBe(1);
    expect(logger.text()).toMatch(/could not be serialized/);
    await delivery.shutdown();
  });
});
