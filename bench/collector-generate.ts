/**
 * Fast dataset generator for the query benchmark: fills a fresh SQLite store with set-based SQL
 * (one `INSERT … SELECT` per table) instead of going through ingest, producing exactly the rows
 * ingest would have produced for the same events — raw events, sessions, users, session tools and
 * every rollup. The events are defined by integer formulas that SQL and JavaScript compute alike;
 * `--check` ingests the same events through the storage layer at a small size and compares every
 * table row by row.
 * Usage: tsx --conditions=@mcpsight/source collector-generate.ts --check [--events 20000]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type Event, validateBatch } from "@mcpsight/protocol";
import Database from "better-sqlite3";
import { bucketOf } from "../packages/server/src/storage/histogram.js";
import type { Storage } from "../packages/server/src/storage/index.js";
import {
  emptyRegisters,
  encodeSketch,
  mergeEncoded,
  registerOf,
} from "../packages/server/src/storage/shared/hll.js";
import { openSqliteStorage } from "../packages/server/src/storage/sqlite/index.js";
import { CLIENTS, INTENT, STEP_MS, sourceFields } from "./collector-data.js";

export interface Dataset {
  projectId: string;
  /** Sessions; ~10 events each (5–15), so events ≈ 10 × sessions. */
  sessions: number;
  users: number;
  days: number;
  /** Events end before this time (epoch ms, whole hour). */
  end: number;
}

export const datasetFor = (events: number, projectId: string, end = Date.now()): Dataset => ({
  projectId,
  sessions: Math.max(1, Math.round(events / 10)),
  users: Math.max(1, Math.round(events / 100)),
  days: 30,
  end: Math.floor(end / 3_600_000) * 3_600_000,
});

const M = 2147483647;

// The formulas, once for JavaScript and once as SQL text. Every product stays below 2^53, so
// JavaScript numbers and SQLite integers agree exactly.
const hash = (s: number, i: number, k: number) =>
  (((s * 1103515245 + i * 12345 + k * 2654435) % M) * 48271) % M;
/** `hash` as SQL text (integer arithmetic; every product < 2^53, so SQLite and PostgreSQL agree). */
export const hashSql = (s: string, i: string, k: number) =>
  `(((( ${s} * 1103515245 + ${i} * 12345 + ${k * 2654435}) % ${M}) * 48271) % ${M})`;
const spanOf = (d: Dataset) => d.days * 86_400_000;
const startOf = (d: Dataset, s: number) =>
  d.end - spanOf(d) - 3_600_000 + Math.floor((s * spanOf(d)) / d.sessions) + (hash(s, 0, 2) % 600_000);
const countOf = (s: number) => 5 + (hash(s, 0, 1) % 11);
const toolIndexOf = (s: number, i: number) => {
  const r = hash(s, i, 3) % 1000;
  return Math.floor((r * r * 20) / 1_000_000);
};
const isErrorOf = (s: number, i: number) => i > 0 && hash(s, i, 4) % 50 === 0;
const durationOf = (s: number, i: number) => {
  const r = hash(s, i, 5) % 1000;
  return 5 + Math.floor((r * r * r * 2) / 1_000_000);
};
/** Identified sessions (4 in 5) go round the users, so every user has sessions. */
const userOf = (d: Dataset, s: number) => ((s - Math.floor(s / 5)) * 7919) % d.users;
const pad = (n: number, width: number) => String(n).padStart(width, "0");

/** The events of session `s`, as an SDK would send them. */
export function sessionEvents(d: Dataset, s: number): Event[] {
  const start = startOf(d, s);
  const user = userOf(d, s);
  const [clientName, clientVersion] = CLIENTS[s % CLIENTS.length] ?? CLIENTS[0];
  return Array.from({ length: countOf(s) }, (_, i) => {
    const tool = `tool_${pad(toolIndexOf(s, i), 2)}`;
    const isError = isErrorOf(s, i);
    const event: Event = {
      id: `evt_${pad(s, 7)}_${pad(i, 2)}`,
      projectId: d.projectId,
      sessionId: `ses_${pad(s, 7)}`,
      eventType: i === 0 ? "mcp:initialize" : "mcp:tools/call",
      timestamp: new Date(start + i * STEP_MS).toISOString(),
      duration: durationOf(s, i),
      ...(i === 0 ? {} : { resourceName: tool }),
      parameters: { query: `find records matching item ${s % 1000}`, limit: 20, offset: i * 20 },
      ...(isError
        ? { isError: true, error: { message: `upstream timeout on ${tool}`, type: "TimeoutError" } }
        : {
            response: {
              content: [
                {
                  type: "text",
                  text: `Found ${i * 3} records for item ${s % 1000}; first: record-${s}-${i}`,
                },
              ],
            },
          }),
      ...(i % 10 === 1 ? { userIntent: INTENT } : {}),
      ...sourceFields(s % 5 === 4 ? null : user, clientName, clientVersion),
    };
    return event;
  });
}

