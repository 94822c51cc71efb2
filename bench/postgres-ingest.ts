/**
 * PostgreSQL ingest throughput and derivation lag: events/s acknowledged through POST /v1/batch
 * (gzip, batches of 500 by default) with one and with two collector processes on one database,
 * and how far the one derivation pass lagged behind them (src/derivation-lag.ts), beside two raw
 * limits measured in the same run — the same gzipped batches decompressed, parsed and streamed
 * with COPY (psql, one client), no HTTP: "raw" into a simple events table with a primary key and
 * two indexes, and "raw (events table)" into a table with the columns and indexes of mcpsight's
 * `events` table, rows as its ingest stores them (the server's `postgresEventsTable`,
 * `EVENT_COLUMNS` and `eventValues`). Each measurement gets a fresh schema.
 * Each phase also reports CPU time per event by who spends it, read from /proc (Linux): the bench
 * process, the psql child (raw phases) or the collector processes, and the PostgreSQL server (every
 * process owned by the `postgres` user: backends and background processes; 0 when the server is
 * not local), their sum (accounted) and the whole machine's busy CPU (machine − accounted is what
 * other jobs used). From the medians it prints the CPU-bound ceiling: raw CPU ÷ collector CPU per
 * event, the throughput ratio to expect when both saturate the cores, against each raw limit.
 * Usage: tsx --conditions=@mcpsight/source postgres-ingest.ts [--events 100000] [--concurrency 4]
 *   [--batch 500] [--rounds 1] [--processes 1,2] [--cpu-prof <dir>] [--keep] [--database-url postgres://…]
 *   (default MCPSIGHT_TEST_DATABASE_URL). Each round runs raw, raw (events table), then the
 *   collector runs; with several rounds medians are reported (the machine's load drifts), with the
 *   median of each round's ratio to that round's raw rates beside the ratio of medians, for both
 *   raw limits. `--cpu-prof` profiles the collectors.
 *   `--keep` keeps the collector runs' schemas and prints their names (for EXPLAIN afterwards).
 *   `--paced <fraction>` (default 0.8; 0 skips it): after each collector run, the same number of
 *   collectors is sent the same events again on a fresh schema, paced at that fraction of the rate
 *   they just acknowledged flat out — a load they sustain rather than a saturating burst — and the
 *   derivation lag of that phase is reported beside the burst's.
 *   `--paced-rate <events/s>`: the paced phase at that rate instead, the same for every run (to
 *   compare two versions' lag and CPU at one load).
 */
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { gunzipSync, gzipSync } from "node:zlib";
import { type Event, LIMITS } from "@mcpsight/protocol";
import { EVENT_COLUMNS, eventValues, PASS_APPLICATION_NAME, postgresEventsTable } from "@mcpsight/server";
import pg from "pg";
import { rng, sessionEvents } from "./collector-data.js";
import { startServerProcess } from "./src/collector-process.js";
import { describeLag, LagProbe, type LagReport } from "./src/derivation-lag.js";
import { describeMachine } from "./src/machine.js";
import { CpuMeter, type CpuUsage, userId } from "./src/proc-cpu.js";

