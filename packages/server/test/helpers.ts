import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { EventInput } from "@mcpsight/protocol";
import { afterAll, beforeAll } from "vitest";
import { type RunningServer, type ServerConfig, startServer } from "../src/server.js";
import type { TestBackend, TestDatabase } from "./backends.js";

export const ADMIN_PASSWORD = "correct horse battery staple";
export const ADMIN_TOKEN = "msk_test_admin_token";

export const tempDir = (): string => mkdtempSync(join(tmpdir(), "mcpsight-test-"));
export const removeDir = (dir: string): void => rmSync(dir, { recursive: true, force: true });

/**
 * Starts a real collector on a free port over `dataDir` (or the database at `databaseUrl`);
 * `config` overrides any setting.
 */
export async function startCollector(
  dataDir: string,
  databaseUrl?: string,
  config: Partial<ServerConfig> = {},
): Promise<RunningServer & { projectId: string }> {
  const server = await startServer({
    port: 0,
    host: "127.0.0.1",
    dataDir,
    databaseUrl,
    retentionDays: 90,
    adminPassword: ADMIN_PASSWORD,
    adminToken: ADMIN_TOKEN,
    dashboardDir: null,
    logLevel: "silent",
    ...config,
  });
  const [project] = await server.storage.listProjects();
  if (!project) throw new Error("no default project");
  return { ...server, projectId: project.id };
}

let counter = 0;
/** A valid event with sensible defaults; override any field. */
export function makeEvent(projectId: string, overrides: Partial<EventInput> = {}): EventInput {
  counter++;
  return {
    id: `evt_${process.pid}_${counter}`,
    projectId,
    sessionId: "ses_1",
    eventType: "mcp:tools/call",
    timestamp: new Date(Date.now() - 60_000).toISOString(),
    resourceName: "search",
    duration: 10,
    clientName: "test-client",
    clientVersion: "1.0.0",
    ...overrides,
  };
}

export async function api<T = Record<string, unknown>>(
  url: string,
  path: string,
  init: RequestInit & { token?: string } = {},
): Promise<{ status: number; body: T; headers: Headers }> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  const response = await fetch(`${url}${path}`, { ...init, headers });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T, headers: response.headers };
}

export const postBatch = (url: string, events: unknown[], extra: Record<string, unknown> = {}) =>
  api(url, "/v1/batch", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ events, ...extra }),
  });

/**
 * Waits until the collector at `url` has derived every event it acknowledged: polls
 * `GET /healthz` until `derivation.pending` is 0 (the query API reads derived tables only).
 */
export async function derived(url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await api<{ derivation?: { pending: number; lastError: string | null } }>(
      url,
      "/healthz",
    );
    if (body.derivation?.pending === 0) return;
    if (Date.now() > deadline)
      throw new Error(
        `derivation still had ${body.derivation?.pending} event(s) pending after ${timeoutMs} ms` +
          (body.derivation?.lastError ? `: ${body.derivation.lastError}` : ""),
      );
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * A collector over a fresh database of `backend`, started before a suite's tests and closed (its
 * database dropped, its directory removed) after them. Read its fields inside tests.
 */
export function suiteCollector(backend: TestBackend): {
  readonly dir: string;
  readonly database: TestDatabase;
  readonly server: RunningServer & { projectId: string };
} {
  const dir = tempDir();
  let database: TestDatabase | undefined;
  let server: (RunningServer & { projectId: string }) | undefined;
  beforeAll(async () => {
    database = await backend.create();
    server = await startCollector(dir, database.url);
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
    removeDir(dir);
  });
  return {
    dir,
    get database() {
      return database as TestDatabase;
    },
    get server() {
      return server as RunningServer & { projectId: string };
    },
  };
}

const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));

export interface CliRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the first match of `pattern` in stdout + stderr; rejects if the process ends first. */
  waitFor: (pattern: RegExp) => Promise<RegExpMatchArray>;
  /** Resolves with the exit code once the process has ended and its output is read. */
  closed: Promise<number | null>;
}

/**
 * Runs the `mcpsight` CLI from source as a child process. `input` is written to its standard
 * input; `umask` runs it under that umask (through `sh`).
 */
export function spawnCli(
  args: string[],
  options: { env?: Record<string, string>; input?: string; umask?: string } = {},
): CliRun {
  const command = [process.execPath, "--conditions", "@mcpsight/source", "--import", "tsx", CLI, ...args];
  const [file, ...rest] = options.umask
    ? ["sh", "-c", `umask ${options.umask}; exec "$@"`, "sh", ...command]
    : command;
  const child = spawn(file as string, rest, {
    env: { ...process.env, ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdin.end(options.input ?? "");
  const closed = new Promise<number | null>((resolve) => child.once("close", resolve));
  const waitFor = (pattern: RegExp) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      let ended = false;
      void closed.then(() => {
        ended = true;
      });
      const poll = setInterval(() => {
        const match = `${stdout}${stderr}`.match(pattern);
        if (match) resolve(match);
        else if (ended)
          reject(new Error(`mcpsight ${args[0]} ended without printing ${pattern}:\n${stdout}${stderr}`));
        else return;
        clearInterval(poll);
      }, 25);
    });
  return { child, stdout: () => stdout, stderr: () => stderr, waitFor, closed };
}