const HOUR = (ts: string) => `((${ts}) / 3600000 * 3600000)`;

/**
 * Fills the store at `path` (already migrated, holding the project and no events) with the
 * dataset. Returns the number of events written.
 */
export function generateDataset(path: string, d: Dataset, log: (line: string) => void = () => {}): number {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = OFF"); // a throwaway benchmark store; ingest itself keeps FULL
  db.pragma("cache_size = -1048576");
  db.pragma("temp_store = FILE");
  db.function("bucket_of", { deterministic: true }, (ms: number) => bucketOf(ms));
  // Histogram JSON as ingest writes it: bucket → count, keys in ascending numeric order.
  db.aggregate("histogram_json", {
    varargs: true,
    start: () => ({}),
    step: (h: Record<number, number>, ...args: unknown[]) => {
      const [bucket, count] = args as [number, number];
      h[bucket] = (h[bucket] ?? 0) + count;
    },
    result: (h: Record<number, number>) => JSON.stringify(h),
  });
  // Distinct-user sketches as ingest writes them (storage/shared/hll.ts): users by their number.
  const registersOf = new Map<number, { index: number; rank: number }>();
  db.aggregate("hll_sketch", {
    start: () => emptyRegisters(),
    // Two declared parameters: better-sqlite3 takes the SQL function's arity from `step.length`.
    step: (registers: Uint8Array, value: unknown) => {
      const user = value as number;
      let r = registersOf.get(user);
      if (!r) {
        r = registerOf(`user_${user}`);
        registersOf.set(user, r);
      }
      if ((registers[r.index] as number) < r.rank) registers[r.index] = r.rank;
    },
    result: (registers: Uint8Array) => encodeSketch(registers),
  });
  db.aggregate("hll_union", {
    start: () => emptyRegisters(),
    step: (registers: Uint8Array, sketch: Uint8Array) => mergeEncoded(registers, sketch),
    result: (registers: Uint8Array) => encodeSketch(registers),
  });
  const project = db.prepare("SELECT pk FROM projects WHERE id = ?").get(d.projectId) as
    | { pk: number }
    | undefined;
  if (!project) throw new Error(`project ${d.projectId} does not exist`);
  const P = project.pk;
  const started = performance.now();
  const step = (label: string, sql: string) => {
    const t = performance.now();
    db.exec(sql);
    log(`  ${label}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  };
  const span = spanOf(d);
  const clients = CLIENTS.map(([n, v], k) => `SELECT ${k} AS k, '${n}' AS name, '${v}' AS version`).join(
    " UNION ALL ",
  );

  db.exec("BEGIN");
  step(
    "sessions (plan)",
    `CREATE TEMP TABLE gs (s INTEGER PRIMARY KEY, c INT, anon INT, u INT, k INT, start INT, first_pk INT, last INT);
     CREATE TEMP TABLE gc AS ${clients};
     INSERT INTO gs
       WITH RECURSIVE seq(s) AS (SELECT 0 UNION ALL SELECT s + 1 FROM seq WHERE s + 1 < ${d.sessions}),
       planned AS (
         SELECT s, 5 + ${hashSql("s", "0", 1)} % 11 AS c, s % 5 = 4 AS anon, ((s - s / 5) * 7919) % ${d.users} AS u,
           s % 5 AS k,
           ${d.end - span - 3_600_000} + (s * ${span}) / ${d.sessions} + ${hashSql("s", "0", 2)} % 600000 AS start
         FROM seq)
       SELECT s, c, anon, u, k, start, sum(c) OVER (ORDER BY s ROWS UNBOUNDED PRECEDING) - c + 1,
         start + (c - 1) * ${STEP_MS}
       FROM planned;
     CREATE TEMP TABLE gu (u INTEGER PRIMARY KEY, pk INT);
     INSERT INTO gu SELECT u, row_number() OVER (ORDER BY min(s)) FROM gs WHERE NOT anon GROUP BY u;`,
  );
  step(
    "events (plan)",
    `CREATE TEMP TABLE g (s INT, i INT, pk INT, ts INT, tool TEXT, err INT, dur INT, PRIMARY KEY (s, i)) WITHOUT ROWID;
     INSERT INTO g
       WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 14)
       SELECT gs.s, n.i, gs.first_pk + n.i, gs.start + n.i * ${STEP_MS},
         CASE WHEN n.i > 0 THEN printf('tool_%02d', (${hashSql("gs.s", "n.i", 3)} % 1000) * (${hashSql("gs.s", "n.i", 3)} % 1000) * 20 / 1000000) END,
         n.i > 0 AND ${hashSql("gs.s", "n.i", 4)} % 50 = 0,
         5 + (${hashSql("gs.s", "n.i", 5)} % 1000) * (${hashSql("gs.s", "n.i", 5)} % 1000) * (${hashSql("gs.s", "n.i", 5)} % 1000) * 2 / 1000000
       FROM gs JOIN n ON n.i < gs.c ORDER BY gs.s, n.i;
     CREATE TEMP TABLE gse (s INTEGER PRIMARY KEY, errors INT);
     INSERT INTO gse SELECT s, sum(err) FROM g GROUP BY s;`,
  );
  step(
    "events",
    `INSERT INTO events (pk, project_pk, event_id, session_pk, user_pk, ts, event_type, resource_name, duration,
       is_error, error, user_intent, parameters, response, identify, client_name, client_version, server_name,
       server_version, sdk_language, sdk_version, tags, properties)
     SELECT g.pk, ${P}, printf('evt_%07d_%02d', g.s, g.i), g.s + 1, CASE WHEN gs.anon THEN NULL ELSE gu.pk END, g.ts,
       CASE WHEN g.i = 0 THEN 'mcp:initialize' ELSE 'mcp:tools/call' END, g.tool, g.dur, g.err,
       CASE WHEN g.err THEN '{"message":"upstream timeout on ' || g.tool || '","type":"TimeoutError"}' END,
       CASE WHEN g.i % 10 = 1 THEN '${INTENT.replace(/'/g, "''")}' END,
       '{"query":"find records matching item ' || (g.s % 1000) || '","limit":20,"offset":' || (g.i * 20) || '}',
       CASE WHEN g.err THEN NULL ELSE '{"content":[{"type":"text","text":"Found ' || (g.i * 3) || ' records for item '
         || (g.s % 1000) || '; first: record-' || g.s || '-' || g.i || '"}]}' END,
       NULL, gc.name, gc.version, 'bench-server', '1.0.0', 'typescript', '0.1.0', NULL, NULL
     FROM g JOIN gs ON gs.s = g.s JOIN gc ON gc.k = gs.k LEFT JOIN gu ON gu.u = gs.u
     ORDER BY g.s, g.i;`,
  );
  step(
    "sessions, users, session tools",
    `INSERT INTO sessions (pk, project_pk, session_id, user_pk, client_name, client_version, server_name,
       server_version, first_seen, last_seen, events, tool_calls, errors, stateless, group_key)
     SELECT gs.s + 1, ${P}, printf('ses_%07d', gs.s), CASE WHEN gs.anon THEN NULL ELSE gu.pk END, gc.name, gc.version,
       'bench-server', '1.0.0', gs.start, gs.last, gs.c, gs.c - 1, gse.errors, 0, NULL
     FROM gs JOIN gse ON gse.s = gs.s JOIN gc ON gc.k = gs.k LEFT JOIN gu ON gu.u = gs.u ORDER BY gs.s;
     INSERT INTO users (pk, project_pk, user_id, user_name, user_data, profile_at, first_seen, last_seen, sessions,
       tool_calls, errors, events)
     SELECT gu.pk, ${P}, 'user_' || gs.u, 'User ' || gs.u, '{"plan":"pro"}', max(gs.last), min(gs.start), max(gs.last),
       count(*), sum(gs.c - 1), sum(gse.errors), sum(gs.c)
     FROM gs JOIN gse ON gse.s = gs.s JOIN gu ON gu.u = gs.u WHERE NOT gs.anon GROUP BY gs.u ORDER BY gu.pk;
     INSERT INTO session_tools (session_pk, tool) SELECT DISTINCT s + 1, tool FROM g WHERE tool IS NOT NULL;`,
  );
  step(
    "rollups",
    `INSERT INTO tool_hours (project_pk, hour, tool, calls, errors, histogram)
     SELECT ${P}, hour, tool, sum(n), sum(e), histogram_json(bucket, n) FROM (
       SELECT ${HOUR("ts")} AS hour, tool, bucket_of(dur) AS bucket, count(*) AS n, sum(err) AS e
       FROM g WHERE tool IS NOT NULL GROUP BY 1, 2, 3)
     GROUP BY hour, tool;
     INSERT INTO session_hours (project_pk, hour, sessions, identified)
     SELECT ${P}, ${HOUR("start")}, count(*), sum(NOT anon) FROM gs GROUP BY 2;
     INSERT INTO client_hours (project_pk, hour, client_name, client_version, sessions)
     SELECT ${P}, ${HOUR("gs.start")}, gc.name, gc.version, count(*) FROM gs JOIN gc ON gc.k = gs.k GROUP BY 2, 3, 4;
     INSERT INTO user_tools (user_pk, tool, project_pk, calls, errors, first_at, last_at)
     SELECT gu.pk, g.tool, ${P}, count(*), sum(g.err), min(g.ts), max(g.ts)
     FROM g JOIN gs ON gs.s = g.s JOIN gu ON gu.u = gs.u WHERE NOT gs.anon AND g.tool IS NOT NULL GROUP BY 1, 2;
     INSERT INTO tool_hour_users (project_pk, hour, tool, sketch)
     SELECT ${P}, ${HOUR("g.ts")}, g.tool, hll_sketch(gs.u)
     FROM g JOIN gs ON gs.s = g.s WHERE NOT gs.anon AND g.tool IS NOT NULL GROUP BY 2, 3 ORDER BY 2, 3;
     INSERT INTO tool_day_users (project_pk, day, tool, sketch)
     SELECT ${P}, hour / 86400000 * 86400000, tool, hll_union(sketch) FROM tool_hour_users
     WHERE project_pk = ${P} GROUP BY 2, 3 ORDER BY 2, 3;
     INSERT INTO user_clients (user_pk, client_name, client_version, project_pk, first_at, last_at)
     SELECT gu.pk, gc.name, gc.version, ${P}, min(gs.start), max(gs.last)
     FROM gs JOIN gc ON gc.k = gs.k JOIN gu ON gu.u = gs.u WHERE NOT gs.anon GROUP BY 1, 2, 3;`,
  );
  step(
    "errors",
    `CREATE TEMP TABLE ge AS
       SELECT g.pk, g.s, g.ts, g.tool, 'upstream timeout on ' || g.tool AS message,
         CASE WHEN gs.anon THEN NULL ELSE gu.pk END AS user_pk
       FROM g JOIN gs ON gs.s = g.s LEFT JOIN gu ON gu.u = gs.u WHERE g.err;
     CREATE TEMP TABLE geg AS
       SELECT tool, message, min(pk) AS first_pk, min(ts) AS first_seen, max(ts) AS last_seen,
         count(DISTINCT user_pk) AS users, count(DISTINCT s) AS sessions
       FROM ge GROUP BY tool, message;
     -- Ingest keeps as sample the last-arriving event among those with the newest timestamp.
     INSERT INTO error_groups (pk, project_pk, tool, message, first_seen, last_seen, users, sessions, sample_event_pk)
     SELECT row_number() OVER (ORDER BY first_pk), ${P}, tool, message, first_seen, last_seen, users, sessions,
       (SELECT max(x.pk) FROM ge x WHERE x.tool = geg.tool AND x.message = geg.message AND x.ts = geg.last_seen)
     FROM geg ORDER BY first_pk;
     INSERT INTO error_hours (group_pk, hour, count, project_pk)
     SELECT eg.pk, ${HOUR("ge.ts")}, count(*), ${P} FROM ge JOIN error_groups eg
       ON eg.project_pk = ${P} AND eg.tool = ge.tool AND eg.message = ge.message GROUP BY 1, 2;
     INSERT INTO error_group_users (group_pk, user_pk)
     SELECT DISTINCT eg.pk, ge.user_pk FROM ge JOIN error_groups eg
       ON eg.project_pk = ${P} AND eg.tool = ge.tool AND eg.message = ge.message WHERE ge.user_pk IS NOT NULL;
     INSERT INTO error_group_sessions (group_pk, session_pk)
     SELECT DISTINCT eg.pk, ge.s + 1 FROM ge JOIN error_groups eg
       ON eg.project_pk = ${P} AND eg.tool = ge.tool AND eg.message = ge.message;
     UPDATE projects SET last_event_at = (SELECT max(ts) FROM g) WHERE pk = ${P};`,
  );
  const events = (db.prepare("SELECT count(*) AS n FROM g").get() as { n: number }).n;
  db.exec(
    "DROP TABLE gs; DROP TABLE gc; DROP TABLE gu; DROP TABLE g; DROP TABLE gse; DROP TABLE ge; DROP TABLE geg; COMMIT",
  );
  // No ANALYZE: the collector never runs it, so the store keeps the statistics ingest would leave.
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
  log(`  total: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return events;
}

