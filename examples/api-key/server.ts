// API key identification on a stateless Streamable HTTP server: each request carries an
// `X-API-Key` header and runs on a fresh server, so identify runs on every request. identifyCache
// keeps that cheap: results are memoised per API key (mcpsight hashes the key; it never stores or
// sends it) for a minute.
//
//   MCPSIGHT_PROJECT_ID=proj_… PORT=3001 npm run api-key -w examples
//   → http://127.0.0.1:3001/mcp, with the header X-API-Key: key_ada_51b0d2
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { track } from "mcpsight";
import { collectorConfig, portFromEnv } from "../shared/config.js";
import { createApp, listen, statelessMcpHandler } from "../shared/http.js";
import { registerNoteTools } from "../shared/notes.js";
import { accountByApiKey } from "../shared/users.js";

const { apiBaseUrl, projectId } = collectorConfig();

/** Your key check; with identifyCache it runs about once a minute per key, not on every request. */
async function lookUpApiKey(key: string) {
  return accountByApiKey(key) ?? null;
}

function createServer(): McpServer {
  const server = new McpServer({ name: "notes-api-key", version: "1.0.0" });
  registerNoteTools(server);
  return track(server, projectId, {
    apiBaseUrl,
    identify: async (_request, extra) => {
      // Header names are lower-case here.
      const key = extra.requestInfo?.headers["x-api-key"];
      if (typeof key !== "string") return null;
      const account = await lookUpApiKey(key);
      if (!account) return null;
      return {
        userId: account.id,
        userName: account.name,
        userData: { organisation: account.organisation, plan: account.plan },
      };
    },
    // The cache key defaults to a hash of the request's credential header (Authorization,
    // X-API-Key or Api-Key); pass `key` to derive it from something else.
    identifyCache: { ttlMs: 60_000 },
  });
}

const app = createApp();
app.all("/mcp", statelessMcpHandler(createServer));
await listen(app, portFromEnv(3001), "notes-api-key (stateless)");
