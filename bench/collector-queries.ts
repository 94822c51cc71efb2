/**
 * Query latency: generates a dataset with set-based SQL (collector-generate.ts: the same rows
 * ingest would write; default 100k events, 1k users, ~10k sessions over 30 days; `--events
 * 10000000` for the full figure), then measures p50/p95 of every query endpoint over HTTP with a
 * bearer token. Usage: tsx --conditions=@mcpsight/source collector-queries.ts [--events 100000]
 *   [--runs 30] [--check] (first verify the generator against ingest at a small size)
 *   [--data-dir <dir>] (keep the generated store; reuse it with --skip-generate)
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startServer } from "../packages/server/src/server.js";
import { openSqliteStorage } from "../packages/server/src/storage/sqlite/index.js";
import { checkDataset, datasetFor, generateDataset } from "./collector-generate.js";
import { describeMachine } from "./src/machine.js";

const { values } = parseArgs({
  options: {
    events: { type: "string" },
    runs: { type: "string" },
    check: { type: "boolean" },
    "data-dir": { type: "string" },
    "skip-generate": { type: "boolean" },
  },
});
const EVENTS = Number(values.events ?? 100_000);
const RUNS = Number(values.runs ?? 30);
const PROJECT = "proj_bench";
const out = (line: string) => process.stdout.write(`${line}\n`);

async function generate(dir: string): Promise<void> {
  const storage = openSqliteStorage({ dataDir: dir });
  await storage.createProject({ id: PROJECT, name: "Bench" });
  await storage.close();
  const dataset = datasetFor(EVENTS, PROJECT);
  const start = performance.now();
  const path = join(dir, "mcpsight.db");
  const events = generateDataset(path, dataset, out);
  out(
    `generated ${events} events, ${dataset.users} users, ${dataset.sessions} sessions in ${((performance.now() - start) / 1000).toFixed(0)} s (${(statSync(path).size / 1e9).toFixed(1)} GB)`,
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

out(describeMachine());
if (values.check && !(await checkDataset(20_000, out))) throw new Error("the generator differs from ingest");
const dir = values["data-dir"] ?? mkdtempSync(join(tmpdir(), "mcpsight-bench-q-"));
try {
  if (!values["skip-generate"]) await generate(dir);
  await measure(dir);
} finally {
  if (!values["data-dir"]) rmSync(dir, { recursive: true, force: true });
}
