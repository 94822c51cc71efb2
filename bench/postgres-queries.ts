/**
 * Query latency on PostgreSQL: creates a scratch database, fills it with collector-generate.ts's
 * dataset (stored through ingest and derived by the pass; default 100k events, 1k users, ~10k
 * sessions over 30 days; `--events 10000000` for the full figure), `VACUUM ANALYZE`s it, then
 * measures p50/p95 of every query endpoint over HTTP with a bearer token against a collector
 * started on that database — the endpoints and parameters of collector-queries.ts, so the figures
 * sit beside the SQLite ones. The scratch database is dropped afterwards unless `--keep`.
 * Usage: tsx --conditions=@mcpsight/source postgres-queries.ts [--events 100000] [--runs 30]
 *   [--database-url postgres://…] (a database to connect to for CREATE/DROP DATABASE; default
 *   MCPSIGHT_TEST_DATABASE_URL) [--database mcpsight_bench_queries] [--keep] [--skip-generate]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openStorage, startServer } from "@mcpsight/server";
import pg from "pg";
import { datasetFor, generateDataset } from "./collector-generate.js";
import { describeMachine } from "./src/machine.js";
import { nearestRank, timeQueryEndpoints } from "./src/query-endpoints.js";

const { values } = parseArgs({
  options: {
    events: { type: "string" },
    runs: { type: "string" },
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

/** A client of `url`'s database (its `?schema=` ignored). */
async function connect(url: string): Promise<pg.Client> {
  const parsed = new URL(url);
  parsed.searchParams.delete("schema");
  const client = new pg.Client({ connectionString: parsed.toString() });
  await client.connect();
  return client;
}

async function admin(sql: string): Promise<void> {
  const client = await connect(BASE as string);
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function generate(): Promise<void> {
  await admin(`DROP DATABASE IF EXISTS ${DATABASE}`);
  await admin(`CREATE DATABASE ${DATABASE}`);
  const dataDir = mkdtempSync(join(tmpdir(), "mcpsight-bench-pgg-"));
  const storage = await openStorage({ dataDir, databaseUrl: scratchUrl });
  const dataset = datasetFor(EVENTS, PROJECT);
  let generated: Awaited<ReturnType<typeof generateDataset>>;
  try {
    await storage.createProject({ id: PROJECT, name: "Bench" });
    generated = await generateDataset(storage, dataset, out);
  } finally {
    await storage.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const client = await connect(scratchUrl);
  try {
    // Planner statistics now, not when autovacuum gets to the new tables.
    await client.query("VACUUM ANALYZE");
    const { rows } = await client.query<{ size: string }>(
      "SELECT pg_size_pretty(pg_database_size(current_database())) AS size",
    );
    out(
      `generated ${generated.events} events, ${dataset.users} users, ${dataset.sessions} sessions: stored in ${generated.storeSeconds.toFixed(0)} s, derived ${generated.deriveSeconds.toFixed(0)} s after (${rows[0]?.size})`,
    );
  } finally {
    await client.end();
  }
}

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
    const measured = await timeQueryEndpoints(server.url, PROJECT, "msk_bench", RUNS, out);
    // Over the target: the requests in order, to tell warm-up (new pool connections) from noise.
    const slow = measured
      .filter(
        ({ times }) =>
          nearestRank(
            [...times].sort((x, y) => x - y),
            0.95,
          ) > 100,
      )
      .map(({ name, times }) => `${name}: ${times.map((t) => t.toFixed(0)).join(" ")}`);
    for (const line of slow) out(`p95 over 100 ms, request times in order (ms): ${line}`);
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

out(describeMachine());
try {
  if (!values["skip-generate"]) await generate();
  await measure();
  out(describeMachine().replace("at start", "at end"));
} finally {
  if (!values.keep) await admin(`DROP DATABASE IF EXISTS ${DATABASE}`);
}
