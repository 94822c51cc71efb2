// Real MCP clients for the example servers, as the demo and the tests use them.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { type CollectorTarget, type StdioExample, stdioTransport } from "./launch.js";

/** How the client introduces itself (`clientInfo` at initialize). */
export interface ClientIdentity {
  name: string;
  version: string;
}

/** A connected client plus what its server wrote to stderr (stdio only). */
export interface ConnectedClient {
  client: Client;
  stderr(): string;
  close(): Promise<void>;
}

/** Starts a stdio example as a child process and connects to it. */
export async function connectStdio(
  example: StdioExample,
  target: CollectorTarget,
  identity: ClientIdentity,
): Promise<ConnectedClient> {
  const { transport, stderr } = stdioTransport(example, target);
  const client = new Client(identity);
  await client.connect(transport);
  // Closing ends the child's stdin; the example then sends its events and exits.
  return { client, stderr, close: () => client.close() };
}

/**
 * Connects to an HTTP example. `headers` go with every request (credentials). Stateless servers
 * meet each request with a fresh server that never saw `initialize`, so the client also names
 * itself in `X-MCP-Client-Name`/`-Version`, which mcpsight reads as a fallback.
 */
export async function connectHttp(
  url: string,
  identity: ClientIdentity,
  headers: Record<string, string> = {},
): Promise<ConnectedClient> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: {
      headers: { ...headers, "x-mcp-client-name": identity.name, "x-mcp-client-version": identity.version },
    },
  });
  const client = new Client(identity);
  await client.connect(transport);
  return {
    client,
    stderr: () => "",
    async close() {
      // Stateful servers keep a session until the client ends it (DELETE); stateless ones refuse that.
      await transport.terminateSession().catch(() => undefined);
      await client.close();
    },
  };
}
