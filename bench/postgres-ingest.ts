/**
 * PostgreSQL ingest throughput: events/s through POST /v1/batch (gzip, batches of 500) with one
 * and with two collector processes on one database, beside the raw limit measured in the same
 * run — the same gzipped batches decompressed, parsed and streamed with COPY (psql, one client)
 * into one events table with a primary key and two indexes, no HTTP, no derived tables.
 * Each measurement gets a fresh schema.
 * Usage: tsx --conditions=@mcpsight/source postgres-ingest.ts [--events 100000] [--concurrency 4]
 *   [--rounds 1] [--processes 1,2] [--cpu-prof <dir>] [--database-url postgres://…]
 *   (default MCPSIGHT_TEST_DATABASE_URL). With several rounds, raw and collector runs alternate and
 *   medians are reported (the machine's load drifts), with the median of each round's ratio to
 *   that round's raw rate beside the ratio of medians. `--cpu-prof` profiles the collectors.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { gunzipSync, gzipSync } from "node:zlib";
import pg from "pg";
import { rng, sessionEvents } from "./collector-data.js";
import { describeMachine } from "./src/machine.js";

const { values } = parseArgs({
  options: {
    events: { type: "string" },
    concurrency: { type: "string" },
    rounds: { type: "string" },
    processes: { type: "string" },
    "cpu-prof": { type: "string" },
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

async function rawCopy(batches: Buffer[]): Promise<number> {
  const schema = await freshSchema();
  await admin(`CREATE SCHEMA ${schema};
    CREATE TABLE ${schema}.events (id TEXT PRIMARY KEY, project_id TEXT, session_id TEXT, ts BIGINT, event_type TEXT,
      resource_name TEXT, user_id TEXT, body TEXT);
    CREATE INDEX ON ${schema}.events (session_id, ts); CREATE INDEX ON ${schema}.events (user_id, ts);`);
  const start = performance.now();
  const psql = spawn(
    "psql",
    [BASE_URL as string, "-q", "-v", "ON_ERROR_STOP=1", "-c", `\\copy ${schema}.events FROM STDIN`],
    {
      stdio: ["pipe", "inherit", "inherit"],
    },
  );
  const done = new Promise<number | null>((resolve) => psql.once("exit", resolve));
  for (const batch of batches) {
    const { events } = JSON.parse(gunzipSync(batch).toString("utf8")) as {
      events: Record<string, unknown>[];
    };
    let chunk = "";
    for (const e of events)
      chunk += `${[e.id, e.projectId, e.sessionId, Date.parse(e.timestamp as string), e.eventType, e.resourceName, e.identifyActorGivenId, JSON.stringify(e)].map(field).join("\t")}\n`;
    if (!psql.stdin.write(chunk)) await new Promise((resolve) => psql.stdin.once("drain", resolve));
  }
  psql.stdin.end();
  if ((await done) !== 0) throw new Error("psql COPY failed");
  const rate = TOTAL / ((performance.now() - start) / 1000);
  await admin(`DROP SCHEMA ${schema} CASCADE`);
  return rate;
}

interface Collector {
  url: string;
  close(): Promise<void>;
}
async function startCollector(url: string): Promise<Collector> {
  const child = spawn(
    process.execPath,
    [
      ...PROFILE,
      "--conditions=@mcpsight/source",
      "--import",
      "tsx",
      join(import.meta.dirname, "postgres-server.ts"),
      url,
    ],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const line = await new Promise<string>((resolve, reject) => {
    let text = "";
    child.stdout.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
      if (text.includes("\n")) resolve(text.split("\n")[0] ?? "");
    });
    child.once("exit", (code) => reject(new Error(`collector exited with ${code}`)));
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  return {
    url: (JSON.parse(line) as { url: string }).url,
    close: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Sends every batch, CONCURRENCY in flight per collector, alternating between collectors. */
async function send(collectors: Collector[], batches: Buffer[]): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    collectors.flatMap((collector) =>
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < batches.length) {
          const body = batches[next++];
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

async function collectorRun(processes: number, batches: Buffer[]): Promise<number> {
  const schema = await freshSchema();
  const first = await startCollector(schemaUrl(schema)); // initialises the schema
  const collectors = [first];
  for (let i = 1; i < processes; i++) collectors.push(await startCollector(schemaUrl(schema)));
  const rate = await send(collectors, batches);
  await Promise.all(collectors.map((c) => c.close()));
  await admin(`DROP SCHEMA ${schema} CASCADE`);
  return rate;
}

out(describeMachine());
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
const record = (name: string, rate: number) => {
  rates.set(name, [...(rates.get(name) ?? []), rate]);
  out(`  ${name}: ${Math.round(rate)} events/s`);
};
// Each round's collector rates over that round's raw rate: the load drifts less within a round.
const roundRatios = new Map<number, number[]>();
for (let round = 1; round <= ROUNDS; round++) {
  out(`round ${round}`);
  const raw = await rawCopy(batches);
  record("raw", raw);
  for (const n of PROCESSES) {
    const rate = await collectorRun(n, batches);
    record(`${n}p`, rate);
    roundRatios.set(n, [...(roundRatios.get(n) ?? []), rate / raw]);
    out(`    ratio to this round's raw: ${(rate / raw).toFixed(2)}`);
  }
}
const raw = median(rates.get("raw") ?? []);
out(
  `raw limit (gunzip + parse + COPY from one client, 1 table, PK + 2 indexes): ${Math.round(raw)} events/s`,
);
for (const n of PROCESSES) {
  const rate = median(rates.get(`${n}p`) ?? []);
  out(
    `${n} collector process${n > 1 ? "es" : ""}: ${Math.round(rate)} events/s (ratio ${(rate / raw).toFixed(2)}; median of per-round ratios ${median(roundRatios.get(n) ?? []).toFixed(2)}; target >= 0.5)`,
  );
}
