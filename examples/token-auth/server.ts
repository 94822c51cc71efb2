// Token-based authentication: the caller's token arrives either as a tool argument (stdio
// clients configured with a personal token) or in `extra.authInfo` (set by an auth middleware on
// HTTP). identify validates it and maps it to a user, with facts about them as userData.
// Invalid or missing tokens leave the session anonymous; the tool call itself is not refused here
// (do that in your handler or middleware if the tools require a user). stdio transport.
//
//   MCPSIGHT_PROJECT_ID=proj_… npm run token-auth -w examples
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { track } from "mcpsight";
import { z } from "zod";
import { collectorConfig } from "../shared/config.js";
import { registerNoteTools } from "../shared/notes.js";
import { serveStdio } from "../shared/stdio.js";
import { accountByToken } from "../shared/users.js";

const { apiBaseUrl, projectId } = collectorConfig();

const server = new McpServer({ name: "notes-token-auth", version: "1.0.0" });
registerNoteTools(server, { token: z.string().optional().describe("Your personal access token") });

/** Your token check: a JWT verification, an introspection call, a database lookup… */
async function verifyToken(token: string) {
  return accountByToken(token) ?? null;
}

track(server, projectId, {
  apiBaseUrl,
  identify: async (request, extra) => {
    const token = extra.authInfo?.token ?? request.params?.arguments?.token;
    if (typeof token !== "string") return null;
    const account = await verifyToken(token);
    if (!account) return null;
    return {
      userId: account.id,
      userName: account.name,
      // Never put the token itself here; keys that look like secrets are redacted anyway.
      userData: { role: account.role, organisation: account.organisation, plan: account.plan },
    };
  },
});

await serveStdio(server);
