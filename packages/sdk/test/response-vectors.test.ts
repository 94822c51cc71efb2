// Replays the collector's answers of packages/protocol/vectors/responses.json to the delivery,
// from a real HTTP server, and checks it does what the vectors say an SDK does with each answer:
// which events count as delivered, which are dropped, and whether the batch is retried.
import { createServer, type Server } from "node:http";
import { HEADERS } from "@mcpsight/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { makeEvent, testDelivery } from "./helpers/delivery.js";
import { closeServer, listenLocal, urlOf } from "./helpers/local-server.js";
import { readVectors } from "./helpers/vectors.js";

interface ResponseVector {
  name: string;
  request: { body: { events?: unknown } };
  response: { status: number; headers?: Record<string, string>; body: unknown };
  sdk: { delivered: number[]; dropped: number[]; retry: boolean };
}

const { cases } = readVectors<{ cases: ResponseVector[] }>("responses.json");

/** The answer as the collector sends it: every rejection has a reason, every error a message. */
function fullBody(body: unknown): unknown {
  const value = structuredClone(body) as {
    rejected?: Record<string, unknown>[];
    error?: Record<string, unknown>;
  };
  for (const rejection of value.rejected ?? []) rejection.reason ??= "as the vector says";
  if (value.error) value.error.message ??= "as the vector says";
  return value;
}

let server: Server | undefined;
afterEach(async () => {
  await closeServer(server);
  server = undefined;
});

describe("what the delivery does with each answer of vectors/responses.json", () => {
  it.each(cases)("$name", async (vector) => {
    const projects: (string | string[] | undefined)[] = [];
    server = createServer((request, response) => {
      projects.push(request.headers[HEADERS.project]);
      request.resume();
      request.on("end", () => {
        response.writeHead(vector.response.status, {
          "content-type": "application/json",
          ...vector.response.headers,
        });
        response.end(JSON.stringify(fullBody(vector.response.body)));
      });
    });
    await listenLocal(server);
    const { delivery } = testDelivery(urlOf(server, "server"));
    // As many events as the vector's batch; an SDK never sends an empty one, so one for that case.
    const sent = Array.isArray(vector.request.body.events) ? vector.request.body.events.length : 0;
    const count = Math.max(1, sent);
    for (let i = 0; i < count; i++) delivery.enqueue(makeEvent(i, { projectId: "proj_vectors" }));
    await delivery.flush(vector.sdk.retry ? 200 : 10_000);

    expect(projects[0]).toBe("proj_vectors");
    const stats = delivery.stats();
    expect(stats.sent).toBe(vector.sdk.delivered.length);
    if (sent > 0) expect(stats.rejected + stats.dropped).toBe(vector.sdk.dropped.length);
    else expect(stats.dropped).toBe(count);
    expect(stats.retriedBatches > 0).toBe(vector.sdk.retry);
    await delivery.shutdown(0);
  });
});
