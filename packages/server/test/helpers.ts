import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EventInput } from "@mcpsight/protocol";
import { type RunningServer, startServer } from "../src/server.js";

export const ADMIN_PASSWORD = "correct horse battery staple";
export const ADMIN_TOKEN = "msk_test_admin_token";

export const tempDir = (): string => mkdtempSync(join(tmpdir(), "mcpsight-test-"));
export const removeDir = (dir: string): void => rmSync(dir, { recursive: true, force: true });

/** Starts a real collector on a free port over `dataDir` (or the database at `databaseUrl`). */
export async function startCollector(
  dataDir: string,
  databaseUrl?: string,
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
