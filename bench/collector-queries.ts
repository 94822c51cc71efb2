/**
 * Query latency: generates a dataset straight through the storage layer (default 10M events,
 * 100k users, ~1M sessions over 30 days), then measures p50/p95 of every query endpoint over
 * HTTP. Usage: tsx --conditions=source collector-queries.ts [--events 10000000] [--runs 30]
 *   [--data-dir <dir>] (reuse a generated dir with --skip-generate)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { eventSchema } from "@mcpsight/protocol";
import { startServer } from "../packages/server/src/server.js";
import { openSqliteStorage } from "../packages/server/src/storage/sqlite/index.js";
import { rng, sessionEvents } from "./collector-data.js";

const { values } = parseArgs({
  options: {
    events: { type: "string" },
    runs: { type: "string" },
    "data-dir": { type: "string" },
    "skip-generate": { type: "boolean" },
  },
});
const EVENTS = Number(values.events ?? 10_000_000);
const RUNS = Number(values.runs ?? 30);
const USERS = Math.max(1, Math.round(EVENTS / 100));
const SESSIONS = Math.max(1, Math.round(EVENTS / 10));
const PROJECT = "proj_bench";
const out = (line: string) => process.stdout.write(`${line}\n`);

async function generate(dir: string): Promise<void> {
  const storage = openSqliteStorage({ dataDir: dir });
  if (!(await storage.getProject(PROJECT))) await storage.createProject({ id: PROJECT, name: "Bench" });
  const random = rng(7);
  const shape = { projectId: PROJECT, users: USERS, sessions: SESSIONS, days: 30 };
  const start = performance.now();
  let written = 0;
  let batch: ReturnType<typeof eventSchema.parse>[] = [];
  for (let s = 0; written < EVENTS; s++) {
    for (const event of sessionEvents(shape, s, random)) {
      if (written >= EVENTS) break;
      batch.push(event as ReturnType<typeof eventSchema.parse>);
      written++;
    }
    if (batch.length >= 1000 || written >= EVENTS) {
      await storage.ingestEvents(batch);
      batch = [];
      if (written % 500_000 < 1000)
        out(
          `  generated ${written} events (${Math.round(written / ((performance.now() - start) / 1000))}/s)`,
        );
    }
  }
  await storage.close();
  out(
    `generated ${EVENTS} events, ${USERS} users, ~${SESSIONS} sessions in ${((performance.now() - start) / 1000).toFixed(0)} s`,
  );
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;

async function measure(dir: string): Promise<void> {
  const server = await startServer({
    port: 0,
    host: "127.0.0.1",
    dataDir: dir,
    retentionDays: 3650,
    dashboardDir: null,
    logLevel: "warn",
    adminPassword: "bench",
    adminToken: "msk_bench",
  });
  const get = async (path: string) => {
    const res = await fetch(`${server.url}/api/v1/projects/${PROJECT}${path}`, {
      headers: { authorization: "Bearer msk_bench" },
    });
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, unknown>>;
  };
  const users = (await get("/users?limit=50")).items as { userId: string }[];
  const sessions = (await get("/sessions?limit=50")).items as { sessionId: string }[];
  const page2 = ((await get("/users?sort=toolCalls")).nextCursor as string | null) ?? "";
  const pick = <T>(list: T[], i: number) => list[i % list.length] as T;
  const endpoints: [string, (i: number) => string][] = [
    ["overview (7 days)", () => "/overview"],
    ["overview (30 days)", () => `/overview?from=${Date.now() - 30 * 86_400_000}`],
    ["users (lastSeen)", () => "/users"],
    ["users (toolCalls, page 2)", () => `/users?sort=toolCalls&cursor=${page2}`],
    ["users (search)", (i) => `/users?search=user_${i}9`],
    ["users/:userId", (i) => `/users/${pick(users, i).userId}`],
    ["sessions", () => "/sessions"],
    ["sessions (hasError)", () => "/sessions?hasError=true"],
    ["sessions (tool)", () => "/sessions?tool=tool_05"],
    ["sessions (userId)", (i) => `/sessions?userId=${pick(users, i).userId}`],
    ["sessions/:sessionId", (i) => `/sessions/${pick(sessions, i).sessionId}`],
    ["tools", () => "/tools"],
    ["clients", () => "/clients"],
    ["errors", () => "/errors"],
    ["intents", () => "/intents"],
  ];
  out(`\n| endpoint | p50 ms | p95 ms |\n| --- | ---: | ---: |`);
  for (const [name, path] of endpoints) {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      await get(path(i));
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    out(`| ${name} | ${quantile(times, 0.5).toFixed(1)} | ${quantile(times, 0.95).toFixed(1)} |`);
  }
  await server.close();
}

const dir = values["data-dir"] ?? mkdtempSync(join(tmpdir(), "mcpsight-bench-q-"));
try {
  if (!values["skip-generate"]) await generate(dir);
  await measure(dir);
} finally {
  if (!values["data-dir"]) rmSync(dir, { recursive: true, force: true });
}
