import Database from "better-sqlite3";
import type pg from "pg";
import { type Histogram, toCounts } from "../histogram.js";
import { migrate as migrateSqlite } from "../sqlite/schema.js";
import { createPool, parsePostgresUrl } from "./db.js";
import { backfillToolUsers } from "./derive/tool-users.js";
import { IDENTITY_TABLES, migrate } from "./schema.js";
import { arrayLiteral, CLIENT_FIELD_BYTES, fitBytes, storableParam } from "./text.js";

/** Tables in dependency order. */
const TABLES = [
  "settings",
  "projects",
  "accounts",
  "memberships",
  "api_tokens",
  "project_tokens",
  "auth_sessions",
  "users",
  "sessions",
  "events",
  "event_links",
  "erasures",
  "tool_hours",
  "tool_hour_users",
  "tool_day_users",
  "session_hours",
  "client_hours",
  "user_tools",
  "user_clients",
  "error_groups",
  "error_hours",
  "error_group_users",
  "error_group_sessions",
];
const CHUNK = 5_000;

/**
 * Rows that PostgreSQL stores in another shape (converted as copied, `arrayColumns`): a tool
 * hour's histogram (JSON) becomes an array of counts by bucket, a session's tools an array on its row.
 */
const SOURCES: Record<string, string> = {
  tool_hours: "SELECT project_pk, hour, tool, calls, errors, histogram AS durations FROM tool_hours",
  sessions: `SELECT s.*, (SELECT json_group_array(tool) FROM session_tools t WHERE t.session_pk = s.pk) AS tools
    FROM sessions s`,
};

/** Array columns of copied rows, from the JSON their source gives. */
function arrayColumns(table: string, row: Record<string, unknown>): void {
  if (table === "tool_hours")
    row.durations = toCounts(JSON.parse(String(row.durations ?? "{}")) as Histogram);
  if (table === "sessions") row.tools = JSON.parse(String(row.tools ?? "[]")) as string[];
}

export interface CopyProgress {
  table: string;
  copied: number;
  total: number;
}

/**
 * Copies an embedded SQLite database into an empty PostgreSQL one, in one transaction (all or
 * nothing): events, derived tables and the pass's cursor, so the PostgreSQL pass continues where
 * SQLite's stopped. Row keys are kept, so every reference stays valid; identity sequences then
 * continue after the copied keys. A database from before the current schema is upgraded first,
 * as a collector starting on it would.
 */