const { values } = parseArgs({
  options: {
    events: { type: "string" },
    concurrency: { type: "string" },
    batch: { type: "string" },
    rounds: { type: "string" },
    processes: { type: "string" },
    "cpu-prof": { type: "string" },
    keep: { type: "boolean" },
    paced: { type: "string" },
    "paced-rate": { type: "string" },
    "database-url": { type: "string" },
  },
});
const TOTAL = Number(values.events ?? 100_000);
const CONCURRENCY = Number(values.concurrency ?? 4);
const ROUNDS = Number(values.rounds ?? 1);
const PROCESSES = (values.processes ?? "1,2").split(",").map(Number);
const PROFILE = values["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${values["cpu-prof"]}`] : [];
const BASE_URL =
  values["database-url"] ?? process.env.MCPSIGHT_TEST_DATABASE_URL ?? process.env.MCPSIGHT_DATABASE_URL;
if (!BASE_URL) throw new Error("set --database-url or MCPSIGHT_TEST_DATABASE_URL");
const KEEP = values.keep ?? false;
const PACED = Number(values.paced ?? 0.8);
if (!(PACED >= 0 && PACED <= 1))
  throw new Error("--paced must be a fraction from 0 to 1 (0 skips the paced phase)");
const PACED_RATE = values["paced-rate"] === undefined ? null : Number(values["paced-rate"]);
if (PACED_RATE !== null && !(PACED_RATE > 0))
  throw new Error("--paced-rate must be a number of events per second above 0");
/** How the paced phase's rate is chosen, as printed. */
const PACING = PACED_RATE === null ? `${PACED} of the burst's rate` : "a set rate";
const BATCH = Number(values.batch ?? 500);
if (!Number.isInteger(BATCH) || BATCH < 1 || BATCH > LIMITS.batchEvents)
  throw new Error(
    `--batch must be a whole number from 1 to ${LIMITS.batchEvents} (the collector's limit per batch)`,
  );
const out = (line: string) => process.stdout.write(`${line}\n`);
const POSTGRES_UID = userId("postgres");

/**
 * Polls /proc every 100 ms during a phase (see src/proc-cpu.ts); the bench process's figure
 * includes this polling.
 */
const cpuMeter = () =>
  new CpuMeter(POSTGRES_UID === undefined ? undefined : { uid: POSTGRES_UID, group: "postgres" });

/** The meter's group of the backends serving the collectors' pass threads (part of postgres). */
const PASS_BACKENDS = "postgres pass";

/**
 * CPU µs per event of a phase: by process, in print order, with their sum and the machine's, and
 * (collector runs) how much of PostgreSQL's was the pass's backend.
 */
interface CpuPerEvent {
  parts: [label: string, us: number][];
  accounted: number;
  machine: number;
  passBackend?: number;
}
function cpuPerEvent(usage: CpuUsage, groups: [label: string, group: string][]): CpuPerEvent {
  const us = (seconds: number) => (seconds * 1e6) / TOTAL;
  const pass = usage.groups.get(PASS_BACKENDS);
  const parts = groups.map(([label, group]): [string, number] => [
    label,
    us(
      group === "bench"
        ? usage.bench
        : (usage.groups.get(group) ?? 0) + (group === "postgres" ? (pass ?? 0) : 0),
    ),
  ]);
  return {
    parts,
    accounted: parts.reduce((sum, [, value]) => sum + value, 0),
    machine: us(usage.machine),
    ...(pass === undefined ? {} : { passBackend: us(pass) }),
  };
}
const formatCpu = (cpu: CpuPerEvent) =>
  `${cpu.parts
    .map(
      ([label, us]) =>
        `${label} ${us.toFixed(1)} µs${label === "postgres" && cpu.passBackend !== undefined ? ` (the pass's backend ${cpu.passBackend.toFixed(1)} µs)` : ""}`,
    )
    .join(", ")} (accounted ${cpu.accounted.toFixed(1)} µs; machine ${cpu.machine.toFixed(1)} µs)`;

/**
 * The backends of the pass threads of `count` collectors just started (found by the pass
 * connection's `application_name`; each thread opens its connection soon after its collector
 * starts): waits up to 10 s for them, then takes what is there.
 */
async function passBackends(count: number): Promise<number[]> {
  const client = new pg.Client({ connectionString: BASE_URL });
  await client.connect();
  try {
    for (let tries = 0; ; tries++) {
      const { rows } = await client.query<{ pid: number }>(
        "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()",
        [PASS_APPLICATION_NAME],
      );
      if (rows.length >= count || tries === 100) return rows.map((row) => row.pid);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await client.end();
  }
}

function makeBatches(projectId: string): Buffer[] {
  const random = rng(42);
  const events: unknown[] = [];
  for (let s = 0; events.length < TOTAL; s++)
    events.push(
      ...sessionEvents({ projectId, users: TOTAL / 100, sessions: TOTAL / 10, days: 7 }, s, random),
    );
  events.length = TOTAL;
  const batches: Buffer[] = [];
  for (let i = 0; i < TOTAL; i += BATCH)
    batches.push(gzipSync(JSON.stringify({ events: events.slice(i, i + BATCH) })));
  return batches;
}

let schemas = 0;
const schemaUrl = (name: string) => {
  const url = new URL(BASE_URL as string);
  url.searchParams.set("schema", name);
  return url.toString();
};
async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: BASE_URL });
  await client.connect();
  await client.query(sql);
  await client.end();
}
async function freshSchema(): Promise<string> {
  const name = `bench_${process.pid}_${schemas++}`;
  await admin(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
  return name;
}

/** COPY text-format field. */
const field = (value: unknown): string =>
  value === null || value === undefined
    ? "\\N"
    : String(value).replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");

interface Phase {
  rate: number;
  cpu: CpuPerEvent;
}

/** A raw COPY target: its DDL (run with search_path set to a fresh schema) and its rows. */
interface RawTable {
  ddl: string;
  /** The COPY column list. */
  columns: string;
  /** A row maker per run (it may keep state across the run's events): the fields of one event. */
  rows(): (e: Event) => unknown[];
}

/** The simple table: the event's JSON in one column, a primary key and two indexes. */
const SIMPLE_TABLE: RawTable = {
  ddl: `CREATE TABLE events (id TEXT PRIMARY KEY, project_id TEXT, session_id TEXT, ts BIGINT, event_type TEXT,
      resource_name TEXT, user_id TEXT, body TEXT);
    CREATE INDEX ON events (session_id, ts); CREATE INDEX ON events (user_id, ts);`,
  columns: "id, project_id, session_id, ts, event_type, resource_name, user_id, body",
  rows: () => (e) => [
    e.id,
    e.projectId,
    e.sessionId,
    Date.parse(e.timestamp),
    e.eventType,
    e.resourceName,
    e.identifyActorGivenId,
    JSON.stringify(e),
  ],
};

/**
 * mcpsight's events table: its DDL and rows exactly as the collector's ingest appends them
 * (packages/server/src/storage/postgres/events/append.ts): the event's fields, nothing derived.
 */
const EVENTS_TABLE: RawTable = {
  ddl: postgresEventsTable(),
  columns: `project_pk, ${EVENT_COLUMNS.join(", ")}`,
  rows: () => {
    const receivedAt = Date.now();
    return (e) => [1, ...eventValues(e, receivedAt, (flag) => flag)];
  },
};

/** The timed part (psql's COPY) is metered: the bench process, psql and the PostgreSQL server. */
async function rawCopy(batches: Buffer[], table: RawTable): Promise<Phase> {
  const schema = await freshSchema();
  await admin(`CREATE SCHEMA ${schema}; SET search_path TO ${schema}; ${table.ddl}`);
  const meter = cpuMeter();
  meter.start();
  const start = performance.now();
  const row = table.rows();
  const psql = spawn(
    "psql",
    [
      BASE_URL as string,
      "-q",
      "-v",
      "ON_ERROR_STOP=1",
      "-c",
      `\\copy ${schema}.events (${table.columns.replace(/\s+/g, " ")}) FROM STDIN`,
    ],
    {
      stdio: ["pipe", "inherit", "inherit"],
    },
  );
  if (psql.pid !== undefined) meter.track("psql", psql.pid);
  const done = new Promise<number | null>((resolve) => psql.once("exit", resolve));
  for (const batch of batches) {
    const { events } = JSON.parse(gunzipSync(batch).toString("utf8")) as { events: Event[] };
    let chunk = "";
    for (const e of events) chunk += `${row(e).map(field).join("\t")}\n`;
    if (!psql.stdin.write(chunk)) await new Promise((resolve) => psql.stdin.once("drain", resolve));
  }
  psql.stdin.end();
  if ((await done) !== 0) throw new Error("psql COPY failed");
  const rate = TOTAL / ((performance.now() - start) / 1000);
  const usage = meter.stop();
  await admin(`DROP SCHEMA ${schema} CASCADE`);
  return {
    rate,
    cpu: cpuPerEvent(usage, [
      ["bench", "bench"],
      ["psql", "psql"],
      ["postgres", "postgres"],
    ]),
  };
}

interface Collector {
  url: string;
  pid: number;
  close(): Promise<void>;
}
async function startCollector(url: string): Promise<Collector> {
  const server = await startServerProcess<{ url: string }>("postgres-server.ts", [url], {
    nodeArgs: PROFILE,
  });
  return { url: server.ready.url, pid: server.pid as number, close: server.close };
}

/**
 * Sends every batch, CONCURRENCY in flight per collector, alternating between collectors: as fast
 * as they are acknowledged, or with `eventsPerSecond` each batch no earlier than its turn at
 * that rate.
 */
async function send(collectors: Collector[], batches: Buffer[], eventsPerSecond?: number): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    collectors.flatMap((collector) =>
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < batches.length) {
          const index = next++;
          const body = batches[index];
          if (eventsPerSecond !== undefined) {
            const wait = start + ((index * BATCH) / eventsPerSecond) * 1000 - performance.now();
            if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          }
          const res = await fetch(`${collector.url}/v1/batch`, {
            method: "POST",
            headers: { "content-type": "application/json", "content-encoding": "gzip" },
            body,
          });
          if (res.status !== 200) throw new Error(`batch failed: ${res.status} ${await res.text()}`);
        }
      }),
    ),
  );
  return TOTAL / ((performance.now() - start) / 1000);
}