/** Every table of a store, rows in a canonical order (projects without their creation time). */
function dump(path: string): Record<string, unknown[]> {
  const db = new Database(path, { readonly: true });
  const tables = (
    db
      .prepare(
        // The FTS index's shadow tables depend on how many commits built it; the search table itself
        // (its content, read from users) is compared.
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'users_search_%' ORDER BY name",
      )
      .all() as { name: string }[]
  ).map((row) => row.name);
  const out: Record<string, unknown[]> = {};
  for (const table of tables) {
    const columns = (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[])
      .map((c) => c.name)
      .filter((name) => !(table === "projects" && name === "created_at"));
    out[table] = db
      .prepare(`SELECT ${columns.join(", ")} FROM ${table} ORDER BY ${columns.join(", ")}`)
      .raw()
      .all();
  }
  db.close();
  return out;
}

/** Sends the dataset's events through a store's ingest, validated, in batches of 500 (as the SDK does). */
export async function ingestDataset(store: Pick<Storage, "ingestEvents">, d: Dataset): Promise<void> {
  let batch: unknown[] = [];
  const flush = async () => {
    const result = validateBatch({ events: batch });
    if (!result.ok) throw new Error(JSON.stringify(result.issues.slice(0, 3)));
    if (result.value.rejected.length > 0) throw new Error(JSON.stringify(result.value.rejected.slice(0, 3)));
    await store.ingestEvents(result.value.events.map((item) => item.event));
    batch = [];
  };
  for (let s = 0; s < d.sessions; s++) {
    for (const event of sessionEvents(d, s)) {
      batch.push(event);
      if (batch.length === 500) await flush();
    }
  }
  if (batch.length > 0) await flush();
}

