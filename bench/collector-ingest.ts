/**
 * Ingest throughput: events/s through POST /v1/batch (gzip, batches of 500) against the raw
 * limit measured in the same run — the same gzipped batches decompressed, parsed and inserted
 * with better-sqlite3 into one events table (primary key + two indexes), no HTTP, no derived
 * tables. Usage: tsx --conditions=source collector-ingest.ts [--events 200000]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { gunzipSync, gzipSync } from "node:zlib";
import Database from "better-sqlite3";
import { startServer } from "../packages/server/src/server.js";
import { rng, sessionEvents } from "./collector-data.js";

const { values } = parseArgs({ options: { events: { type: "string" }, concurrency: { type: "string" } } });
const TOTAL = Number(values.events ?? 200_000);
const CONCURRENCY = Number(values.concurrency ?? 4);
const BATCH = 500;
const out = (line: string) => process.stdout.write(`${line}\n`);

function makeBatches(projectId: string): Buffer[] {
  const random = rng(42);
  const events: unknown[] = [];
  for (let s = 0; events.length < TOTAL; s++)
    events.push(
      ...sessionEvents({ projectId, users: TOTAL / 100, sessions: TOTAL / 10, days: 7 }, s, random),
    );
  events.length = TOTAL;
  const bytes = Buffer.byteLength(JSON.stringify(events)) / TOTAL;
  out(`events: ${TOTAL}, average ${bytes.toFixed(0)} bytes of JSON each, batches of ${BATCH}`);
  const batches: Buffer[] = [];
  for (let i = 0; i < TOTAL; i += BATCH)
    batches.push(gzipSync(JSON.stringify({ events: events.slice(i, i + BATCH) })));
  return batches;
}

function rawInsert(dir: string, batches: Buffer[]): number {
  const db = new Database(join(dir, "raw.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec(`CREATE TABLE events (id TEXT PRIMARY KEY, project_id TEXT, session_id TEXT, ts INTEGER, event_type TEXT,
    resource_name TEXT, user_id TEXT, body TEXT);
    CREATE INDEX events_session ON events (session_id, ts); CREATE INDEX events_user ON events (user_id, ts);`);
  const insert = db.prepare("INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  type RawEvent = Record<string, string | undefined> & { timestamp: string };
  const write = db.transaction((events: RawEvent[]) => {
    for (const e of events)
      insert.run(
        e.id,
        e.projectId,
        e.sessionId,
        Date.parse(e.timestamp),
        e.eventType,
        e.resourceName ?? null,
        e.identifyActorGivenId ?? null,
        JSON.stringify(e),
      );
  });
  const start = performance.now();
  for (const batch of batches)
    write((JSON.parse(gunzipSync(batch).toString("utf8")) as { events: RawEvent[] }).events);
  const seconds = (performance.now() - start) / 1000;
  db.close();
  return TOTAL / seconds;
}

async function collectorInsert(dir: string): Promise<{ rate: number; batches: Buffer[] }> {
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
  const [project] = await server.storage.listProjects();
  const batches = makeBatches(project?.id ?? "");
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < batches.length) {
        const body = batches[next++];
        const res = await fetch(`${server.url}/v1/batch`, {
          method: "POST",
          headers: { "content-type": "application/json", "content-encoding": "gzip" },
          body,
        });
        if (res.status !== 200) throw new Error(`batch failed: ${res.status} ${await res.text()}`);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  await server.close();
  return { rate: TOTAL / seconds, batches };
}

const dir = mkdtempSync(join(tmpdir(), "mcpsight-bench-"));
try {
  const collector = await collectorInsert(join(dir, "collector"));
  const raw = rawInsert(dir, collector.batches);
  out(`raw limit (gunzip + parse + insert, 1 table, PK + 2 indexes): ${Math.round(raw)} events/s`);
  out(
    `collector POST /v1/batch (gzip, ${CONCURRENCY} concurrent):     ${Math.round(collector.rate)} events/s`,
  );
  out(`ratio: ${(collector.rate / raw).toFixed(2)} (target >= 0.5)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
