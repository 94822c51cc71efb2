// Error handling: identify depends on a user directory that sometimes fails. Whatever identify
// does (throw, reject, hang past identifyTimeoutMs, return something unusable), mcpsight logs one
// warning to stderr, records the session as anonymous and never lets it reach the tool call: the
// call succeeds as if analytics were not there. Catch errors yourself only when you have a better
// fallback. stdio transport.
//
//   MCPSIGHT_PROJECT_ID=proj_… npm run error-handling -w examples
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { track } from "mcpsight";
import { z } from "zod";
import { collectorConfig } from "../shared/config.js";
import { registerNoteTools } from "../shared/notes.js";
import { serveStdio } from "../shared/stdio.js";
import { type Account, accountById } from "../shared/users.js";

const { apiBaseUrl, projectId } = collectorConfig();

const server = new McpServer({ name: "notes-error-handling", version: "1.0.0" });
registerNoteTools(server, { userId: z.string().describe("Your user id, e.g. u_ada") });

/**
 * A directory lookup with the failures real ones have: viewers' records live on a replica that
 * is down (it throws), and "u_slow" answers after 10 s.
 */
async function lookUpUser(userId: string): Promise<Account | undefined> {
  if (userId === "u_slow") await new Promise((resolve) => setTimeout(resolve, 10_000));
  const account = accountById(userId);
  if (account?.role === "viewer") throw new Error("user directory unavailable (replica down)");
  return account;
}

track(server, projectId, {
  apiBaseUrl,
  // Give up on identify after 1 s instead of the default 5 s.
  identifyTimeoutMs: 1000,
  identify: async (request) => {
    const userId = request.params?.arguments?.userId;
    if (typeof userId !== "string") return null;
    // Unknown users: anonymous, on purpose.
    const account = await lookUpUser(userId);
    return account ? { userId: account.id, userName: account.name } : null;
  },
});

await serveStdio(server);