/**
 * The sending is metered (not the collectors' start-up): the collector processes, the PostgreSQL
 * server and the bench process, which sends the requests.
 */
async function collectorRun(
  processes: number,
  batches: Buffer[],
  eventsPerSecond?: number,
): Promise<Phase & { schema: string; lag: LagReport }> {
  const schema = await freshSchema();
  const first = await startCollector(schemaUrl(schema)); // initialises the schema
  const collectors = [first];
  for (let i = 1; i < processes; i++) collectors.push(await startCollector(schemaUrl(schema)));
  const meter = cpuMeter();
  for (const collector of collectors) meter.track("collector", collector.pid);
  if (POSTGRES_UID !== undefined)
    for (const pid of await passBackends(collectors.length)) meter.track(PASS_BACKENDS, pid);
  meter.start();
  let rate: number;
  let lag: LagReport;
  const probe = new LagProbe(collectors.map((c) => c.url));
  probe.start();
  try {
    rate = await send(collectors, batches, eventsPerSecond);
    // One pass (in whichever collector holds the lock) derives what every collector stored.
    lag = await probe.drain();
  } finally {
    // A failed batch ends the run; the collectors must not outlive it (they keep the bench alive).
    await Promise.all(collectors.map((c) => c.close()));
  }
  const usage = meter.stop();
  if (!KEEP) await admin(`DROP SCHEMA ${schema} CASCADE`);
  return {
    rate,
    schema,
    lag,
    cpu: cpuPerEvent(usage, [
      ["collector node", "collector"],
      ["postgres", "postgres"],
      ["bench", "bench"],
    ]),
  };
}