export async function copySqliteToPostgres(options: {
  sqlitePath: string;
  postgresUrl: string;
  onProgress?: (progress: CopyProgress) => void;
}): Promise<Record<string, number>> {
  const sqlite = new Database(options.sqlitePath, { fileMustExist: true });
  const url = parsePostgresUrl(options.postgresUrl);
  const pool = createPool(url, 1);
  const counts: Record<string, number> = {};
  try {
    if ((sqlite.pragma("user_version", { simple: true }) as number) < 1)
      throw new Error(`${options.sqlitePath} is not an mcpsight database (no schema version)`);
    migrateSqlite(sqlite);
    await migrate(pool, url.schema);
    const client = await pool.connect();
    try {
      const { rows } = await client.query<{ n: number }>(
        "SELECT (SELECT count(*) FROM projects) + (SELECT count(*) FROM events) AS n",
      );
      if (Number(rows[0]?.n) > 0)
        throw new Error("the PostgreSQL database already holds mcpsight data; migrate into an empty one");
      await client.query("BEGIN");
      const hasTable = (name: string) =>
        sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !==
        undefined;
      // A store from before the distinct-user sketches: build them from the copied events instead.
      const sketchesMissing = !hasTable("tool_hour_users");
      for (const table of TABLES) {
        if (sketchesMissing && (table === "tool_hour_users" || table === "tool_day_users")) continue;
        // A store from before project tokens has none to copy.
        if (table === "project_tokens" && !hasTable(table)) continue;
        const source = SOURCES[table] ?? `SELECT * FROM ${table}`;
        const total = (sqlite.prepare(`SELECT count(*) AS n FROM (${source})`).get() as { n: number }).n;
        const columns = await client.query<Column>(
          `SELECT column_name, data_type, udt_name FROM information_schema.columns
           WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
          [url.schema, table],
        );
        const statement = sqlite.prepare(source);
        const sourceColumns = new Set(statement.columns().map((c) => c.name));
        const shared = columns.rows.filter((c) => sourceColumns.has(c.column_name));
        let batch: Record<string, unknown>[] = [];
        let copied = 0;
        const flush = async () => {
          if (batch.length === 0) return;
          for (const row of batch) arrayColumns(table, row);
          await insertRows(client, table, shared, batch);
          copied += batch.length;
          batch = [];
          options.onProgress?.({ table, copied, total });
        };
        for (const row of statement.iterate() as Iterable<Record<string, unknown>>) {
          batch.push(row);
          if (batch.length >= CHUNK) await flush();
        }
        await flush();
        if (total === 0) options.onProgress?.({ table, copied: 0, total });
        counts[table] = copied;
      }
      if (sketchesMissing) await backfillToolUsers(client);
      // The copied events all carry this transaction's id: the cursor is the same event key.
      const cursor = sqlite.prepare("SELECT cursor, reindex_to FROM derivation").get() as {
        cursor: number;
        reindex_to: number | null;
      };
      await client.query(
        `UPDATE derivation SET cursor_txid = pg_current_xact_id(), cursor_pk = $1,
           reindex_txid = CASE WHEN $2::bigint IS NULL THEN NULL ELSE pg_current_xact_id() END, reindex_pk = $2`,
        [cursor.cursor, cursor.reindex_to],
      );
      for (const table of IDENTITY_TABLES)
        await client.query(
          `SELECT setval(pg_get_serial_sequence('${table}', 'pk'), coalesce(max(pk), 0) + 1, false) FROM ${table}`,
        );
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
    // Planner statistics for the copied tables now, not when autovacuum gets to them: until then
    // the first collector would plan its queries for empty tables.
    await pool.query(`ANALYZE ${[...TABLES, "client_user_counts"].join(", ")}`);
    return counts;
  } finally {
    sqlite.close();
    await pool.end();
  }
}

type Column = { column_name: string; data_type: string; udt_name: string };
type Client = pg.PoolClient;

const SQL_TYPES: Record<string, string> = {
  bigint: "bigint",
  integer: "int",
  smallint: "smallint",
  boolean: "bool",
  text: "text",
  "double precision": "float8",
  bytea: "bytea",
};

/** Columns holding a client's name or version, which PostgreSQL's ingest cuts to fit an index entry. */
const CLIENT_COLUMNS = new Set(["client_name", "client_version"]);

/**
 * One multi-row insert of `rows` (columns present on both sides; SQLite 0/1 become booleans; an
 * array column goes as its text literal, cast back in the SELECT, as `unnest` would flatten it). As
 * in PostgreSQL's own ingest (text.ts), a NUL in SQLite text becomes U+FFFD and a client's name and
 * version are cut to fit an index entry.
 */
async function insertRows(client: Client, table: string, columns: Column[], rows: Record<string, unknown>[]) {
  const names = columns.map((c) => c.column_name);
  const arrays = columns.map((c) =>
    rows.map((row) => {
      const value = row[c.column_name];
      if (value === null || value === undefined) return null;
      if (CLIENT_COLUMNS.has(c.column_name) && typeof value === "string")
        return fitBytes(value, CLIENT_FIELD_BYTES);
      if (c.data_type === "ARRAY") return arrayLiteral(value as (number | string)[]);
      return c.data_type === "boolean" ? value === 1 || value === true : value;
    }),
  );
  const casts = columns.map((c, i) => `$${i + 1}::${SQL_TYPES[c.data_type] ?? "text"}[]`);
  // An array column's element type is its udt_name without the leading underscore (`_int4`, `_text`).
  const values = columns.map((c, i) =>
    c.data_type === "ARRAY" ? `c${i}::${c.udt_name.slice(1)}[]` : `c${i}`,
  );
  await client.query(
    `INSERT INTO ${table} (${names.join(", ")}) SELECT ${values.join(", ")}
     FROM unnest(${casts.join(", ")}) AS x(${columns.map((_, i) => `c${i}`).join(", ")})`,
    arrays.map(storableParam),
  );
}
