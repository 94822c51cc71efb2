/**
 * Fast dataset generator for the PostgreSQL query benchmark: fills a migrated PostgreSQL schema
 * holding one project (and no events) with set-based SQL (`generate_series`, one `INSERT … SELECT`
 * per table) instead of going through ingest: raw events, sessions, users, session tools and every
 * derived table (hour rollups, duration histograms, per-user tools and clients, error groups,
 * distinct-user sketches; per-client user totals come from user_clients' triggers). The events are those of collector-generate.ts (`sessionEvents`: integer
 * formulas that SQL and JavaScript compute alike), so the figures sit beside the SQLite ones.
 * `--check` ingests the same events through the PostgreSQL storage layer at a small size into one
 * schema, generates them into another and compares every table row by row, with keys replaced by
 * public ids (ingest takes keys from sequences in batches, so its keys have gaps).
 * Usage: tsx --conditions=@mcpsight/source postgres-generate.ts --check [--events 20000]
 *   [--database-url postgres://…] (default MCPSIGHT_TEST_DATABASE_URL; two scratch schemas there)
 */
import { parseArgs } from "node:util";
import pg from "pg";
import { bucketOf } from "../packages/server/src/storage/histogram.js";
import { openPostgresStorage } from "../packages/server/src/storage/postgres/index.js";
import { decodeSketch, registerOf } from "../packages/server/src/storage/shared/hll.js";
import { CLIENTS, INTENT, STEP_MS } from "./collector-data.js";
import { type Dataset, datasetFor, hashSql, ingestDataset } from "./collector-generate.js";

/** The duration formula's range (collector-generate.ts): 5 … 2,005 ms. */
const MAX_DURATION = 2_005;
/** Tables the generator fills; their secondary indexes are dropped while loading and rebuilt. */
const FILLED = [
  "users",
  "sessions",
  "session_tools",
  "events",
  "tool_hours",
  "tool_hour_durations",
  "session_hours",
  "client_hours",
  "user_tools",
  "user_clients",
  "client_user_counts",
  "error_groups",
  "error_hours",
  "error_group_users",
  "error_group_sessions",
  "tool_hour_users",
  "tool_day_users",
];

// collector-generate.ts's hash, in PostgreSQL (BIGINT arithmetic).
const hash = hashSql;
const HOUR = (ts: string) => `((${ts}) / 3600000 * 3600000)`;
const pad = (n: string, width: number) => `lpad((${n})::text, ${width}, '0')`;
const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;

/**
 * HyperLogLog sketches in the stored encoding (storage/shared/hll.ts): sparse triples (index as 2
 * bytes big-endian, then the value) in index order below 1,366 registers, else 4,096 dense bytes.
 * `registers` holds (key columns…, idx, rank) with one row per non-zero register.
 */
function sketchInsert(table: string, keyColumn: string, registers: string, projectPk: number): string {
  const byte = (v: string) => `substring(int2send((${v})::int2) from 2)`;
  return `
    INSERT INTO ${table} (project_pk, ${keyColumn}, tool, sketch)
    SELECT ${projectPk}, k, tool, string_agg(int2send(idx::int2) || ${byte("rank")}, ''::bytea ORDER BY idx)
    FROM ${registers} GROUP BY k, tool HAVING count(*) * 3 < 4096;
    INSERT INTO ${table} (project_pk, ${keyColumn}, tool, sketch)
    SELECT ${projectPk}, d.k, d.tool, string_agg(${byte("coalesce(r.rank, 0)")}, ''::bytea ORDER BY i)
    FROM (SELECT k, tool FROM ${registers} GROUP BY k, tool HAVING count(*) * 3 >= 4096) d
      CROSS JOIN generate_series(0, 4095) i
      LEFT JOIN ${registers} r ON r.k = d.k AND r.tool = d.tool AND r.idx = i
    GROUP BY d.k, d.tool;`;
}

/**
 * Fills the schema `client` reads (search_path) with the dataset; the project must exist and the
 * filled tables be empty. Secondary indexes are dropped first and rebuilt after the load, the
 * identity sequences move past the loaded keys, and the tables are analysed. Returns the number
 * of events written.
 */