out(describeMachine());
if (POSTGRES_UID === undefined)
  out("no local `postgres` user: the PostgreSQL server's CPU is not measured (it is in machine)");
const batches = makeBatches("proj_bench");
out(
  `events: ${TOTAL}, batches of ${BATCH}, ${CONCURRENCY} requests in flight per collector, ${ROUNDS} round(s)`,
);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const rates = new Map<string, number[]>();
const cpus = new Map<string, CpuPerEvent[]>();
const record = (name: string, { rate, cpu }: Phase) => {
  rates.set(name, [...(rates.get(name) ?? []), rate]);
  cpus.set(name, [...(cpus.get(name) ?? []), cpu]);
  out(`  ${name}: ${Math.round(rate)} events/s`);
  out(`    CPU per event: ${formatCpu(cpu)}`);
};
const kept: string[] = [];
// Each round's collector rates over that round's raw rates: the load drifts less within a round.
const roundRatios = new Map<number, number[]>();
const roundEventsTableRatios = new Map<number, number[]>();
const lags = new Map<number, LagReport[]>();
/** Per process count: each round's paced phase, its target rate and lag. */
const paced = new Map<number, { target: number; rate: number; lag: LagReport }[]>();
for (let round = 1; round <= ROUNDS; round++) {
  out(`round ${round}`);
  const raw = await rawCopy(batches, SIMPLE_TABLE);
  record("raw", raw);
  const rawEvents = await rawCopy(batches, EVENTS_TABLE);
  record("raw (events table)", rawEvents);
  for (const n of PROCESSES) {
    const run = await collectorRun(n, batches);
    record(`${n}p`, run);
    roundRatios.set(n, [...(roundRatios.get(n) ?? []), run.rate / raw.rate]);
    roundEventsTableRatios.set(n, [...(roundEventsTableRatios.get(n) ?? []), run.rate / rawEvents.rate]);
    out(`    ratio to this round's raw: ${(run.rate / raw.rate).toFixed(2)}`);
    out(`    ratio to this round's raw into the events table: ${(run.rate / rawEvents.rate).toFixed(2)}`);
    out(`    ${describeLag(run.lag)}`);
    lags.set(n, [...(lags.get(n) ?? []), run.lag]);
    if (KEEP) {
      kept.push(run.schema);
      out(`    schema kept: ${run.schema}`);
    }
    if (PACED > 0 || PACED_RATE !== null) {
      const target = PACED_RATE ?? run.rate * PACED;
      const steady = await collectorRun(n, batches, target);
      out(
        `  ${n}p paced at ${Math.round(target)} events/s (${PACING}): ${Math.round(steady.rate)} events/s acknowledged`,
      );
      out(`    CPU per event: ${formatCpu(steady.cpu)}`);
      out(`    ${describeLag(steady.lag)}`);
      paced.set(n, [...(paced.get(n) ?? []), { target, rate: steady.rate, lag: steady.lag }]);
      if (KEEP) kept.push(steady.schema);
    }
  }
}
/** Medians across rounds, part by part. */
const medianCpu = (name: string): CpuPerEvent => {
  const runs = cpus.get(name) ?? [];
  return {
    parts: (runs[0]?.parts ?? []).map(([label], i): [string, number] => [
      label,
      median(runs.map((cpu) => cpu.parts[i]?.[1] ?? 0)),
    ]),
    accounted: median(runs.map((cpu) => cpu.accounted)),
    machine: median(runs.map((cpu) => cpu.machine)),
    ...(runs[0]?.passBackend === undefined
      ? {}
      : { passBackend: median(runs.map((cpu) => cpu.passBackend ?? 0)) }),
  };
};
const raw = median(rates.get("raw") ?? []);
const rawCpu = medianCpu("raw");
out(
  `raw limit (gunzip + parse + COPY from one client, 1 table, PK + 2 indexes): ${Math.round(raw)} events/s`,
);
out(`  CPU per event (medians): ${formatCpu(rawCpu)}`);
const rawEvents = median(rates.get("raw (events table)") ?? []);
const rawEventsCpu = medianCpu("raw (events table)");
out(
  `raw into the events table (gunzip + parse + COPY from one client, mcpsight's events table: PK + UNIQUE + 3 indexes): ${Math.round(rawEvents)} events/s`,
);
out(`  CPU per event (medians): ${formatCpu(rawEventsCpu)}`);
for (const n of PROCESSES) {
  const rate = median(rates.get(`${n}p`) ?? []);
  out(
    `${n} collector process${n > 1 ? "es" : ""}: ${Math.round(rate)} events/s (ratio ${(rate / raw).toFixed(2)}; median of per-round ratios ${median(roundRatios.get(n) ?? []).toFixed(2)}; target >= 0.5)`,
  );
  out(
    `  ratio to raw into the events table: ${(rate / rawEvents).toFixed(2)} (median of per-round ratios ${median(roundEventsTableRatios.get(n) ?? []).toFixed(2)})`,
  );
  out(`  CPU per event (medians): ${formatCpu(medianCpu(`${n}p`))}`);
  const runLags = lags.get(n) ?? [];
  out(
    `  derivation lag p99 under the burst (median of rounds): ${median(runLags.map((l) => l.recent?.p99Ms ?? 0))} ms (target <= 2000); catch-up after the last acknowledgement ${median(runLags.map((l) => l.catchUpMs)).toFixed(0)} ms`,
  );
  const steady = paced.get(n) ?? [];
  if (steady.length > 0)
    out(
      `  derivation lag p99 paced at ${PACING} (${Math.round(median(steady.map((p) => p.target)))} events/s; median of rounds): ${median(steady.map((p) => p.lag.recent?.p99Ms ?? 0))} ms (target <= 2000); at most ${median(steady.map((p) => p.lag.maxPending))} pending; catch-up after the last acknowledgement ${median(steady.map((p) => p.lag.catchUpMs)).toFixed(0)} ms`,
    );
}
for (const n of PROCESSES) {
  const cpu = medianCpu(`${n}p`);
  const bench = cpu.parts.find(([label]) => label === "bench")?.[1] ?? 0;
  out(
    `CPU-bound ceiling, ${n} process${n > 1 ? "es" : ""}: raw CPU ÷ collector CPU per event = ${(rawCpu.accounted / cpu.accounted).toFixed(2)} (the throughput ratio to expect when both saturate the cores; ${(rawCpu.accounted / (cpu.accounted - bench)).toFixed(2)} without the bench's HTTP client)`,
  );
  out(
    `  against raw into the events table: ${(rawEventsCpu.accounted / cpu.accounted).toFixed(2)} (${(rawEventsCpu.accounted / (cpu.accounted - bench)).toFixed(2)} without the bench's HTTP client)`,
  );
}
if (kept.length > 0)
  out(
    `kept schemas (set search_path to one to EXPLAIN; DROP SCHEMA … CASCADE when done): ${kept.join(", ")}`,
  );
