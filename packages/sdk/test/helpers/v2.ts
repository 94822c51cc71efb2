// Servers and clients from the v2 packages (@modelcontextprotocol/server and /client 2.x).
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { fromJsonSchema, InMemoryTransport, McpServer, Server } from "@modelcontextprotocol/server";
import type { TestClient, Variant } from "./variant.js";

// The v2 client cannot be loaded in-process by the test runner: it runs Node with the workspace's
// "source" export condition, which the client's eventsource dependency maps to TypeScript files.
// A v1 client talks to v2 servers here (v2 serves the 2025 protocol era to it); the v2 client is
// exercised in a child process by v2-client.test.ts.

const SERVER_INFO = { name: "test-server", version: "1.2.3" };
const text = (value: string) => ({ content: [{ type: "text" as const, text: value }] });

/** A closed schema: validation fails if an argument the tool does not declare (like `context`) gets through. */
const ECHO_SCHEMA = fromJsonSchema<{ text: string }>({
  type: "object",
  properties: { text: { type: "string" } },
  required: ["text"],
  additionalProperties: false,
});

export const v2: Variant = {
  name: "sdk v2",
  mcpServer() {
    const server = new McpServer(SERVER_INFO);
    return {
      server,
      addTools() {
        server.registerTool(
          "echo",
          { description: "Echoes", inputSchema: ECHO_SCHEMA },
          async ({ text: t }) => text(t),
        );
        server.registerTool("fail", { description: "Throws" }, async () => {
          throw new Error("boom");
        });
        server.registerTool("soft_fail", { description: "isError" }, async () => ({
          ...text("nope"),
          isError: true,
        }));
      },
    };
  },
  lowLevelServer() {
    const server = new Server(SERVER_INFO, { capabilities: { tools: {} } });
    return {
      server,
      addTools() {
        server.setRequestHandler("tools/list", async () => ({
          tools: [
            { name: "echo", inputSchema: { type: "object", properties: { text: { type: "string" } } } },
            { name: "fail", inputSchema: { type: "object" } },
          ],
        }));
        server.setRequestHandler("tools/call", async (request) => {
          if (request.params.name === "fail") throw new Error("boom");
          return text(JSON.stringify(request.params.arguments ?? {}));
        });
      },
    };
  },
  async connect(server, clientName = "test-client") {
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    await (server as { connect(t: unknown): Promise<void> }).connect(serverTransport);
    const client = new Client({ name: clientName, version: "9.9.9" });
    await client.connect(clientTransport);
    return client as unknown as TestClient;
  },
};
