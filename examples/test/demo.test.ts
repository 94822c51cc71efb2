// `npm run demo` end to end: a short run, then the collector reopened on the demo's data
// directory must show everything the demo promises.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type RunningServer, startServer } from "@mcpsight/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXAMPLES_DIR } from "../demo/launch.js";
import { DEMO_PASSWORD } from "../demo/platform.js";
import {
  ADMIN_TOKEN,
  getJson,
  type IntentRow,
  type Page,
  type SessionRow,
  type UsersPage,
} from "./helpers.js";

const run = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), "mcpsight-demo-test-"));
let output = "";
let collector: RunningServer;
let base = "";
let demoId = "";

beforeAll(async () => {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const result = await run(
    npm,
    ["run", "demo", "--", "--duration", "3s", "--port", "0", "--data-dir", dataDir, "--exit"],
    {
      cwd: join(EXAMPLES_DIR, ".."),
      env: { ...process.env, MCPSIGHT_ADMIN_TOKEN: ADMIN_TOKEN, MCPSIGHT_ADMIN_PASSWORD: "" },
      timeout: 150_000,
    },
  );
  output = result.stdout;
  collector = await startServer({
    port: 0,
    host: "127.0.0.1",
    dataDir,
    retentionDays: 90,
    dashboardDir: null,
    logLevel: "silent",
  });
  // The demo's collector may have exited before deriving its last events; this one derives them.
  await collector.storage.waitForDerivation();
  const projects = await getJson<Page<{ id: string; name: string }>>(collector.url, "/api/v1/projects");
  const demo = projects.items.find((p) => p.name === "Demo");
  if (!demo) throw new Error(`no Demo project in ${JSON.stringify(projects)}`);
  demoId = demo.id;
  base = `/api/v1/projects/${demo.id}`;
}, 180_000);

afterAll(async () => {
  await collector?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const get = <T>(path: string) => getJson<T>(collector.url, `${base}${path}`);

describe("npm run demo", () => {
  it("prints the dashboard URL, the login and a summary", () => {
    // Links to the Demo project: the dashboard alone opens on the empty default project.
    const link = new RegExp(`http://127\\.0\\.0\\.1:\\d+/#/p/${demoId}/overview`, "g");
    expect(output.match(link)).toHaveLength(2);
    expect(output).toMatch(new RegExp(`dashboard: ${link.source}`));
    expect(output).toContain(`admin / ${DEMO_PASSWORD}`);
    expect(output).toMatch(/Done: \d+ sessions, \d+ tool calls, \d+ tool errors\./);
    expect(output).not.toContain("sessions failed");
  });

  it("records identified users with names and userData, and anonymous sessions", async () => {
    const users = await get<UsersPage>("/users");
    const ids = users.items.map((u) => u.userId);
    expect(ids).toEqual(expect.arrayContaining(["u_ada", "u_grace", "u_linus", "u_margaret", "u_barbara"]));
    // Identify fails for Alan (error-handling example): his sessions are anonymous.
    expect(ids).not.toContain("u_alan");
    expect(users.items.every((u) => typeof u.userName === "string")).toBe(true);
    expect(users.items.find((u) => u.userId === "u_grace")?.userData).toMatchObject({ role: "editor" });
    expect(users.anonymousSessions).toBeGreaterThanOrEqual(4);
  });

  it("records stateless sessions, tool errors, intents, missing-tool reports and several clients", async () => {
    const goSessions = await get<Page<SessionRow>>("/sessions?client=Visual%20Studio%20Code&limit=200");
    expect(goSessions.items.some((s) => s.serverName === "notes-go-basic" && s.userId === "u_linus")).toBe(
      true,
    );

    const stateless = await get<Page<SessionRow>>("/sessions?stateless=true");
    expect(stateless.items.length).toBeGreaterThan(0);
    expect(stateless.items.every((s) => s.serverName === "notes-api-key")).toBe(true);

    const errors = await get<Page<{ tool: string; count: number }>>("/errors");
    expect(errors.items.some((e) => e.tool === "delete_note" && e.count > 0)).toBe(true);

    const intents = await get<Page<IntentRow>>("/intents?type=intent");
    expect(intents.items.length).toBeGreaterThan(5);
    const missing = await get<Page<IntentRow>>("/intents?type=missing_tool");
    expect(missing.items.length).toBeGreaterThan(0);

    const clients = await get<Page<{ name: string | null }>>("/clients");
    const names = new Set(clients.items.map((c) => c.name));
    for (const name of [
      "claude-ai",
      "claude-code",
      "cursor-vscode",
      "Visual Studio Code",
      "windsurf-client",
      "zed",
    ]) {
      expect(names).toContain(name);
    }
  });

  it("keeps the login it printed", async () => {
    const response = await fetch(`${collector.url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: DEMO_PASSWORD }),
    });
    expect(response.status).toBe(200);
  });
});
