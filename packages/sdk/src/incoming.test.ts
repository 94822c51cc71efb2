import { describe, expect, it } from "vitest";
import type { LowLevelServer } from "./detect.js";
import { incomingOf, watchConnections, watchTransport } from "./incoming.js";
import { RequestView } from "./request-view.js";

/** A transport shaped like the SDK's Node Streamable HTTP transport. */
class FakeTransport {
  seen: unknown[] = [];
  handleRequest(req: unknown, res: unknown, body?: unknown): Promise<string> {
    this.seen.push(req, res, body);
    return Promise.resolve("handled");
  }
}

const nodeRequest = (address: string, headers: Record<string, string> = {}) => ({
  headers,
  socket: { remoteAddress: address },
});

describe("watchTransport", () => {
  it("notes each Node request and passes every argument and the result through", async () => {
    const transport = new FakeTransport();
    watchTransport(transport);
    watchTransport(transport); // once only
    const first = nodeRequest("::ffff:10.0.0.1", { "user-agent": "node" });
    await expect(transport.handleRequest(first, "res", { id: 1 })).resolves.toBe("handled");
    expect(transport.seen).toEqual([first, "res", { id: 1 }]);
    expect(incomingOf(transport)).toEqual({ headers: { "user-agent": "node" }, address: "::ffff:10.0.0.1" });
    await transport.handleRequest(nodeRequest("10.0.0.2"), "res");
    expect(incomingOf(transport)?.address).toBe("10.0.0.2");
  });

  it("ignores fetch Requests and objects without handleRequest", async () => {
    const transport = new FakeTransport();
    watchTransport(transport);
    await transport.handleRequest(new Request("http://127.0.0.1/mcp"), undefined);
    expect(incomingOf(transport)).toBeUndefined();
    const plain = { send() {} };
    watchTransport(plain);
    expect(Object.keys(plain)).toEqual(["send"]);
  });

  it("watches transports a server connects to later, and keeps connect's result", async () => {
    const transport = new FakeTransport();
    const server = {
      _requestHandlers: new Map(),
      connect(t: unknown) {
        return Promise.resolve(t === transport ? "connected" : "other");
      },
    } as unknown as LowLevelServer;
    watchConnections(server);
    await expect(server.connect?.(transport)).resolves.toBe("connected");
    await transport.handleRequest(nodeRequest("192.0.2.9"), undefined);
    expect(new RequestView({}, incomingOf(transport)).address).toBe("192.0.2.9");
  });
});

describe("RequestView", () => {
  it("reads the 2026-07-28 envelope a v2 server moves out of _meta", () => {
    const view = new RequestView({
      mcpReq: {
        _meta: { progressToken: 7 },
        envelope: { "io.modelcontextprotocol/clientInfo": { name: "mcp", version: "0.1.0" } },
      },
    });
    expect(view.meta).toEqual({
      progressToken: 7,
      "io.modelcontextprotocol/clientInfo": { name: "mcp", version: "0.1.0" },
    });
  });

  it("prefers the first X-Forwarded-For entry to the peer address, and reads 1.11's headers from the transport", () => {
    const incoming = {
      headers: { "user-agent": "node", "x-forwarded-for": "203.0.113.7, 10.0.0.1" },
      address: "10.0.0.1",
    };
    const view = new RequestView({}, incoming);
    expect(view.address).toBe("203.0.113.7");
    expect(view.header("user-agent")).toBe("node");
    expect(view.isHttp).toBe(true);
  });
});
