// Anonymous sessions: no identify at all. Every session is recorded without a user: tool usage,
// errors, agent intents and clients are all still there. Fits public servers, development, and
// users who prefer not to be identified. stdio transport.
//
//   MCPSIGHT_PROJECT_ID=proj_… npm run anonymous -w examples
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { track } from "mcpsight";
import { collectorConfig } from "../shared/config.js";
import { registerNoteTools } from "../shared/notes.js";
import { serveStdio } from "../shared/stdio.js";

const { apiBaseUrl, projectId } = collectorConfig();

const server = new McpServer({ name: "notes-anonymous", version: "1.0.0" });
registerNoteTools(server);

track(server, projectId, { apiBaseUrl });

await serveStdio(server);
