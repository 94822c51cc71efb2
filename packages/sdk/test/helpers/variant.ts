/** The client calls the tests make, common to SDK v1 and v2 clients. */
export interface TestClient {
  callTool(params: { name: string; arguments?: Record<string, unknown> }): Promise<{
    content?: unknown;
    isError?: boolean;
  }>;
  listTools(): Promise<{ tools: { name: string; inputSchema: Record<string, unknown> }[] }>;
  close(): Promise<void>;
}

/** A server under test; `addTools` registers echo, fail and (high-level) soft_fail. */
export interface TestServer {
  server: object;
  addTools(): void;
}

/** One MCP SDK version (and generation) the same scenarios run against. */
export interface Variant {
  name: string;
  mcpServer(): TestServer;
  lowLevelServer(): TestServer;
  connect(server: object, clientName?: string): Promise<TestClient>;
}
