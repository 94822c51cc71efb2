// The example servers' tools: a small team-notes service held in memory. Every example registers
// the same tools, so each one differs only in how it identifies users. `extraArguments` lets an
// example add the arguments its identify pattern reads (a user id, a token).
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { type ZodRawShape, z } from "zod";

interface Note {
  id: number;
  title: string;
  body: string;
}

const SEED: readonly Omit<Note, "id">[] = [
  { title: "Release checklist", body: "Tag, build, publish, announce." },
  { title: "On-call rota", body: "Weekly, handover on Mondays at 10:00." },
  { title: "Style guide", body: "Short sentences. Active voice. No jargon." },
  { title: "Onboarding", body: "Laptop, accounts, first pairing session, first release." },
];

/** Registers search_notes, create_note and delete_note on `server`. Returns the tool names. */
export function registerNoteTools(server: McpServer, extraArguments: ZodRawShape = {}): string[] {
  const notes: Note[] = SEED.map((note, index) => ({ id: index + 1, ...note }));
  let nextId = notes.length + 1;

  server.registerTool(
    "search_notes",
    {
      description: "Search the team's notes by a word in their title or body.",
      inputSchema: { ...extraArguments, query: z.string().describe("Word or phrase to look for") },
    },
    async ({ query }) => {
      const needle = String(query).toLowerCase();
      const found = notes.filter((n) => `${n.title} ${n.body}`.toLowerCase().includes(needle));
      const text = found.length
        ? found.map((n) => `#${n.id} ${n.title}: ${n.body}`).join("\n")
        : `No note mentions "${query}".`;
      return { content: [{ type: "text", text }] };
    },
  );

  server.registerTool(
    "create_note",
    {
      description: "Create a note.",
      inputSchema: { ...extraArguments, title: z.string().min(1), body: z.string() },
    },
    async ({ title, body }) => {
      const note = { id: nextId++, title: String(title), body: String(body) };
      notes.push(note);
      return { content: [{ type: "text", text: `Created note #${note.id}.` }] };
    },
  );

  server.registerTool(
    "delete_note",
    {
      description: "Delete a note by its number.",
      inputSchema: { ...extraArguments, id: z.number().int().describe("The note's number, e.g. 3") },
    },
    async ({ id }) => {
      const index = notes.findIndex((n) => n.id === id);
      // A thrown error becomes an error result for the client (isError) and an error in mcpsight.
      if (index === -1) throw new Error(`Note #${id} does not exist.`);
      notes.splice(index, 1);
      return { content: [{ type: "text", text: `Deleted note #${id}.` }] };
    },
  );

  return ["search_notes", "create_note", "delete_note"];
}