export async function generatePostgres(
  client: pg.Client,
  d: Dataset,
  log: (line: string) => void = () => {},
): Promise<number> {
  const q = (sql: string) => client.query(sql);
  const project = await client.query<{ pk: string }>("SELECT pk FROM projects WHERE id = $1", [d.projectId]);
  if (!project.rows[0]) throw new Error(`project ${d.projectId} does not exist`);
  const P = Number(project.rows[0].pk);
  const started = performance.now();
  const step = async (label: string, sql: string) => {
    const t = performance.now();
    await q(sql);
    log(`  ${label}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  };
  // A throwaway database: no commit waits; big sorts and hashes in memory.
  await q(
    "SET synchronous_commit = off; SET work_mem = '256MB'; SET maintenance_work_mem = '1GB'; SET temp_buffers = '2GB'",
  );
  const { rows: indexes } = await client.query<{ name: string; def: string }>(
    `SELECT i.indexname AS name, i.indexdef AS def FROM pg_indexes i
     WHERE i.schemaname = current_schema() AND i.tablename = ANY($1::text[])
       AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname
         AND c.connamespace = current_schema()::regnamespace)`,
    [FILLED],
  );
  for (const index of indexes) await q(`DROP INDEX "${index.name}"`);

  const span = d.days * 86_400_000;
  // Per-user HyperLogLog registers and per-duration buckets, computed by the collector's own code.
  const users = Array.from({ length: d.users }, (_, u) => registerOf(`user_${u}`));
  const durations = Array.from({ length: MAX_DURATION + 1 }, (_, ms) => bucketOf(ms));
  await q(
    `CREATE TEMP TABLE gc (k BIGINT PRIMARY KEY, name TEXT, version TEXT);
     INSERT INTO gc VALUES ${CLIENTS.map(([n, v], k) => `(${k}, '${n}', '${v}')`).join(", ")};
     CREATE TEMP TABLE gr (u BIGINT PRIMARY KEY, idx INT, rank INT);
     CREATE TEMP TABLE gb (dur BIGINT PRIMARY KEY, bucket INT);`,
  );
  await client.query("INSERT INTO gr SELECT * FROM unnest($1::bigint[], $2::int[], $3::int[])", [
    users.map((_, u) => u),
    users.map((r) => r.index),
    users.map((r) => r.rank),
  ]);
  await client.query("INSERT INTO gb SELECT * FROM unnest($1::bigint[], $2::int[])", [
    durations.map((_, ms) => ms),
    durations,
  ]);

  await q("BEGIN");
  await step(
    "sessions (plan)",
    `CREATE TEMP TABLE gs AS
       WITH planned AS (
         SELECT s, 5 + ${hash("s", "0", 1)} % 11 AS c, s % 5 = 4 AS anon, ((s - s / 5) * 7919) % ${d.users} AS u,
           s % 5 AS k, ${d.end - span - 3_600_000} + (s * ${span}) / ${d.sessions} + ${hash("s", "0", 2)} % 600000 AS start
         FROM generate_series(0::bigint, ${d.sessions - 1}) s)
       SELECT s, c, anon, u, k, start, sum(c) OVER (ORDER BY s ROWS UNBOUNDED PRECEDING) - c + 1 AS first_pk,
         start + (c - 1) * ${STEP_MS} AS last
       FROM planned;
     ALTER TABLE gs ADD PRIMARY KEY (s);
     CREATE TEMP TABLE gu AS SELECT u, row_number() OVER (ORDER BY min(s)) AS pk FROM gs WHERE NOT anon GROUP BY u;
     ALTER TABLE gu ADD PRIMARY KEY (u);
     ANALYZE gs; ANALYZE gu;`,
  );
  await step(
    "events (plan)",
    `CREATE TEMP TABLE g AS
       SELECT s, i, pk, ts, CASE WHEN i > 0 THEN 'tool_' || ${pad("h3 * h3 * 20 / 1000000", 2)} END AS tool,
         err, 5 + h5 * h5 * h5 * 2 / 1000000 AS dur FROM (
         SELECT gs.s, i, gs.first_pk + i AS pk, gs.start + i * ${STEP_MS} AS ts, ${hash("gs.s", "i", 3)} % 1000 AS h3,
           i > 0 AND ${hash("gs.s", "i", 4)} % 50 = 0 AS err, ${hash("gs.s", "i", 5)} % 1000 AS h5
         FROM gs CROSS JOIN LATERAL generate_series(0::bigint, gs.c - 1) i ORDER BY gs.s, i) x;
     CREATE INDEX ON g USING brin (s);
     CREATE TEMP TABLE gse AS SELECT s, count(*) FILTER (WHERE err) AS errors FROM g GROUP BY s;
     ALTER TABLE gse ADD PRIMARY KEY (s);
     ANALYZE g; ANALYZE gse;`,
  );
  // Events in slices of sessions, so a long load shows progress.
  const slices = Math.min(20, Math.max(1, Math.ceil(d.sessions / 50_000)));
  for (let n = 0; n < slices; n++) {
    const from = Math.floor((n * d.sessions) / slices);
    const to = Math.floor(((n + 1) * d.sessions) / slices);
    await step(
      `events ${n + 1}/${slices}`,
      `INSERT INTO events (pk, project_pk, event_id, session_pk, user_pk, ts, event_type, resource_name, duration,
         is_error, error, user_intent, parameters, response, identify, client_name, client_version, server_name,
         server_version, sdk_language, sdk_version, tags, properties)
       SELECT g.pk, ${P}, 'evt_' || ${pad("g.s", 7)} || '_' || ${pad("g.i", 2)}, g.s + 1,
         CASE WHEN gs.anon THEN NULL ELSE gu.pk END, g.ts,
         CASE WHEN g.i = 0 THEN 'mcp:initialize' ELSE 'mcp:tools/call' END, g.tool, g.dur, g.err,
         CASE WHEN g.err THEN '{"message":"upstream timeout on ' || g.tool || '","type":"TimeoutError"}' END,
         CASE WHEN g.i % 10 = 1 THEN ${quote(INTENT)} END,
         '{"query":"find records matching item ' || (g.s % 1000) || '","limit":20,"offset":' || (g.i * 20) || '}',
         CASE WHEN g.err THEN NULL ELSE '{"content":[{"type":"text","text":"Found ' || (g.i * 3) || ' records for item '
           || (g.s % 1000) || '; first: record-' || g.s || '-' || g.i || '"}]}' END,
         NULL, gc.name, gc.version, 'bench-server', '1.0.0', 'typescript', '0.1.0', NULL, NULL
       FROM g JOIN gs ON gs.s = g.s JOIN gc ON gc.k = gs.k LEFT JOIN gu ON gu.u = gs.u
       WHERE g.s >= ${from} AND g.s < ${to} ORDER BY g.pk`,
    );
  }
  await step(
    "sessions, users, session tools",
    `INSERT INTO sessions (pk, project_pk, session_id, user_pk, client_name, client_version, server_name,
       server_version, first_seen, last_seen, events, tool_calls, errors, stateless, group_key)
     SELECT gs.s + 1, ${P}, 'ses_' || ${pad("gs.s", 7)}, CASE WHEN gs.anon THEN NULL ELSE gu.pk END, gc.name,
       gc.version, 'bench-server', '1.0.0', gs.start, gs.last, gs.c, gs.c - 1, gse.errors, false, NULL
     FROM gs JOIN gse ON gse.s = gs.s JOIN gc ON gc.k = gs.k LEFT JOIN gu ON gu.u = gs.u ORDER BY gs.s;
     INSERT INTO users (pk, project_pk, user_id, user_name, user_data, profile_at, first_seen, last_seen, sessions,
       tool_calls, errors, events)
     SELECT gu.pk, ${P}, 'user_' || gs.u, 'User ' || gs.u, '{"plan":"pro"}', max(gs.last), min(gs.start), max(gs.last),
       count(*), sum(gs.c - 1), sum(gse.errors), sum(gs.c)
     FROM gs JOIN gse ON gse.s = gs.s JOIN gu ON gu.u = gs.u WHERE NOT gs.anon GROUP BY gs.u, gu.pk ORDER BY gu.pk;
     INSERT INTO session_tools (session_pk, tool)
     SELECT DISTINCT s + 1, tool FROM g WHERE tool IS NOT NULL ORDER BY 1, 2;`,
  );
  await step(
    "rollups",
    `INSERT INTO tool_hours (project_pk, hour, tool, calls, errors)
     SELECT ${P}, ${HOUR("ts")}, tool, count(*), count(*) FILTER (WHERE err) FROM g WHERE tool IS NOT NULL
     GROUP BY 2, 3 ORDER BY 2, 3;
     INSERT INTO tool_hour_durations (project_pk, hour, tool, bucket, count)
     SELECT ${P}, ${HOUR("g.ts")}, g.tool, gb.bucket, count(*) FROM g JOIN gb ON gb.dur = g.dur
     WHERE g.tool IS NOT NULL GROUP BY 2, 3, 4 ORDER BY 2, 3, 4;
     INSERT INTO session_hours (project_pk, hour, sessions, identified)
     SELECT ${P}, ${HOUR("start")}, count(*), count(*) FILTER (WHERE NOT anon) FROM gs GROUP BY 2 ORDER BY 2;
     INSERT INTO client_hours (project_pk, hour, client_name, client_version, sessions)
     SELECT ${P}, ${HOUR("gs.start")}, gc.name, gc.version, count(*) FROM gs JOIN gc ON gc.k = gs.k
     GROUP BY 2, 3, 4 ORDER BY 2, 3, 4;
     INSERT INTO user_tools (user_pk, tool, project_pk, calls, errors, first_at, last_at)
     SELECT gu.pk, g.tool, ${P}, count(*), count(*) FILTER (WHERE g.err), min(g.ts), max(g.ts)
     FROM g JOIN gs ON gs.s = g.s JOIN gu ON gu.u = gs.u WHERE NOT gs.anon AND g.tool IS NOT NULL
     GROUP BY 1, 2 ORDER BY 1, 2;
     INSERT INTO user_clients (user_pk, client_name, client_version, project_pk, first_at, last_at)
     SELECT gu.pk, gc.name, gc.version, ${P}, min(gs.start), max(gs.last)
     FROM gs JOIN gc ON gc.k = gs.k JOIN gu ON gu.u = gs.u WHERE NOT gs.anon GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;`,
  );
  await step(
    "distinct-user sketches",
    `CREATE TEMP TABLE gth AS
       SELECT ${HOUR("g.ts")} AS k, g.tool, gr.idx, max(gr.rank) AS rank
       FROM g JOIN gs ON gs.s = g.s JOIN gr ON gr.u = gs.u WHERE NOT gs.anon AND g.tool IS NOT NULL GROUP BY 1, 2, 3;
     CREATE TEMP TABLE gtd AS SELECT k / 86400000 * 86400000 AS k, tool, idx, max(rank) AS rank FROM gth GROUP BY 1, 2, 3;
     ANALYZE gth; ANALYZE gtd;
     ${sketchInsert("tool_hour_users", "hour", "gth", P)}
     ${sketchInsert("tool_day_users", "day", "gtd", P)}`,
  );
  await step(
    "errors",
    `CREATE TEMP TABLE ge AS
       SELECT g.pk, g.s, g.ts, g.tool, 'upstream timeout on ' || g.tool AS message,
         CASE WHEN gs.anon THEN NULL ELSE gu.pk END AS user_pk
       FROM g JOIN gs ON gs.s = g.s LEFT JOIN gu ON gu.u = gs.u WHERE g.err;
     -- Ingest keeps as sample the last-arriving event among those with the newest timestamp.
     INSERT INTO error_groups (pk, project_pk, tool, message, first_seen, last_seen, users, sessions, sample_event_pk)
     SELECT row_number() OVER (ORDER BY first_pk), ${P}, tool, message, first_seen, last_seen, users, sessions,
       (SELECT max(x.pk) FROM ge x WHERE x.tool = geg.tool AND x.message = geg.message AND x.ts = geg.last_seen)
     FROM (
       SELECT tool, message, min(pk) AS first_pk, min(ts) AS first_seen, max(ts) AS last_seen,
         count(DISTINCT user_pk) AS users, count(DISTINCT s) AS sessions
       FROM ge GROUP BY tool, message) geg
     ORDER BY first_pk;
     CREATE TEMP TABLE geg AS SELECT ge.*, eg.pk AS group_pk FROM ge JOIN error_groups eg
       ON eg.project_pk = ${P} AND eg.tool = ge.tool AND eg.message = ge.message;
     INSERT INTO error_hours (group_pk, hour, count, project_pk)
     SELECT group_pk, ${HOUR("ts")}, count(*), ${P} FROM geg GROUP BY 1, 2 ORDER BY 1, 2;
     INSERT INTO error_group_users (group_pk, user_pk)
     SELECT DISTINCT group_pk, user_pk FROM geg WHERE user_pk IS NOT NULL ORDER BY 1, 2;
     INSERT INTO error_group_sessions (group_pk, session_pk) SELECT DISTINCT group_pk, s + 1 FROM geg ORDER BY 1, 2;
     UPDATE projects SET last_event_at = (SELECT max(ts) FROM g) WHERE pk = ${P};`,
  );
  const { rows } = await client.query<{ n: string }>("SELECT count(*) AS n FROM g");
  await q("DROP TABLE gs, gc, gu, g, gse, gr, gb, gth, gtd, ge, geg; COMMIT");
  for (const index of indexes) await step(`index ${index.name}`, index.def);
  // New rows from a later ingest must get keys past the generated ones.
  await step(
    "sequences",
    ["users", "sessions", "events", "error_groups"]
      .map(
        (t) =>
          `SELECT setval(pg_get_serial_sequence('${t}', 'pk'), greatest(1, (SELECT coalesce(max(pk), 0) FROM ${t})));`,
      )
      .join("\n"),
  );
  await step("vacuum analyze", `VACUUM ANALYZE ${FILLED.join(", ")}`);
  log(`  total: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return Number(rows[0]?.n ?? 0);
}

/**
 * Every table of a schema in a canonical form: keys replaced by the public ids they stand for,
 * rows sorted, sketches decoded to their registers (ingest stores a merged sketch densely, the
 * generator canonically; both read the same).
 */
const CANONICAL: Record<string, string> = {
  projects: "SELECT id, name, last_event_at, dropped_events, duplicate_events FROM projects",
  users: `SELECT user_id, user_name, user_data, profile_at, first_seen, last_seen, sessions, tool_calls, errors, events
    FROM users`,
  sessions: `SELECT s.session_id, u.user_id, s.client_name, s.client_version, s.server_name, s.server_version,
    s.first_seen, s.last_seen, s.events, s.tool_calls, s.errors, s.stateless, s.group_key
    FROM sessions s LEFT JOIN users u ON u.pk = s.user_pk`,
  session_tools: "SELECT s.session_id, t.tool FROM session_tools t JOIN sessions s ON s.pk = t.session_pk",
  events: `SELECT e.event_id, s.session_id, u.user_id, e.ts, e.event_type, e.resource_name, e.duration, e.is_error,
    e.error, e.user_intent, e.parameters, e.response, e.identify, e.client_name, e.client_version, e.server_name,
    e.server_version, e.sdk_language, e.sdk_version, e.tags, e.properties
    FROM events e JOIN sessions s ON s.pk = e.session_pk LEFT JOIN users u ON u.pk = e.user_pk`,
  tool_hours: "SELECT hour, tool, calls, errors FROM tool_hours",
  tool_hour_durations: "SELECT hour, tool, bucket, count FROM tool_hour_durations",
  session_hours: "SELECT hour, sessions, identified FROM session_hours",
  client_hours: "SELECT hour, client_name, client_version, sessions FROM client_hours",
  user_tools: `SELECT u.user_id, t.tool, t.calls, t.errors, t.first_at, t.last_at
    FROM user_tools t JOIN users u ON u.pk = t.user_pk`,
  user_clients: `SELECT u.user_id, c.client_name, c.client_version, c.first_at, c.last_at
    FROM user_clients c JOIN users u ON u.pk = c.user_pk`,
  client_user_counts: "SELECT client_name, client_version, users FROM client_user_counts",
  error_groups: `SELECT g.tool, g.message, g.first_seen, g.last_seen, g.users, g.sessions, e.event_id
    FROM error_groups g LEFT JOIN events e ON e.pk = g.sample_event_pk`,
  error_hours: `SELECT g.tool, g.message, h.hour, h.count FROM error_hours h JOIN error_groups g ON g.pk = h.group_pk`,
  error_group_users: `SELECT g.tool, g.message, u.user_id FROM error_group_users x
    JOIN error_groups g ON g.pk = x.group_pk JOIN users u ON u.pk = x.user_pk`,
  error_group_sessions: `SELECT g.tool, g.message, s.session_id FROM error_group_sessions x
    JOIN error_groups g ON g.pk = x.group_pk JOIN sessions s ON s.pk = x.session_pk`,
  tool_hour_users: "SELECT hour, tool, sketch FROM tool_hour_users",
  tool_day_users: "SELECT day, tool, sketch FROM tool_day_users",
};
/** Tables the dataset does not touch (accounts, settings, migrations). */
const UNTOUCHED = new Set([
  "settings",
  "accounts",
  "memberships",
  "api_tokens",
  "auth_sessions",
  "mcpsight_migrations",
]);

async function dump(client: pg.Client): Promise<Record<string, string[]>> {
  const { rows: tables } = await client.query<{ name: string }>(
    "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1",
  );
  const out: Record<string, string[]> = {};
  for (const { name } of tables) {
    if (UNTOUCHED.has(name)) continue;
    const sql = CANONICAL[name];
    if (!sql) throw new Error(`table ${name} has no canonical form here: add it to CANONICAL`);
    const { rows } = await client.query<Record<string, unknown>>(sql);
    out[name] = rows
      .map((row) =>
        JSON.stringify(
          Object.values(row).map((v) =>
            Buffer.isBuffer(v) ? Buffer.from(decodeSketch(v)).toString("hex") : v,
          ),
        ),
      )
      .sort();
  }
  return out;
}

const schemaUrl = (base: string, schema: string) => {
  const url = new URL(base);
  url.searchParams.set("schema", schema);
  return url.toString();
};

/** A client on `schema` of the database at `base`. */
export async function connect(base: string, schema: string): Promise<pg.Client> {
  const url = new URL(base);
  url.searchParams.delete("schema");
  const client = new pg.Client({ connectionString: url.toString(), options: `-c search_path=${schema}` });
  await client.connect();
  return client;
}

/**
 * Ingests the dataset through the PostgreSQL storage layer (batches of 500, in order) into one
 * scratch schema and generates it into another; true when every table matches. Drops both.
 */
export async function checkPostgresDataset(
  base: string,
  events: number,
  log: (line: string) => void,
): Promise<boolean> {
  const tag = `${process.pid}`;
  const schemas = { ingested: `gen_check_ingested_${tag}`, generated: `gen_check_generated_${tag}` };
  const admin = await connect(base, "public");
  try {
    const d = datasetFor(events, "proj_check");
    const ingested = await openPostgresStorage({ url: schemaUrl(base, schemas.ingested) });
    await ingested.createProject({ id: d.projectId, name: "Check" });
    await ingestDataset(ingested, d);
    await ingested.close();

    const generated = await openPostgresStorage({ url: schemaUrl(base, schemas.generated) });
    await generated.createProject({ id: d.projectId, name: "Check" });
    await generated.close();
    const client = await connect(base, schemas.generated);
    await generatePostgres(client, d);
    const b = await dump(client);
    await client.end();
    const other = await connect(base, schemas.ingested);
    const a = await dump(other);
    await other.end();

    let same = JSON.stringify(Object.keys(a)) === JSON.stringify(Object.keys(b));
    for (const table of Object.keys(a)) {
      const equal = JSON.stringify(a[table]) === JSON.stringify(b[table]);
      log(`  ${equal ? "same" : "DIFFERENT"}: ${table} (${a[table]?.length} rows)`);
      if (!equal) {
        same = false;
        const rowsB = new Set(b[table] ?? []);
        const rowsA = new Set(a[table] ?? []);
        log(`    ingest has ${(a[table] ?? []).find((row) => !rowsB.has(row)) ?? "(no other rows)"}`);
        log(`    generator has ${(b[table] ?? []).find((row) => !rowsA.has(row)) ?? "(no other rows)"}`);
      }
    }
    return same;
  } finally {
    for (const schema of Object.values(schemas)) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { check: { type: "boolean" }, events: { type: "string" }, "database-url": { type: "string" } },
  });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const base = values["database-url"] ?? process.env.MCPSIGHT_TEST_DATABASE_URL;
  if (!values.check || !base)
    throw new Error("usage: postgres-generate.ts --check [--events 20000] [--database-url postgres://…]");
  const ok = await checkPostgresDataset(base, Number(values.events ?? 20_000), out);
  out(ok ? "generated database = ingested database" : "generated database differs from ingest");
  process.exitCode = ok ? 0 : 1;
}
