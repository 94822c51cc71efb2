import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { correlationSignals } from "./correlation.js";
import { RequestView } from "./request-view.js";
import { StatelessClients } from "./stateless-client.js";

interface VectorRequest {
  method: string;
  params?: Record<string, unknown>;
  meta?: Record<string, unknown>;
  headers?: Record<string, string>;
  peerAddress?: string;
  result?: unknown;
  failed?: boolean;
  expected: {
    signals: Record<string, string>;
    correlationId: string | null;
    client: { name: string; version?: string } | null;
  };
}

interface VectorRun {
  name: string;
  projectId: string;
  requests: VectorRequest[];
}

const vectors = JSON.parse(
  readFileSync(new URL("../../protocol/vectors/correlation.json", import.meta.url), "utf8"),
) as { runs: VectorRun[] };

/** The view a v1 server's handler would get for the request, with the transport's Node request. */
const viewOf = (request: VectorRequest): RequestView =>
  new RequestView(
    { requestInfo: { headers: request.headers ?? {} }, ...(request.meta ? { _meta: request.meta } : {}) },
    request.peerAddress === undefined
      ? undefined
      : { headers: request.headers ?? {}, address: request.peerAddress },
  );

describe("correlation vectors (packages/protocol/vectors/correlation.json)", () => {
  it("has runs", () => {
    expect(vectors.runs.length).toBeGreaterThan(5);
  });

  it.each(vectors.runs)("$name", ({ projectId, requests }) => {
    const clients = new StatelessClients(projectId);
    requests.forEach((request, index) => {
      const view = viewOf(request);
      const mcpRequest = { method: request.method, params: request.params };
      const result = request.failed ? undefined : request.result;
      if (request.method === "initialize" && !request.failed)
        clients.announce(mcpRequest, view, result, index);
      const resolved = clients.resolve(request.method, mcpRequest, view, result, index);
      const where = `request ${index} (${request.method})`;
      expect(correlationSignals(request.method, view, result), where).toEqual(request.expected.signals);
      expect(resolved.correlationId ?? null, where).toBe(request.expected.correlationId);
      expect(resolved.client ?? null, where).toEqual(request.expected.client);
    });
  });
});

describe("StatelessClients", () => {
  const initialize = { method: "initialize", params: { clientInfo: { name: "mcp", version: "0.1.0" } } };
  const call = { method: "tools/call", params: { name: "echo" } };
  const view = (userAgent: string) =>
    new RequestView(
      { requestInfo: { headers: { "user-agent": userAgent } } },
      { headers: {}, address: "10.0.0.1" },
    );

  it("forgets an announced name after its time to live", () => {
    const clients = new StatelessClients("p", 10, 1000);
    clients.announce(initialize, view("python-httpx2/2"), undefined, 0);
    expect(clients.resolve("tools/call", call, view("python-httpx2/2"), undefined, 999).client?.name).toBe(
      "mcp",
    );
    expect(clients.resolve("tools/call", call, view("python-httpx2/2"), undefined, 1000).client?.name).toBe(
      "python-httpx2",
    );
  });

  it("holds at most its bound, forgetting the least recently seen client", () => {
    const clients = new StatelessClients("p", 2, 60_000);
    for (const agent of ["a/1", "b/1", "c/1"]) clients.announce(initialize, view(agent), undefined, 0);
    expect(clients.resolve("tools/call", call, view("a/1"), undefined, 1).client?.name).toBe("a");
    expect(clients.resolve("tools/call", call, view("b/1"), undefined, 1).client?.name).toBe("mcp");
    expect(clients.resolve("tools/call", call, view("c/1"), undefined, 1).client?.name).toBe("mcp");
  });
});
