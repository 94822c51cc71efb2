import pg from "pg";
import { arrayCasts, binaryArray, type ElementType } from "./binary-array.js";
import { arrayElement, numberText, storableParam, withoutNul } from "./text.js";

/** A pool or a client checked out of it: anything that runs a query. */
export type Sql = pg.Pool | pg.PoolClient;

const INT8 = 20;
const NUMERIC = 1700;

/**
 * Epoch-millisecond timestamps and counters are BIGINT, and `sum()` of them is NUMERIC; both fit
 * a JS number for any realistic value, so they are parsed as numbers (pg's default is strings).
 */
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8 || oid === NUMERIC
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export interface PostgresUrl {
  /** The connection string handed to pg, without mcpsight's own `schema` parameter. */
  connectionString: string;
  /** The schema holding mcpsight's tables (`?schema=` in the URL; default `public`). */
  schema: string;
}

/** Splits mcpsight's `schema` query parameter off a `postgres://` URL. */
export function parsePostgresUrl(url: string): PostgresUrl {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get("schema") ?? "public";
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    throw new Error(`schema "${schema}" in the database URL must be a lowercase SQL identifier`);
  parsed.searchParams.delete("schema");
  return { connectionString: parsed.toString(), schema };
}

/**
 * A pool of up to `max` connections to `url`'s schema, named `name` in `pg_stat_activity`
 * (`application_name`): "mcpsight" for the collector's, "mcpsight pass" for the pass thread's.
 */
export function createPool(url: PostgresUrl, max = 10, name = "mcpsight"): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url.connectionString,
    max,
    types,
    // Every connection resolves table names in the configured schema.
    options: `-c search_path=${url.schema}`,
    application_name: name,
    // Queries issued without awaiting the previous one go out together (protocol pipelining):
    // a transaction is a few round trips, however many statements it runs. COPY cannot go out
    // that way: ingest takes its client out of pipeline mode for it (copy.ts).
    pipeline: true,
  });
  // An idle client losing its connection must not crash the collector; the pool replaces it.
  pool.on("error", () => {});
  return pool;
}

const statements = new Map<string, { name: string; casts: (ElementType | undefined)[] }>();

/**
 * A named (server-side prepared, per connection) statement for `text`; NULs in its string
 * parameters are replaced (text.ts), and arrays of numbers or booleans it casts to such an array
 * go in binary (binary-array.ts).
 */
function prepared(text: string, values: unknown[]): pg.QueryConfig {
  let statement = statements.get(text);
  if (!statement) {
    statement = { name: `mcpsight_${statements.size}`, casts: arrayCasts(text) };
    statements.set(text, statement);
  }
  const casts = statement.casts;
  return {
    name: statement.name,
    text,
    values: values.map((value, i) => {
      const type = casts[i];
      if (type && Array.isArray(value) && value.length > 0) return binaryArray(value, type) ?? param(value);
      return param(value);
    }),
  };
}

/**
 * A statement parameter as sent: an array of numbers, strings and booleans (keys, timestamps,
 * counters, ids: most of what the pass binds) as its array literal built in one pass — what `pg`
 * would send, without its per-element preparing and escaping; anything else as `storableParam`
 * makes it.
 */
function param(value: unknown): unknown {
  if (!Array.isArray(value) || value.length === 0) return storableParam(value);
  let literal = "{";
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (i > 0) literal += ",";
    if (item === null || item === undefined) literal += "NULL";
    else if (typeof item === "number") literal += numberText(item);
    else if (typeof item === "string") literal += arrayElement(withoutNul(item));
    else if (typeof item === "boolean") literal += item ? "t" : "f";
    else return storableParam(value);
  }
  return `${literal}}`;
}

export async function all<T>(db: Sql, text: string, values: unknown[] = []): Promise<T[]> {
  return (await db.query(prepared(text, values))).rows as T[];
}

export async function get<T>(db: Sql, text: string, values: unknown[] = []): Promise<T | undefined> {
  return (await all<T>(db, text, values))[0];
}

/** Runs a statement; resolves to the number of rows it affected. */
export async function run(db: Sql, text: string, values: unknown[] = []): Promise<number> {
  return (await db.query(prepared(text, values))).rowCount ?? 0;
}

export const toJson = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));
export { fromJson } from "../shared/rows.js";

/** serialization_failure, deadlock_detected, unique_violation (a lost insert race): safe to retry. */
const RETRYABLE = new Set(["40001", "40P01", "23505"]);
const MAX_ATTEMPTS = 8;

/**
 * Registers a statement of the transaction that `fn` does not wait for; the commit is pipelined
 * behind it and the transaction fails (and is retried) if it fails.
 */
export type Defer = (statement: Promise<unknown>) => void;

/**
 * Runs `fn` in a transaction on one pooled client, retrying the whole transaction when
 * PostgreSQL aborts it for a serialization failure or a deadlock. `fn` must be re-runnable: it
 * builds all of its state from the database inside the transaction. BEGIN, the statements `fn`
 * defers and COMMIT are pipelined: a statement that fails aborts the transaction, so the COMMIT
 * behind it rolls back and its error is thrown here.
 */
export async function transaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient, defer: Defer) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    let broken: Error | undefined;
    const pending: Promise<unknown>[] = [];
    const defer: Defer = (statement) => {
      // Handled here so an early failure is not reported as unhandled; awaited below.
      statement.catch(() => {});
      pending.push(statement);
    };
    try {
      defer(client.query("BEGIN"));
      const result = await fn(client, defer);
      defer(client.query("COMMIT"));
      await Promise.all(pending);
      return result;
    } catch (error) {
      await Promise.allSettled(pending);
      await client.query("ROLLBACK").catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      const code = (error as { code?: string }).code;
      if (attempt >= MAX_ATTEMPTS || !code || !RETRYABLE.has(code)) throw error;
    } finally {
      client.release(broken);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
  }
}

/** The integer key of a project, or undefined when it does not exist. */
export async function projectPk(db: Sql, projectId: string): Promise<number | undefined> {
  return (await get<{ pk: number }>(db, "SELECT pk FROM projects WHERE id = $1", [projectId]))?.pk;
}
