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

describe("batching", () => {
  it("sends gzipped batches of at most maxBatchSize to /v1/batch with protocol headers", async () => {
    const { delivery } = testDelivery(sink.url, { maxBatchSize: 400 });
    for (let i = 0; i < 1000; i++) delivery.enqueue(makeEvent(i));
    await delivery.flush(10_000);

    expect(sink.events).toHaveLength(1000);
    // Batches go out concurrently, so they may arrive in any order.
    expect(sink.batches.map((batch) => batch.body.events.length).sort()).toEqual([200, 400, 400]);
    for (const batch of sink.batches) {
      expect(batch.path).toBe("/v1/batch");
      expect(batch.gzip).toBe(true);
      expect(batch.headers["content-type"]).toBe("application/json");
      expect(batch.headers["x-mcpsight-protocol"]).toBe("1");
      expect(batch.headers["x-mcpsight-sdk"]).toBe("typescript/0.0.0-test");
      expect(batch.body.droppedEvents).toBeUndefined();
    }
    expect(delivery.stats()).toMatchObject({ queued: 0, inFlight: 0, sent: 1000, dropped: 0 });
    await delivery.shutdown();
  });

  it("sends a partial batch when the interval elapses, without a flush", async () => {
    const { delivery } = testDelivery(sink.url, { flushIntervalMs: 20 });
    delivery.enqueue(makeEvent(1));
    delivery.enqueue(makeEvent(2));
    await sink.waitForEvents(2);
    expect(sink.batches).toHaveLength(1);
    await delivery.shutdown();
  });

  it("sends full batches right away, before the interval", async () => {
    const { delivery } = testDelivery(sink.url, { maxBatchSize: 10, flushIntervalMs: 3_600_000 });
    for (let i = 0; i < 10; i++) delivery.enqueue(makeEvent(i));
    await sink.waitForEvents(10);
    await delivery.shutdown();
  });

  it("keeps event ids and order", async () => {
    const { delivery } = testDelivery(sink.url, { maxConcurrency: 1, maxBatchSize: 7 });
    const events = Array.from({ length: 50 }, (_, i) => makeEvent(i));
    for (const event of events) delivery.enqueue(event);
    await delivery.flush();
    expect(sink.events.map((event) => event.id)).toEqual(events.map((event) => event.id));
    await delivery.shutdown();
  });
});

describe("bounded queue", () => {
  it("drops the oldest when full and reports the count in the next batch and the debug log", async () => {
    const { delivery, logger } = testDelivery(sink.url, { maxQueueSize: 10, maxBatchSize: 100 });
    const events = Array.from({ length: 15 }, (_, i) => makeEvent(i));
    for (const event of events) delivery.enqueue(event);
    expect(delivery.stats()).toMatchObject({ queued: 10, dropped: 5 });
    await delivery.flush();

    expect(sink.events.map((event) => event.id)).toEqual(events.slice(5).map((event) => event.id));
    expect(sink.batches[0]?.body.droppedEvents).toBe(5);
    expect(logger.text()).toMatch(/queue full/);
    expect(logger.text()).toMatch(/reporting 5 dropped events/);

    // The count is reported once, not repeated in later batches.
    delivery.enqueue(makeEvent(99));
    await delivery.flush();
    expect(sink.batches[1]?.body.droppedEvents).toBeUndefined();
    await delivery.shutdown();
  });
});

