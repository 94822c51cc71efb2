// MCP authentication on a stateful Streamable HTTP server: the MCP SDK's bearer-auth middleware
// verifies the `Authorization: Bearer …` token before any MCP message is handled and fills
// `extra.authInfo`; identify only reads it. In production the verifier checks tokens issued by
// your OAuth authorization server (JWT signature or introspection); here it is an in-process table.
//
//   MCPSIGHT_PROJECT_ID=proj_… PORT=3002 npm run mcp-auth -w examples
//   → http://127.0.0.1:3002/mcp, with the header Authorization: Bearer tok_grace_a90e44

import { InvalidTokenError } from "@modelcontextprotocol/sdk/server/auth/errors.js";
import { requireBearerAuth } from "@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js";
import type { OAuthTokenVerifier } from "@modelcontextprotocol/sdk/server/auth/provider.js";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { track } from "mcpsight";
import { collectorConfig, portFromEnv } from "../shared/config.js";
import { createApp, listen, statefulMcpHandler } from "../shared/http.js";
import { registerNoteTools } from "../shared/notes.js";
import { accountByToken } from "../shared/users.js";

const { apiBaseUrl, projectId } = collectorConfig();

const verifier: OAuthTokenVerifier = {
  async verifyAccessToken(token: string): Promise<AuthInfo> {
    const account = accountByToken(token);
    if (!account) throw new InvalidTokenError("Unknown or revoked token");
    return {
      token,
      clientId: "notes-web",
      scopes: account.role === "viewer" ? ["notes:read"] : ["notes:read", "notes:write"],
      expiresAt: Math.floor(Date.now() / 1000) + 3600,
      // What your authorization server put in the token: the subject and its profile.
      extra: { sub: account.id, name: account.name, organisation: account.organisation },
    };
  },
};

function createServer(): McpServer {
  const server = new McpServer({ name: "notes-mcp-auth", version: "1.0.0" });
  registerNoteTools(server);
  return track(server, projectId, {
    apiBaseUrl,
    // Stateful: once per session on the first tool call (again if the token changes).
    identify: async (_request, extra) => {
      const auth = extra.authInfo;
      if (typeof auth?.extra?.sub !== "string") return null;
      return {
        userId: auth.extra.sub,
        userName: typeof auth.extra.name === "string" ? auth.extra.name : undefined,
        userData: { organisation: auth.extra.organisation, scopes: auth.scopes, client: auth.clientId },
      };
    },
  });
}

const app = createApp();
app.all("/mcp", requireBearerAuth({ verifier }), statefulMcpHandler(createServer));
await listen(app, portFromEnv(3002), "notes-mcp-auth (stateful, bearer auth)");
