// Migrating from MCPcat: the basic example as written for MCPcat, with only its import changed.
//   before:  import * as mcpcat from "mcpcat";
//   after:   import * as mcpcat from "mcpsight";
// track() takes the same arguments and options (the MCPCatOptions type is exported too); events
// go to MCPSIGHT_URL, or MCPCAT_API_URL if that is what your deployment already sets.
//
//   MCPSIGHT_PROJECT_ID=proj_… npm run migrating-from-mcpcat -w examples
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import * as mcpcat from "mcpsight";
import { z } from "zod";
import { collectorConfig } from "../shared/config.js";
import { registerNoteTools } from "../shared/notes.js";
import { serveStdio } from "../shared/stdio.js";
import { accountById } from "../shared/users.js";

const { apiBaseUrl, projectId } = collectorConfig();

const server = new McpServer({ name: "notes-mcpcat", version: "1.0.0" });
registerNoteTools(server, { userId: z.string().describe("Your user id, e.g. u_ada") });

mcpcat.track(server, projectId, {
  apiBaseUrl,
  identify: async (request) => {
    const userId = request.params?.arguments?.userId;
    if (typeof userId !== "string" || userId === "") return null;
    return { userId, userName: accountById(userId)?.name };
  },
});

await serveStdio(server);
