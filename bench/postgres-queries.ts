/**
 * Query latency on PostgreSQL: creates a scratch database, fills it with set-based SQL
 * (postgres-generate.ts: the rows ingest would write for collector-generate.ts's events; default
 * 100k events, 1k users, ~10k sessions over 30 days; `--events 10000000` for the full figure), then
 * measures p50/p95 of every query endpoint over HTTP with a bearer token against a collector
 * started on that database — the endpoints and parameters of collector-queries.ts, so the figures
 * sit beside the SQLite ones. The scratch database is dropped afterwards unless `--keep`.
 * Usage: tsx --conditions=@mcpsight/source postgres-queries.ts [--events 100000] [--runs 30]
 *   [--check] (first verify the generator against ingest at a small size)
 *   [--database-url postgres://…] (a database to connect to for CREATE/DROP DATABASE; default
 *   MCPSIGHT_TEST_DATABASE_URL) [--database mcpsight_bench_queries] [--keep] [--skip-generate]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startServer } from "../packages/server/src/server.js";
import { openPostgresStorage } from "../packages/server/src/storage/postgres/index.js";
import { datasetFor } from "./collector-generate.js";
import { checkPostgresDataset, connect, generatePostgres } from "./postgres-generate.js";
import { describeMachine } from "./src/machine.js";

const { values } = parseArgs({
  options: {
    events: { type: "string" },
    runs: { type: "string" },
    check: { type: "boolean" },
    "database-url": { type: "string" },
    database: { type: "string" },
    keep: { type: "boolean" },
    "skip-generate": { type: "boolean" },
  },
});
const EVENTS = Number(values.events ?? 100_000);
const RUNS = Number(values.runs ?? 30);
const PROJECT = "proj_bench";
const BASE = values["database-url"] ?? process.env.MCPSIGHT_TEST_DATABASE_URL;
if (!BASE) throw new Error("set --database-url or MCPSIGHT_TEST_DATABASE_URL");
const DATABASE = values.database ?? "mcpsight_bench_queries";
if (!/^[a-z_][a-z0-9_]{0,62}$/.test(DATABASE))
  throw new Error("--database must be a lowercase SQL identifier");
const out = (line: string) => process.stdout.write(`${line}\n`);

const scratchUrl = (() => {
  const url = new URL(BASE);
  url.pathname = `/${DATABASE}`;
  url.searchParams.delete("schema");
  return url.toString();
})();

async function admin(sql: string): Promise<void> {
  const client = await connect(BASE as string, "public");
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function generate(): Promise<void> {
  await admin(`DROP DATABASE IF EXISTS ${DATABASE}`);
  await admin(`CREATE DATABASE ${DATABASE}`);
  const storage = await openPostgresStorage({ url: scratchUrl });
  await storage.createProject({ id: PROJECT, name: "Bench" });
  await storage.close();
  const dataset = datasetFor(EVENTS, PROJECT);
  const start = performance.now();
  const client = await connect(scratchUrl, "public");
  try {
    const events = await generatePostgres(client, dataset, out);
    const { rows } = await client.query<{ size: string }>(
      "SELECT pg_size_pretty(pg_database_size(current_database())) AS size",
    );
    out(
      `generated ${events} events, ${dataset.users} users, ${dataset.sessions} sessions in ${((performance.now() - start) / 1000).toFixed(0)} s (${rows[0]?.size})`,
    );
  } finally {
    await client.end();
  }
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;

async function measure(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "mcpsight-bench-pgq-"));
  const server = await startServer({
    port: 0,
    host: "127.0.0.1",
    dataDir,
    databaseUrl: scratchUrl,
    retentionDays: 3650,
    dashboardDir: null,
    logLevel: "warn",
    adminPassword: "bench",
    adminToken: "msk_bench",
  });
  try {
    const get = async (path: string) => {
      const res = await fetch(`${server.url}/api/v1/projects/${PROJECT}${path}`, {
        headers: { authorization: "Bearer msk_bench" },
      });
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return res.json() as Promise<Record<string, unknown>>;
    };
    // The endpoints and parameters of collector-queries.ts (SQLite), in the same order.
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
    const slow: string[] = [];
    for (const [name, path] of endpoints) {
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const t = performance.now();
        await get(path(i));
        times.push(performance.now() - t);
      }
      const sorted = [...times].sort((a, b) => a - b);
      out(`| ${name} | ${quantile(sorted, 0.5).toFixed(1)} | ${quantile(sorted, 0.95).toFixed(1)} |`);
      // Over the target: the requests in order, to tell warm-up (new pool connections) from noise.
      if (quantile(sorted, 0.95) > 100) slow.push(`${name}: ${times.map((t) => t.toFixed(0)).join(" ")}`);
    }
    for (const line of slow) out(`p95 over 100 ms, request times in order (ms): ${line}`);
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

out(describeMachine());
if (values.check && !(await checkPostgresDataset(BASE, 20_000, out)))
  throw new Error("the generator differs from ingest");
try {
  if (!values["skip-generate"]) await generate();
  await measure();
  out(describeMachine().replace("at start", "at end"));
} finally {
  if (!values.keep) await admin(`DROP DATABASE IF EXISTS ${DATABASE}`);
}
