/**
 * One side of the PostgreSQL pass benchmark (postgres-pass.ts), run in a process of its own with
 * the collector's source from `root` (a checkout of the repository), so that two versions of the
 * pass are measured one after the other on the same machine. Prints one JSON line.
 *   setup <root> <url> <events>: a fresh schema with `events` events stored, nothing derived.
 *   pass <root> <url> <warm> [chunk]: migrates, empties the derived tables, derives the first `warm` events
 *     (unmeasured; then ANALYZE) and prints `{"ready":true}`; then derives one chunk per `chunk`
 *     line on stdin (printing `{"derived":n}`), and at any other line or the end of stdin prints
 *     the totals of those chunks: the process's CPU time (process.cpuUsage: the pass and its
 *     garbage collection, also between chunks) and the CPU time of the PostgreSQL backend serving
 *     the pass (/proc/<pid>/stat), per derived event. With PASS_CPU_PROFILE set, that part is
 *     profiled into that file (.cpuprofile).
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { type Event, validateBatch } from "@mcpsight/protocol";
import type pg from "pg";
import { rng, sessionEvents } from "../collector-data.js";
import { CLK_TCK, procTimes } from "./proc-cpu.js";

const [mode, root, url, count, chunk] = process.argv.slice(2) as [string, string, string, string, string?];
const server = (path: string) => import(pathToFileURL(`${root}/packages/server/src/${path}`).href);

interface Db {
  parsePostgresUrl(url: string): { connectionString: string; schema: string };
  createPool(url: { connectionString: string; schema: string }, max?: number): pg.Pool;
}
interface Pass {
  postgresChunk(client: pg.PoolClient, schema: string, limit: number): Promise<{ derived: number }>;
}

const BATCH = 500;
/** Events per chunk: what the pass takes when it is behind (MAX_CHUNK in derive/runner.ts). */
const CHUNK = Number(chunk ?? 5_000);

async function setup(events: number): Promise<void> {
  const { openStorage } = await server("storage/index.ts");
  const { parsePostgresUrl, createPool } = (await server("storage/postgres/db.ts")) as Db;
  const parsed = parsePostgresUrl(url);
  const admin = createPool(parsed, 1);
  await admin.query(`DROP SCHEMA IF EXISTS ${parsed.schema} CASCADE`);
  await admin.end();
  const storage = await openStorage({ dataDir: "/nonexistent", databaseUrl: url, derive: false });
  const projectId = "proj_bench";
  await storage.createProject({ id: projectId, name: "Bench" });
  const random = rng(42);
  const all: unknown[] = [];
  for (let s = 0; all.length < events; s++)
    all.push(...sessionEvents({ projectId, users: events / 100, sessions: events / 10, days: 7 }, s, random));
  all.length = events;
  for (let i = 0; i < events; i += BATCH) {
    const result = validateBatch({ events: all.slice(i, i + BATCH) });
    if (!result.ok || result.value.rejected.length > 0)
      throw new Error("the generated events do not validate");
    await storage.ingestEvents(result.value.events.map((item: { event: Event }) => item.event));
  }
  await storage.close();
  process.stdout.write(`${JSON.stringify({ stored: events })}\n`);
}

async function pass(warm: number): Promise<void> {
  const { parsePostgresUrl, createPool } = (await server("storage/postgres/db.ts")) as Db;
  const { migrate, resetDerived } = await server("storage/postgres/schema.ts");
  const { postgresChunk } = (await server("storage/postgres/derive/transaction.ts")) as Pass;
  const parsed = parsePostgresUrl(url);
  const pool = createPool(parsed, 1);
  await migrate(pool, parsed.schema); // a schema kept from an earlier run (postgres-pass.ts --reuse)
  const client = await pool.connect();
  const backend = (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]
    ?.pid as number;
  await client.query("BEGIN");
  await resetDerived(client);
  await client.query("COMMIT");
  let warmed = 0;
  while (warmed < warm) {
    const { derived } = await postgresChunk(client, parsed.schema, Math.min(5_000, warm - warmed));
    if (derived === 0) break;
    warmed += derived;
  }
  const { rows } = await client.query<{ name: string }>(
    "SELECT tablename AS name FROM pg_tables WHERE schemaname = $1",
    [parsed.schema],
  );
  for (const { name } of rows) await client.query(`ANALYZE ${parsed.schema}.${name}`);
  await client.query("CHECKPOINT").catch(() => {}); // needs privileges; the run works without
  const profiler = process.env.PASS_CPU_PROFILE ? new Session() : null;
  if (profiler) {
    profiler.connect();
    await profiler.post("Profiler.enable");
  }
  // Stepped by the driver: one chunk per `chunk` line, so that two versions take turns.
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const reply = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
  reply({ ready: true, backend });
  // The longest the pass held the event loop (a collector's requests wait that long meanwhile).
  const loop = monitorEventLoopDelay({ resolution: 10 });
  let pgStart: ReturnType<typeof procTimes>;
  let start: NodeJS.CpuUsage | undefined;
  let derived = 0;
  let chunks = 0;
  for (let line = await lines.next(); !line.done && line.value === "chunk"; line = await lines.next()) {
    if (!start) {
      await profiler?.post("Profiler.start");
      pgStart = procTimes(backend);
      start = process.cpuUsage();
      loop.enable();
    }
    const result = await postgresChunk(client, parsed.schema, CHUNK);
    derived += result.derived;
    if (result.derived > 0) chunks++;
    reply({ derived: result.derived });
  }
  const node = process.cpuUsage(start);
  const pgEnd = procTimes(backend);
  loop.disable();
  if (profiler) {
    const { profile } = await profiler.post("Profiler.stop");
    writeFileSync(process.env.PASS_CPU_PROFILE as string, JSON.stringify(profile));
  }
  client.release();
  await pool.end();
  const pgSeconds = pgStart && pgEnd ? (pgEnd.ticks - pgStart.ticks) / CLK_TCK : Number.NaN;
  reply({
    derived,
    chunks,
    nodeUs: (node.user + node.system) / derived,
    pgUs: (pgSeconds * 1e6) / derived,
    blockMs: loop.max / 1e6,
  });
  process.stdin.destroy();
}

if (mode === "setup") await setup(Number(count));
else if (mode === "pass") await pass(Number(count));
else throw new Error(`unknown mode ${mode}`);
