import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

/**
 * A minimal Streamable HTTP client transport (POST, JSON responses). The MCP SDK's own HTTP client
 * transport cannot be loaded by the test runner: its eventsource-parser dependency resolves to
 * TypeScript sources under the workspace's "source" condition. The server side is the real one.
 */
export class JsonHttpClientTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  sessionId?: string;
  private protocolVersion: string | undefined;

  constructor(
    private readonly url: string,
    private readonly headers: Record<string, string>,
  ) {}

  async start(): Promise<void> {}

  setProtocolVersion(version: string): void {
    this.protocolVersion = version;
  }

  async send(message: JSONRPCMessage): Promise<void> {
    const headers = new Headers({
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...this.headers,
    });
    if (this.sessionId) headers.set("mcp-session-id", this.sessionId);
    if (this.protocolVersion) headers.set("mcp-protocol-version", this.protocolVersion);
    const res = await fetch(this.url, { method: "POST", headers, body: JSON.stringify(message) });
    const session = res.headers.get("mcp-session-id");
    if (session) this.sessionId = session;
    const body = await res.text();
    if (!res.ok) throw new Error(`HTTP ${res.status}: ${body}`);
    if (!body) return;
    const parsed = JSON.parse(body) as JSONRPCMessage | JSONRPCMessage[];
    for (const reply of Array.isArray(parsed) ? parsed : [parsed]) this.onmessage?.(reply);
  }

  async close(): Promise<void> {
    this.onclose?.();
  }
}