/** Ingests the dataset through the storage layer and generates it; true when every table matches. */
export async function checkDataset(events: number, log: (line: string) => void): Promise<boolean> {
  const dir = mkdtempSync(join(tmpdir(), "mcpsight-gen-check-"));
  try {
    const d = datasetFor(events, "proj_check");
    const ingested = openSqliteStorage({ dataDir: join(dir, "ingested") });
    await ingested.createProject({ id: d.projectId, name: "Check" });
    await ingestDataset(ingested, d);
    await ingested.close();

    const generated = openSqliteStorage({ dataDir: join(dir, "generated") });
    await generated.createProject({ id: d.projectId, name: "Check" });
    await generated.close();
    generateDataset(join(dir, "generated", "mcpsight.db"), d);

    const a = dump(join(dir, "ingested", "mcpsight.db"));
    const b = dump(join(dir, "generated", "mcpsight.db"));
    let same = true;
    for (const table of Object.keys(a)) {
      const equal = JSON.stringify(a[table]) === JSON.stringify(b[table]);
      log(`  ${equal ? "same" : "DIFFERENT"}: ${table} (${a[table]?.length} rows)`);
      if (!equal) {
        same = false;
        const rowsA = (a[table] ?? []).map((row) => JSON.stringify(row));
        const rowsB = new Set((b[table] ?? []).map((row) => JSON.stringify(row)));
        const first = rowsA.find((row) => !rowsB.has(row));
        log(`    ingest has ${first ?? "(fewer rows)"}`);
      }
    }
    return same;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { check: { type: "boolean" }, events: { type: "string" } } });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (!values.check) throw new Error("usage: collector-generate.ts --check [--events 20000]");
  const ok = await checkDataset(Number(values.events ?? 20_000), out);
  out(ok ? "generated store = ingested store" : "generated store differs from ingest");
  process.exitCode = ok ? 0 : 1;
}
