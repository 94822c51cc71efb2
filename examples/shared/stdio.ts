// Runs an example server over stdio. stdout carries JSON-RPC only, so diagnostics go to stderr.
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { shutdown } from "mcpsight";

/** Connects `server` to stdin/stdout; when the client goes away, sends what was recorded and exits. */
export async function serveStdio(server: McpServer): Promise<void> {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    // shutdown() flushes pending events (bounded by its deadline) and never rejects.
    void shutdown().finally(() => process.exit(0));
  };
  process.stdin.once("end", stop);
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  await server.connect(new StdioServerTransport());
}
