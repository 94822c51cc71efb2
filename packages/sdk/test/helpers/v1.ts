// Servers and clients from @modelcontextprotocol/sdk 1.x (latest, 1.11.5, 1.24.3), one factory per
// installed version, so the same scenario runs against each.
import { Client as ClientLatest } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport as MemoryLatest } from "@modelcontextprotocol/sdk/inMemory.js";
import { Server as ServerLatest } from "@modelcontextprotocol/sdk/server/index.js";
import { McpServer as McpServerLatest } from "@modelcontextprotocol/sdk/server/mcp.js";
import {
  CallToolRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { Client as Client111 } from "mcp-sdk-1-11/client/index.js";
import { InMemoryTransport as Memory111 } from "mcp-sdk-1-11/inMemory.js";
import { Server as Server111 } from "mcp-sdk-1-11/server/index.js";
import { McpServer as McpServer111 } from "mcp-sdk-1-11/server/mcp.js";
import { Client as Client124 } from "mcp-sdk-1-24/client/index.js";
import { InMemoryTransport as Memory124 } from "mcp-sdk-1-24/inMemory.js";
import { Server as Server124 } from "mcp-sdk-1-24/server/index.js";
import { McpServer as McpServer124 } from "mcp-sdk-1-24/server/mcp.js";
import { z } from "zod";
import { greeting, README_TEXT, type TestClient, type Variant } from "./variant.js";

const SERVER_INFO = { name: "test-server", version: "1.2.3" };
const text = (value: string) => ({ content: [{ type: "text" as const, text: value }] });
const readme = (uri: string) => ({ contents: [{ uri, mimeType: "text/plain", text: README_TEXT }] });
const greetMessages = (name: string) => ({
  messages: [{ role: "user" as const, content: { type: "text" as const, text: greeting(name) } }],
});

interface V1Classes {
  McpServer: typeof McpServerLatest;
  Server: typeof ServerLatest;
  Client: typeof ClientLatest;
  Memory: typeof MemoryLatest;
}

function v1Variant(name: string, classes: V1Classes): Variant {
  return {
    name,
    mcpServer() {
      const server = new classes.McpServer(SERVER_INFO);
      return {
        server,
        addTools() {
          server.registerTool(
            "echo",
            { description: "Echoes", inputSchema: { text: z.string() } },
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
          // resource()/prompt() exist in every 1.x (registerResource/registerPrompt came later).
          server.resource("readme", "notes://readme", async (uri) => readme(uri.href));
          server.resource("broken", "notes://broken", async () => {
            throw new Error("disk on fire");
          });
          server.prompt("greet", { name: z.string() }, ({ name: who }) => greetMessages(who));
        },
      };
    },
    lowLevelServer() {
      const server = new classes.Server(SERVER_INFO, {
        capabilities: { tools: {}, resources: {}, prompts: {} },
      });
      return {
        server,
        addTools() {
          server.setRequestHandler(ListToolsRequestSchema, async () => ({
            tools: [
              { name: "echo", inputSchema: { type: "object", properties: { text: { type: "string" } } } },
              { name: "fail", inputSchema: { type: "object" } },
            ],
          }));
          server.setRequestHandler(CallToolRequestSchema, async (request) => {
            if (request.params.name === "fail") throw new Error("boom");
            const args = request.params.arguments ?? {};
            return text(JSON.stringify(args));
          });
        },
        addResourcesAndPrompts() {
          server.setRequestHandler(ListResourcesRequestSchema, async () => ({
            resources: [
              { uri: "notes://readme", name: "readme" },
              { uri: "notes://broken", name: "broken" },
            ],
          }));
          server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
            if (request.params.uri === "notes://broken") throw new Error("disk on fire");
            return readme(request.params.uri);
          });
          server.setRequestHandler(ListPromptsRequestSchema, async () => ({
            prompts: [{ name: "greet", arguments: [{ name: "name", required: true }] }],
          }));
          server.setRequestHandler(GetPromptRequestSchema, async (request) =>
            greetMessages(String(request.params.arguments?.name)),
          );
        },
      };
    },
    async connect(server, clientName = "test-client") {
      const [clientTransport, serverTransport] = classes.Memory.createLinkedPair();
      await (server as { connect(t: unknown): Promise<void> }).connect(serverTransport);
      const client = new classes.Client({ name: clientName, version: "9.9.9" });
      await client.connect(clientTransport);
      return client as unknown as TestClient;
    },
  };
}

export const v1Latest = v1Variant("sdk 1.x latest", {
  McpServer: McpServerLatest,
  Server: ServerLatest,
  Client: ClientLatest,
  Memory: MemoryLatest,
});
export const v1_11 = v1Variant("sdk 1.11.5", {
  McpServer: McpServer111,
  Server: Server111,
  Client: Client111,
  Memory: Memory111,
} as unknown as V1Classes);
export const v1_24 = v1Variant("sdk 1.24.3", {
  McpServer: McpServer124,
  Server: Server124,
  Client: Client124,
  Memory: Memory124,
} as unknown as V1Classes);
