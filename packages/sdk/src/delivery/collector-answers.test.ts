// How delivery reads the collector's answers, against a real HTTP server that answers per the
// batch contract: batches per project, 404 per project, per-event refusals in a 200.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ContractCollector } from "../../test/helpers/contract-collector.js";
import { makeEvent, testDelivery } from "../../test/helpers/delivery.js";
import { Sink } from "../../test/helpers/sink.js";

let collector: ContractCollector;

beforeEach(async () => {
  collector = await new ContractCollector(new Set(["proj_a", "proj_b"])).start();
});

afterEach(async () => {
  await collector.stop();
});

const warnings = (logger: ReturnType<typeof testDelivery>["logger"]) =>
  logger.lines.filter((line) => line.level === "warn").map((line) => line.message);

describe("one project per batch", () => {
  it("sends each project's events in batches of their own, named by X-MCPSight-Project", async () => {
    const { delivery } = testDelivery(collector.url, { maxBatchSize: 10 });
    const events = Array.from({ length: 40 }, (_, i) =>
      makeEvent(i, { projectId: i % 2 === 0 ? "proj_a" : "proj_b" }),
    );
    for (const event of events) delivery.enqueue(event);
    await delivery.flush();

    expect(collector.stored.size).toBe(40);
    for (const request of collector.requests) {
      expect(request.project).toMatch(/^proj_[ab]$/);
      for (const id of request.ids) expect(collector.stored.get(id)?.projectId).toBe(request.project);
    }
    expect(new Set(collector.requests.map((request) => request.project))).toEqual(
      new Set(["proj_a", "proj_b"]),
    );
    expect(delivery.stats()).toMatchObject({ sent: 40, dropped: 0, rejected: 0 });
    await delivery.shutdown();
  });

  it("a mistyped project loses only its own events, with one warning naming the fix", async () => {
    const { delivery, logger } = testDelivery(collector.url, { maxBatchSize: 10 });
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 20; i++) {
        delivery.enqueue(makeEvent(i, { projectId: i % 2 === 0 ? "proj_a" : "proj_typo_123" }));
      }
      await delivery.flush();
    }

    expect(collector.eventsOf("proj_a")).toHaveLength(20);
    expect(delivery.stats()).toMatchObject({ sent: 20, dropped: 20, queued: 0, inFlight: 0 });
    const typo = warnings(logger).filter((message) => message.includes("proj_typo_123"));
    expect(typo).toHaveLength(1);
    expect(typo[0]).toMatch(/404/);
    expect(typo[0]).toMatch(/mcpsight project (create|list)/);
    // The collector answered; nothing was retried.
    expect(delivery.stats().retriedBatches).toBe(0);
  });

  it("an event with an empty project id does not cost the next valid event", async () => {
    const { delivery } = testDelivery(collector.url);
    delivery.enqueue(makeEvent(0, { projectId: "" }));
    const valid = makeEvent(1, { projectId: "proj_a" });
    delivery.enqueue(valid);
    await delivery.flush();
    expect(collector.stored.get(valid.id)).toBeDefined();
    expect(delivery.stats()).toMatchObject({ sent: 1 });
    await delivery.shutdown();
  });
});

describe("per-event refusals", () => {
  it("drops only the refused events, counts them, and warns once per code with the first reason", async () => {
    const { delivery, logger } = testDelivery(collector.url);
    const good = [0, 1, 2].map((i) => makeEvent(i, { projectId: "proj_a" }));
    const bad = [
      makeEvent(10, { projectId: "proj_a", timestamp: "2026-13-01T00:00:00Z" }),
      // Two problems in one event: one refused event, two entries with the same index.
      makeEvent(11, { projectId: "proj_a", timestamp: "yesterday", duration: -1 }),
    ];
    for (const event of [good[0], bad[0], good[1], bad[1], good[2]]) if (event) delivery.enqueue(event);
    await delivery.flush();

    expect(collector.eventsOf("proj_a").map((event) => event.id)).toEqual(good.map((event) => event.id));
    expect(delivery.stats()).toMatchObject({ sent: 3, rejected: 2, dropped: 0, failedBatches: 0 });
    const refused = warnings(logger).filter((message) => message.includes("invalid_event"));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatch(/timestamp/);

    // The same code again: counted, not warned about again.
    delivery.enqueue(makeEvent(12, { projectId: "proj_a", timestamp: "never" }));
    await delivery.flush();
    expect(delivery.stats().rejected).toBe(3);
    expect(warnings(logger).filter((message) => message.includes("invalid_event"))).toHaveLength(1);
    await delivery.shutdown();
  });

  it("reads a 200 without a rejected list (an older collector) as every event delivered", async () => {
    const sink = await new Sink().start();
    try {
      const { delivery } = testDelivery(sink.url);
      for (let i = 0; i < 5; i++) delivery.enqueue(makeEvent(i));
      await delivery.flush();
      expect(delivery.stats()).toMatchObject({ sent: 5, rejected: 0, dropped: 0 });
      await delivery.shutdown();
    } finally {
      await sink.stop();
    }
  });
});
