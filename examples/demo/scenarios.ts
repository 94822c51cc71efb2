// What the demo's simulated people do: who they are, which example server and client they use,
// and the tool calls (with the intent an agent would state) they make in a session.
import { type Account, mustGetAccount } from "../shared/users.js";
import type { ClientIdentity } from "./clients.js";
import type { HttpExample, StdioExample } from "./launch.js";

/** One simulated person on one server. `user` is null for anonymous visitors. */
export interface Persona {
  user: Account | null;
  example: StdioExample | HttpExample;
  client: ClientIdentity;
  /** Arguments added to every call (a user id or token for examples that read them). */
  args: Record<string, unknown>;
  /** HTTP headers sent with every request (API key, bearer token). */
  headers: Record<string, string>;
  /** Shown in the demo's progress lines. */
  note?: string;
}

export interface PlannedCall {
  name: string;
  arguments: Record<string, unknown>;
}

const CLIENTS = {
  claudeDesktop: { name: "claude-ai", version: "0.1.0" },
  claudeCode: { name: "claude-code", version: "2.0.14" },
  cursor: { name: "cursor-vscode", version: "1.0.0" },
  vscode: { name: "Visual Studio Code", version: "1.104.0" },
  windsurf: { name: "windsurf-client", version: "1.12.2" },
  zed: { name: "zed", version: "0.205.3" },
} satisfies Record<string, ClientIdentity>;

type Credential = (user: Account) => Pick<Persona, "args" | "headers">;

const persona = (
  example: Persona["example"],
  client: ClientIdentity,
  userId: string,
  credential: Credential,
): Persona => {
  const user = mustGetAccount(userId);
  return { example, client, user, ...credential(user) };
};
const anonymous = (
  example: Persona["example"],
  client: ClientIdentity,
  args: Persona["args"] = {},
): Persona => ({
  example,
  client,
  user: null,
  args,
  headers: {},
});
const byUserId = (user: Account) => ({ args: { userId: user.id }, headers: {} });
const byToken = (user: Account) => ({ args: { token: user.token }, headers: {} });
const byApiKey = (user: Account) => ({ args: {}, headers: { "x-api-key": user.apiKey } });
const byBearer = (user: Account) => ({ args: {}, headers: { authorization: `Bearer ${user.token}` } });

const byPythonUserId = (user: Account) => ({ args: { user_id: user.id }, headers: {} });

/** People on the Python examples (when a Python environment is available). */
export const PYTHON_PERSONAS: readonly Persona[] = [
  { ...persona("python/basic", CLIENTS.claudeCode, "u_grace", byPythonUserId), note: "(Python)" },
  { ...persona("python/api_key", CLIENTS.vscode, "u_margaret", byApiKey), note: "(Python, stateless)" },
  { ...anonymous("python/anonymous", CLIENTS.cursor), note: "(Python)" },
];

/** Everyone in the demo; each appears at least once in the first round. */
export const PERSONAS: readonly Persona[] = [
  persona("basic", CLIENTS.claudeDesktop, "u_ada", byUserId),
  persona("token-auth", CLIENTS.cursor, "u_grace", byToken),
  { ...persona("api-key", CLIENTS.vscode, "u_linus", byApiKey), note: "(stateless)" },
  persona("mcp-auth", CLIENTS.claudeCode, "u_margaret", byBearer),
  {
    ...persona("error-handling", CLIENTS.claudeDesktop, "u_alan", byUserId),
    note: "(identify fails: anonymous)",
  },
  anonymous("anonymous", CLIENTS.windsurf),
  persona("migrating-from-mcpcat", CLIENTS.zed, "u_barbara", byUserId),
  { ...persona("api-key", CLIENTS.cursor, "u_ada", byApiKey), note: "(stateless)" },
  persona("mcp-auth", CLIENTS.cursor, "u_grace", byBearer),
  persona("token-auth", CLIENTS.windsurf, "u_barbara", byToken),
  // A token that is not valid: the session stays anonymous.
  { ...anonymous("token-auth", CLIENTS.zed, { token: "tok_expired_000" }), note: "(invalid token)" },
  anonymous("anonymous", CLIENTS.claudeCode),
  // The Go SDK: examples/go/basic, on the official Go MCP SDK.
  { ...persona("go-basic", CLIENTS.vscode, "u_linus", byUserId), note: "(Go server)" },
];

const SEARCHES: readonly [string, string][] = [
  ["release", "The user is preparing this week's release and wants the checklist."],
  ["rota", "The user wants to know who is on call tonight."],
  ["style", "The user is writing docs and checks the team's style guide."],
  ["onboarding", "The user is onboarding a new hire and looks for the steps."],
  ["budget", "The user needs last quarter's budget notes for a review."],
];
const NOTES: readonly [string, string, string][] = [
  ["Retro 14", "Ship smaller changes.", "The user records the outcome of the team retrospective."],
  ["Incident 231", "Cache stampede at 09:12.", "The user logs an incident summary after on-call."],
  ["Ideas", "Dark mode for the dashboard.", "The user jots down a feature idea from a customer call."],
];
const MISSING: readonly string[] = [
  "The user wants to export all notes as a PDF; no export tool exists.",
  "The user wants to share a note with another team by link.",
  "The user asked to schedule a reminder for a note next Monday.",
];

const pick = <T>(items: readonly T[], random: () => number): T =>
  items[Math.floor(random() * items.length)] as T;

const search = (random: () => number): PlannedCall => {
  const [query, context] = pick(SEARCHES, random);
  return { name: "search_notes", arguments: { query, context } };
};
const create = (random: () => number): PlannedCall => {
  const [title, body, context] = pick(NOTES, random);
  return { name: "create_note", arguments: { title, body, context } };
};
/** Deletes a note that may not exist: a tool error now and then. */
const remove = (id: number): PlannedCall => ({
  name: "delete_note",
  arguments: { id, context: `The user cleans up note #${id}, which they think is outdated.` },
});
const missing = (random: () => number): PlannedCall => ({
  name: "get_more_tools",
  arguments: { context: pick(MISSING, random) },
});

/** The first round's session: every kind of call once, including an error and a missing-tool report. */
export function tourCalls(random: () => number): PlannedCall[] {
  return [search(random), create(random), remove(99), missing(random)];
}

/** A later session: two to five calls, mostly searches. */
export function randomCalls(random: () => number): PlannedCall[] {
  const count = 2 + Math.floor(random() * 4);
  return Array.from({ length: count }, () => {
    const roll = random();
    if (roll < 0.5) return search(random);
    if (roll < 0.7) return create(random);
    if (roll < 0.9) return remove(1 + Math.floor(random() * 9));
    return missing(random);
  });
}

/** `get_more_tools` is answered by mcpsight itself and takes only `context`. */
export function withPersonaArgs(call: PlannedCall, who: Persona): PlannedCall {
  if (call.name === "get_more_tools") return call;
  return { ...call, arguments: { ...who.args, ...call.arguments } };
}
