import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type IntentItem,
  type Page,
  type RunningServer,
  type SessionSummary,
  type StoredEvent,
  startServer,
  type UserSummary,
  type UsersResponse,
} from "@mcpsight/server";
import { afterAll, beforeAll } from "vitest";
import { type HttpExample, type HttpExampleProcess, startHttpExample } from "../demo/launch.js";

export const ADMIN_TOKEN = "msk_examples_test_token";

/** A collector on a free port over a fresh temporary data directory. */
export interface TestCollector {
  url: string;
  projectId: string;
  /**
   * GET under /api/v1/projects/:projectId, as the admin, once every event the collector has
   * acknowledged is derived; throws on a non-2xx status.
   */
  get<T = Record<string, unknown>>(path: string): Promise<T>;
  close(): Promise<void>;
}

export async function startCollector(): Promise<TestCollector> {
  const dataDir = mkdtempSync(join(tmpdir(), "mcpsight-examples-"));
  const server: RunningServer = await startServer({
    port: 0,
    host: "127.0.0.1",
    dataDir,
    retentionDays: 90,
    adminToken: ADMIN_TOKEN,
    dashboardDir: null,
    logLevel: "silent",
  });
  const [project] = await server.storage.listProjects();
  if (!project) throw new Error("the collector created no default project");
  return {
    url: server.url,
    projectId: project.id,
    get: async (path) => {
      await server.storage.waitForDerivation();
      return getJson(server.url, `/api/v1/projects/${encodeURIComponent(project.id)}${path}`);
    },
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** GET a query-API path with the admin token. */
export async function getJson<T>(baseUrl: string, path: string, token = ADMIN_TOKEN): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const body = await response.text();
  if (!response.ok) throw new Error(`GET ${path} → ${response.status}: ${body}`);
  return JSON.parse(body) as T;
}

/** Polls `check` until it returns a value (not undefined/false) or `timeoutMs` passes. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`);
}

// Shapes of the query API (docs/API.md) that the tests read: the collector's own types.
export type UserRow = UserSummary;
export type SessionRow = SessionSummary;
export type EventRow = StoredEvent;
export type IntentRow = IntentItem;
export type { Page };
export type UsersPage = UsersResponse;

/** Text of a tool result's first content item. */
export function resultText(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content;
  return content?.[0]?.text ?? "";
}

/**
 * A collector started before the file's tests and closed after them. Its fields and methods
 * reach the running collector, so use them inside tests (it starts in beforeAll).
 */
export function useCollector(): TestCollector {
  let started: TestCollector | undefined;
  beforeAll(async () => {
    started = await startCollector();
  });
  afterAll(() => started?.close());
  const current = (): TestCollector => {
    if (!started) throw new Error("the collector starts in beforeAll: use it inside a test");
    return started;
  };
  return {
    get url() {
      return current().url;
    },
    get projectId() {
      return current().projectId;
    },
    get: <T>(path: string) => current().get<T>(path),
    close: () => current().close(),
  };
}

/**
 * A collector and one HTTP example server sending to it, started before the file's tests and
 * stopped after them. Read `collector` and `example` inside tests (they are set in beforeAll).
 */
export function useHttpExample(name: HttpExample): { collector: TestCollector; example: HttpExampleProcess } {
  const fixture = {} as { collector: TestCollector; example: HttpExampleProcess };
  beforeAll(async () => {
    fixture.collector = await startCollector();
    fixture.example = await startHttpExample(name, fixture.collector);
  });
  afterAll(async () => {
    await fixture.example?.stop();
    await fixture.collector?.close();
  });
  return fixture;
}
