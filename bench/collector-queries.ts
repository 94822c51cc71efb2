/**
 * Query latency: generates a dataset (collector-generate.ts: its events stored through ingest and
 * derived by the pass; default 100k events, 1k users, ~10k sessions over 30 days; `--events
 * 10000000` for the full figure), then measures p50/p95 of every query endpoint over HTTP with a
 * bearer token. Usage: tsx --conditions=@mcpsight/source collector-queries.ts [--events 100000]
 *   [--runs 30] [--data-dir <dir>] (keep the generated store; reuse it with --skip-generate)
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openStorage, startServer } from "@mcpsight/server";
import { datasetFor, generateDataset } from "./collector-generate.js";
import { describeMachine } from "./src/machine.js";
import { timeQueryEndpoints } from "./src/query-endpoints.js";

const { values } = parseArgs({
  options: {
    events: { type: "string" },
    runs: { type: "string" },
    "data-dir": { type: "string" },
    "skip-generate": { type: "boolean" },
  },
});
const EVENTS = Number(values.events ?? 100_000);
const RUNS = Number(values.runs ?? 30);
const PROJECT = "proj_bench";
const out = (line: string) => process.stdout.write(`${line}\n`);

async function generate(dir: string): Promise<void> {
  const storage = await openStorage({ dataDir: dir });
  try {
    await storage.createProject({ id: PROJECT, name: "Bench" });
    const dataset = datasetFor(EVENTS, PROJECT);
    const { events, storeSeconds, deriveSeconds } = await generateDataset(storage, dataset, out);
    out(
      `generated ${events} events, ${dataset.users} users, ${dataset.sessions} sessions: stored in ${storeSeconds.toFixed(0)} s, derived ${deriveSeconds.toFixed(0)} s after (${(statSync(join(dir, "mcpsight.db")).size / 1e9).toFixed(1)} GB)`,
    );
  } finally {
    await storage.close();
  }
}

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
  await timeQueryEndpoints(server.url, PROJECT, "msk_bench", RUNS, out);
  await server.close();
}

out(describeMachine());
const dir = values["data-dir"] ?? mkdtempSync(join(tmpdir(), "mcpsight-bench-q-"));
try {
  if (!values["skip-generate"]) await generate(dir);
  await measure(dir);
} finally {
  if (!values["data-dir"]) rmSync(dir, { recursive: true, force: true });
}
