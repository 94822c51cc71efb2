/**
 * Ingest throughput and derivation lag on SQLite: events/s acknowledged through POST /v1/batch
 * (gzip, batches of 500) against the raw limit measured in the same run — the same gzipped
 * batches decompressed, parsed and inserted with better-sqlite3 into one events table (primary key
 * + two indexes), no HTTP, nothing derived — and, for the collector, how far its derivation pass
 * lagged behind (src/derivation-lag.ts: lag percentiles acknowledged → derived, the catch-up after
 * the last acknowledgement). The collector runs in its own process (collector-server.ts;
 * `--in-process` shares this one with the client); raw and collector alternate for `--rounds`
 * rounds on fresh databases and the medians are reported, so drift in the machine's load hits both
 * alike. `--rate <events/s>` paces the sending (the lag at a sustained rate below the maximum).
 * Usage: tsx --conditions=@mcpsight/source collector-ingest.ts [--events 200000] [--rounds 3]
 *   [--rate 20000] [--in-process] [--profile <dir>] (CPU profiles of the collector processes)
 *   [--compare-inline] (also a collector writing on its main thread, MCPSIGHT_SQLITE_WRITER=inline)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { gunzipSync, gzipSync } from "node:zlib";
import { startServer } from "@mcpsight/server";
import Database from "better-sqlite3";
import { rng, sessionEvents } from "./collector-data.js";
import { startCollectorProcess } from "./src/collector-process.js";
import { describeLag, LagProbe, type LagReport } from "./src/derivation-lag.js";
import { describeMachine } from "./src/machine.js";
import { CLK_TCK, procTimes } from "./src/proc-cpu.js";

const { values } = parseArgs({
  options: {
    events: { type: "string" },
    concurrency: { type: "string" },
    rounds: { type: "string" },
    "in-process": { type: "boolean" },
    /** Write a CPU profile of each collector process into this directory. */
    profile: { type: "string" },
    "compare-inline": { type: "boolean" },
    rate: { type: "string" },
  },
});
const RATE = values.rate === undefined ? null : Number(values.rate);
const TOTAL = Number(values.events ?? 200_000);
const ROUNDS = Number(values.rounds ?? 3);
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

function rawInsert(path: string, batches: Buffer[]): number {
  const db = new Database(path);
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
  const cpu = process.cpuUsage();
  for (const batch of batches)
    write((JSON.parse(gunzipSync(batch).toString("utf8")) as { events: RawEvent[] }).events);
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  cpuPerEvent.raw.push((used.user + used.system) / TOTAL);
  db.close();
  return TOTAL / seconds;
}

interface Collector {
  url: string;
  projectId: string;
  /** The collector's process when it runs in its own (for its CPU time). */
  pid?: number | undefined;
  close(): Promise<void>;
}

/** CPU time (user + system, all threads) a process has used so far, in µs, from /proc (Linux); null elsewhere. */
function processCpuMicros(pid: number): number | null {
  const times = procTimes(pid);
  return times === undefined ? null : (times.ticks / CLK_TCK) * 1e6;
}

async function startCollector(dir: string, inline = false): Promise<Collector> {
  if (values["in-process"]) {
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
    const projectId = "proj_bench";
    if (!(await server.storage.getProject(projectId)))
      await server.storage.createProject({ id: projectId, name: "Bench" });
    return { url: server.url, projectId, close: () => server.close() };
  }
  return startCollectorProcess(dir, {
    nodeArgs: values.profile ? ["--cpu-prof", `--cpu-prof-dir=${values.profile}`] : [],
    env: { ...process.env, ...(inline ? { MCPSIGHT_SQLITE_WRITER: "inline" } : {}) },
  });
}

/** CPU µs per event of the last measured run, per side (null when not measurable). */
const cpuPerEvent = { raw: [] as number[], collector: [] as (number | null)[] };

/** Lag of each measured collector run, in order. */
const lags: LagReport[] = [];

