// The HTTP examples follow the Streamable HTTP transport specification (MCP 2025-11-25, "Transports"):
// a stateless server answers the session operations GET and DELETE with 405 Method Not Allowed
// (and an Allow header, as HTTP requires of every 405); a stateful one opens an SSE stream on GET,
// ends a session on DELETE, answers 400 to requests without a session id other than initialize and
// 404 to an unknown or ended session id, so the client starts a new session.
import { describe, expect, it } from "vitest";
import { mustGetAccount } from "../shared/users.js";
import { useHttpExample } from "./helpers.js";

const ACCEPT = "application/json, text/event-stream";
const message = (method: string, id?: number, params: Record<string, unknown> = {}) =>
  JSON.stringify({ jsonrpc: "2.0", ...(id === undefined ? {} : { id }), method, params });
const initialize = message("initialize", 1, {
  protocolVersion: "2025-11-25",
  capabilities: {},
  clientInfo: { name: "spec-check", version: "1.0.0" },
});

/** Sends one request to the example's MCP endpoint; the body is read so the connection is freed. */
async function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await fetch(url, {
    method,
    headers: {
      accept: ACCEPT,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...headers,
    },
    body,
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** The sorted methods of an Allow header. */
const allowed = (headers: Headers) =>
  (headers.get("allow") ?? "")
    .split(",")
    .map((m) => m.trim())
    .filter(Boolean)
    .sort();

describe("api-key example: stateless Streamable HTTP", () => {
  const fixture = useHttpExample("api-key");
  const key = { "x-api-key": mustGetAccount("u_linus").apiKey };

  it("answers GET and DELETE with 405 and Allow: POST, and serves POST without a session id", async () => {
    for (const method of ["GET", "DELETE", "PUT"]) {
      const response = await send(fixture.example.url, method, key);
      expect(response.status, method).toBe(405);
      expect(allowed(response.headers), method).toEqual(["POST"]);
    }
    const post = await send(fixture.example.url, "POST", key, initialize);
    expect(post.status).toBe(200);
    expect(post.headers.get("mcp-session-id")).toBeNull();
    expect(post.text).toContain('"serverInfo"');
  });
});

describe("mcp-auth example: stateful Streamable HTTP", () => {
  const fixture = useHttpExample("mcp-auth");
  const auth = { authorization: `Bearer ${mustGetAccount("u_margaret").token}` };

  it("opens a session, streams on GET, ends it on DELETE, and answers 400/404/405 as specified", async () => {
    const url = fixture.example.url;
    const opened = await send(url, "POST", auth, initialize);
    expect(opened.status).toBe(200);
    const sessionId = opened.headers.get("mcp-session-id");
    expect(sessionId).toBeTruthy();
    const session = { ...auth, "mcp-session-id": sessionId as string, "mcp-protocol-version": "2025-11-25" };
    expect((await send(url, "POST", session, message("notifications/initialized"))).status).toBe(202);

    // GET with the session opens the server's SSE stream.
    const controller = new AbortController();
    const stream = await fetch(url, {
      headers: { ...session, accept: "text/event-stream" },
      signal: controller.signal,
    });
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toContain("text/event-stream");
    controller.abort();

    const put = await send(url, "PUT", session, message("tools/list", 2));
    expect(put.status).toBe(405);
    expect(allowed(put.headers)).toEqual(["DELETE", "GET", "POST"]);

    const withoutSession = await send(url, "POST", auth, message("tools/list", 3));
    expect(withoutSession.status).toBe(400);
    const unknown = await send(
      url,
      "POST",
      { ...session, "mcp-session-id": "no-such-session" },
      message("tools/list", 4),
    );
    expect(unknown.status).toBe(404);

    expect((await send(url, "POST", session, message("tools/list", 5))).status).toBe(200);
    expect((await send(url, "DELETE", session)).status).toBe(200);
    const ended = await send(url, "POST", session, message("tools/list", 6));
    expect(ended.status).toBe(404);
  });
});
