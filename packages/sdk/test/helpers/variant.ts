/** The client calls the tests make, common to SDK v1 and v2 clients. */
export interface TestClient {
  callTool(params: { name: string; arguments?: Record<string, unknown> }): Promise<{
    content?: unknown;
    isError?: boolean;
  }>;
  listTools(): Promise<{ tools: { name: string; inputSchema: Record<string, unknown> }[] }>;
  listResources(): Promise<{ resources: { uri: string; name: string }[] }>;
  readResource(params: { uri: string }): Promise<{ contents: { uri: string; text?: unknown }[] }>;
  listPrompts(): Promise<{ prompts: { name: string; arguments?: { name: string }[] }[] }>;
  getPrompt(params: { name: string; arguments?: Record<string, string> }): Promise<{
    messages: { role: string; content: unknown }[];
  }>;
  close(): Promise<void>;
}

/**
 * A server under test. `addTools` registers echo, fail and (high-level) soft_fail;
 * `addResourcesAndPrompts` the resources `notes://readme` and `notes://broken` (its read throws
 * "disk on fire") and the prompt `greet` with a string argument `name`.
 */
export interface TestServer {
  server: object;
  addTools(): void;
  addResourcesAndPrompts(): void;
}

/** One MCP SDK version (and generation) the same scenarios run against, with its own client. */
export interface Variant {
  name: string;
  mcpServer(): TestServer;
  lowLevelServer(): TestServer;
  connect(server: object, clientName?: string): Promise<TestClient>;
}

/** What the resources and prompts of every test server return. */
export const README_TEXT = "read me first";
export const greeting = (name: string) => `Say hello to ${name}`;