async function collectorInsert(collector: Collector, batches: Buffer[]): Promise<number> {
  let next = 0;
  const cpuBefore = collector.pid === undefined ? null : processCpuMicros(collector.pid);
  const probe = new LagProbe([collector.url]);
  probe.start();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < batches.length) {
        const index = next++;
        const body = batches[index];
        // Paced: batch i leaves no earlier than its place in a steady stream at RATE events/s.
        if (RATE !== null) {
          const due = start + (index * BATCH * 1000) / RATE;
          if (due > performance.now())
            await new Promise((resolve) => setTimeout(resolve, due - performance.now()));
        }
        const res = await fetch(`${collector.url}/v1/batch`, {
          method: "POST",
          headers: { "content-type": "application/json", "content-encoding": "gzip" },
          body,
        });
        if (res.status !== 200) throw new Error(`batch failed: ${res.status} ${await res.text()}`);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  lags.push(await probe.drain());
  const cpuAfter = collector.pid === undefined ? null : processCpuMicros(collector.pid);
  cpuPerEvent.collector.push(cpuBefore === null || cpuAfter === null ? null : (cpuAfter - cpuBefore) / TOTAL);
  return TOTAL / seconds;
}

const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? 0;

out(describeMachine());
const dir = mkdtempSync(join(tmpdir(), "mcpsight-bench-"));
try {
  const raws: number[] = [];
  const collectors: number[] = [];
  const inlines: number[] = [];
  let batches: Buffer[] | null = null;
  for (let round = 0; round < ROUNDS; round++) {
    const collector = await startCollector(join(dir, `collector-${round}`));
    batches ??= makeBatches(collector.projectId);
    collectors.push(await collectorInsert(collector, batches));
    const lag = lags.at(-1) as LagReport;
    await collector.close();
    raws.push(rawInsert(join(dir, `raw-${round}.db`), batches));
    if (values["compare-inline"] && !values["in-process"]) {
      const inline = await startCollector(join(dir, `inline-${round}`), true);
      inlines.push(await collectorInsert(inline, batches));
      await inline.close();
    }
    const inline =
      inlines[round] === undefined ? "" : `, inline writer ${Math.round(inlines[round] ?? 0)} events/s`;
    out(
      `round ${round + 1}: raw ${Math.round(raws[round] ?? 0)} events/s, collector ${Math.round(collectors[round] ?? 0)} events/s${inline}`,
    );
    out(`  ${describeLag(lag)}`);
  }
  const raw = median(raws);
  const collector = median(collectors);
  out(`raw limit (gunzip + parse + insert, 1 table, PK + 2 indexes): ${Math.round(raw)} events/s (median)`);
  out(
    `collector POST /v1/batch (gzip, ${CONCURRENCY} concurrent${values["in-process"] ? ", same process" : ""}): ${Math.round(collector)} events/s (median)`,
  );
  out(
    `ratio: ${(collector / raw).toFixed(2)} (target >= 0.7); per round: ${collectors.map((c, i) => (c / (raws[i] ?? 1)).toFixed(2)).join(", ")}${RATE === null ? "" : ` (paced at ${RATE} events/s: the rate, not a limit)`}`,
  );
  const threadedLags = lags.filter(
    (_, i) => !values["compare-inline"] || values["in-process"] || i % 2 === 0,
  );
  out(
    `derivation lag p99 (median of rounds): ${median(threadedLags.map((l) => l.recent?.p99Ms ?? 0))} ms (target <= 1000); catch-up after the last acknowledgement ${median(threadedLags.map((l) => l.catchUpMs)).toFixed(0)} ms`,
  );
  const collectorCpu = cpuPerEvent.collector.filter((c): c is number => c !== null);
  if (collectorCpu.length > 0) {
    const rawCpu = median(cpuPerEvent.raw);
    // Only the collectors with the writer thread: the inline runs are pushed after them per round.
    const threaded = collectorCpu.filter((_, i) => !values["compare-inline"] || i % 2 === 0);
    out(
      `CPU per event (all threads): raw ${rawCpu.toFixed(1)} µs, collector ${median(threaded).toFixed(1)} µs (medians); raw ÷ collector ${(rawCpu / median(threaded)).toFixed(2)} — the throughput ratio to expect when the cores are oversubscribed`,
    );
  }
  if (inlines.length > 0)
    out(
      `inline writer (one thread): ${Math.round(median(inlines))} events/s (median), ratio ${(median(inlines) / raw).toFixed(2)}; per round: ${inlines.map((c, i) => (c / (raws[i] ?? 1)).toFixed(2)).join(", ")}`,
    );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