describe("retries", () => {
  it("backs off after 500s, then delivers every event exactly once with the same ids", async () => {
    sink.respondWith((_request, response, attempt) => {
      if (attempt > 3) return false;
      response.writeHead(500).end();
      return true;
    });
    const { delivery } = testDelivery(sink.url, { maxConcurrency: 1 });
    const events = Array.from({ length: 30 }, (_, i) => makeEvent(i));
    for (const event of events) delivery.enqueue(event);
    await delivery.flush(10_000);

    const ids = events.map((event) => event.id);
    expect(sink.attempts).toHaveLength(4);
    for (const attempt of sink.attempts) expect(attempt.body.events.map((event) => event.id)).toEqual(ids);
    const delivered = sink.batches.flatMap((batch) => batch.body.events.map((event) => event.id));
    expect(delivered).toEqual(ids);
    expect(delivery.stats()).toMatchObject({ sent: 30, dropped: 0, retriedBatches: 3 });
    await delivery.shutdown();
  });

  it("honours Retry-After on a 429 instead of its own backoff", async () => {
    sink.respondWith((_request, response, attempt) => {
      if (attempt > 1) return false;
      response.writeHead(429, { "retry-after": "0" }).end();
      return true;
    });
    // Its own backoff would wait up to an hour, so delivery within the flush proves Retry-After won.
    const { delivery, logger } = testDelivery(sink.url, { retryBaseMs: 3_600_000, retryMaxMs: 3_600_000 });
    delivery.enqueue(makeEvent(1));
    await delivery.flush();
    expect(logger.text()).toMatch(/HTTP 429\); retrying in 0 ms/);
    expect(sink.events).toHaveLength(1);
    await delivery.shutdown();
  });

  it("by default waits at most 30 s for a Retry-After and starts its own backoff at 500 ms", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.999_999);
    sink.respondWith((_request, response, attempt) => {
      if (attempt === 1) response.writeHead(503, { "retry-after": "3600" }).end();
      else response.writeHead(503).end();
      return true;
    });
    const { delivery, logger } = testDelivery(sink.url, { retryBaseMs: undefined, retryMaxMs: undefined });
    delivery.enqueue(makeEvent(1));
    void delivery.flush(0);
    await vi.waitFor(() => expect(logger.text()).toMatch(/HTTP 503\); retrying in 30000 ms/));
    await delivery.shutdown(0);
    vi.restoreAllMocks();

    const second = testDelivery(sink.url, { retryBaseMs: undefined, retryMaxMs: undefined });
    vi.spyOn(Math, "random").mockReturnValue(0.999_999);
    second.delivery.enqueue(makeEvent(2));
    void second.delivery.flush(0);
    await vi.waitFor(() => expect(second.logger.text()).toMatch(/HTTP 503\); retrying in 499 ms/));
    await second.delivery.shutdown(0);
    vi.restoreAllMocks();
  });

  it("delivers after a 408 once the backoff passes", async () => {
    sink.respondWith((_request, response, attempt) => {
      if (attempt > 1) return false;
      response.writeHead(408).end();
      return true;
    });
    const { delivery } = testDelivery(sink.url);
    delivery.enqueue(makeEvent(1));
    await delivery.flush();
    expect(sink.events).toHaveLength(1);
    await delivery.shutdown();
  });

  it("drops a batch the collector rejects with a 4xx, without retrying, and logs why", async () => {
    sink.respondWith((_request, response) => {
      response.writeHead(400, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: { code: "invalid_batch", message: "events[0].timestamp" } }));
      return true;
    });
    const { delivery, logger } = testDelivery(sink.url);
    for (let i = 0; i < 5; i++) delivery.enqueue(makeEvent(i));
    await delivery.flush();

    expect(sink.attempts).toHaveLength(1);
    expect(delivery.stats()).toMatchObject({ sent: 0, dropped: 5, failedBatches: 1, retriedBatches: 0 });
    expect(logger.lines.find((line) => line.level === "warn")?.message).toMatch(/HTTP 400.*invalid_batch/);

    // The same status again: dropped and counted, the warning not repeated.
    delivery.enqueue(makeEvent(5));
    await delivery.flush();
    expect(delivery.stats()).toMatchObject({ dropped: 6, failedBatches: 2 });
    expect(logger.lines.filter((line) => line.level === "warn")).toHaveLength(1);

    // The collector is fine with the next batch; it is sent normally.
    sink.respondWith(undefined);
    delivery.enqueue(makeEvent(6));
    await delivery.flush();
    expect(sink.events).toHaveLength(1);
    await delivery.shutdown();
  });
});

describe("flush", () => {
  it("waits for the events accepted before it, though later ones settle first", async () => {
    // The first batch's answer is held until the test releases it; batches of one go out at once,
    // two in parallel, so an event accepted after the flush is delivered while the first waits.
    let answerFirst: (() => void) | undefined;
    sink.respondWith((_request, response, attempt) => {
      if (attempt !== 1) return false;
      answerFirst = () => {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ accepted: 1, duplicates: 0 }));
      };
      return true;
    });
    const { delivery } = testDelivery(sink.url, { maxBatchSize: 1, maxConcurrency: 2 });
    delivery.enqueue(makeEvent(1));
    await vi.waitFor(() => expect(answerFirst).toBeDefined());

    let flushed = false;
    const flushing = delivery.flush(60_000).then(() => {
      flushed = true;
    });
    delivery.enqueue(makeEvent(2)); // accepted after the flush; delivered at once
    await vi.waitFor(() => expect(delivery.stats().sent).toBe(1));
    await new Promise((resolve) => setImmediate(resolve)); // the flush has seen it settle
    expect(flushed).toBe(false);

    answerFirst?.();
    await flushing;
    expect(delivery.stats()).toMatchObject({ sent: 2, inFlight: 0, queued: 0 });
    await delivery.shutdown();
  });
});
