// Servers from the v2 packages (@modelcontextprotocol/server 2.x), McpServer and low-level Server,
// driven by the v2 client (@modelcontextprotocol/client 2.x).
import { Client } from "@modelcontextprotocol/client";
import { fromJsonSchema, InMemoryTransport, McpServer, Server } from "@modelcontextprotocol/server";
import { greeting, README_TEXT, type TestClient, type Variant } from "./variant.js";

const SERVER_INFO = { name: "test-server", version: "1.2.3" };
const text = (value: string) => ({ content: [{ type: "text" as const, text: value }] });
const readme = (uri: string) => ({ contents: [{ uri, mimeType: "text/plain", text: README_TEXT }] });
const greetMessages = (name: string) => ({
  messages: [{ role: "user" as const, content: { type: "text" as const, text: greeting(name) } }],
});

/** A closed schema: validation fails if an argument the tool does not declare (like `context`) gets through. */
const ECHO_SCHEMA = fromJsonSchema<{ text: string }>({
  type: "object",
  properties: { text: { type: "string" } },
  required: ["text"],
  additionalProperties: false,
});
const GREET_ARGS = fromJsonSchema<{ name: string }>({
  type: "object",
  properties: { name: { type: "string" } },
  required: ["name"],
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
      addResourcesAndPrompts() {
        server.registerResource("readme", "notes://readme", {}, async (uri) => readme(uri.href));
        server.registerResource("broken", "notes://broken", {}, async () => {
          throw new Error("disk on fire");
        });
        server.registerPrompt("greet", { argsSchema: GREET_ARGS }, ({ name }) => greetMessages(name));
      },
    };
  },
  lowLevelServer() {
    const server = new Server(SERVER_INFO, { capabilities: { tools: {}, resources: {}, prompts: {} } });
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
      addResourcesAndPrompts() {
        server.setRequestHandler("resources/list", async () => ({
          resources: [
            { uri: "notes://readme", name: "readme" },
            { uri: "notes://broken", name: "broken" },
          ],
        }));
        server.setRequestHandler("resources/read", async (request) => {
          if (request.params.uri === "notes://broken") throw new Error("disk on fire");
          return readme(request.params.uri);
        });
        server.setRequestHandler("prompts/list", async () => ({
          prompts: [{ name: "greet", arguments: [{ name: "name", required: true }] }],
        }));
        server.setRequestHandler("prompts/get", async (request) =>
          greetMessages(String(request.params.arguments?.name)),
        );
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
