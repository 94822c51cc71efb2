/**
 * A user's MCP server, over stdio, tracked by the unmodified `mcpcat` package (as published):
 * `node --import tsx mcpcat-host.ts <collectorUrl> <projectId> <anonymous|null-identify|identified>`.
 * Its tools exercise everything mcpcat sends: tool calls with intents, thrown errors with a cause,
 * error results, and custom events published both for the server and for a session id.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { publishCustomEvent, track } from "mcpcat";
import { z } from "zod";

const [collectorUrl, projectId = "", mode] = process.argv.slice(2);
const server = new McpServer({ name: "weather", version: "1.0.0" });
server.tool("forecast", { city: z.string() }, async ({ city }) => ({
  content: [{ type: "text", text: `Sunny in ${city}` }],
}));
server.tool("fail", {}, async () => {
  throw new TypeError("no forecast", { cause: new RangeError("station offline") });
});
server.tool("soft_fail", {}, async () => ({
  isError: true,
  content: [{ type: "text", text: "quota exceeded" }],
}));
server.tool("report", {}, async () => {
  await publishCustomEvent(server, projectId, {
    resourceName: "report",
    message: "exported the forecast",
    tags: { format: "csv" },
    properties: { rows: 3, nested: { empty: null } },
    isError: true,
    error: { message: "partial export", code: 7 },
  });
  await publishCustomEvent("transport-session-1", projectId, {
    resourceName: "background",
    isError: true,
    error: "timeout",
    duration: 12,
  });
  return { content: [{ type: "text", text: "reported" }] };
});
const identify =
  mode === "identified"
    ? async () => ({ userId: "cat-user", userName: "Cat User", userData: { plan: "pro" } })
    : mode === "null-identify"
      ? async () => null
      : undefined;
track(server, projectId, {
  apiBaseUrl: collectorUrl,
  disableDiagnostics: true,
  ...(identify ? { identify } : {}),
});
await server.connect(new StdioServerTransport());
