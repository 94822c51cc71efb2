// Basic identification: the user id comes from the tool call's own arguments. Fits servers whose
// tools already take the caller's id (internal tools, prototypes). stdio transport.
//
//   MCPSIGHT_PROJECT_ID=proj_… npm run basic -w examples
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { track } from "mcpsight";
import { z } from "zod";
import { collectorConfig } from "../shared/config.js";
import { registerNoteTools } from "../shared/notes.js";
import { serveStdio } from "../shared/stdio.js";
import { accountById } from "../shared/users.js";

const { apiBaseUrl, projectId } = collectorConfig();

const server = new McpServer({ name: "notes-basic", version: "1.0.0" });
registerNoteTools(server, { userId: z.string().describe("Your user id, e.g. u_ada") });

track(server, projectId, {
  apiBaseUrl,
  // Stateful (stdio): runs once per session, on the first tool call.
  identify: async (request) => {
    const userId = request.params?.arguments?.userId;
    if (typeof userId !== "string" || userId === "") return null; // anonymous session
    return { userId, userName: accountById(userId)?.name };
  },
});

await serveStdio(server);
