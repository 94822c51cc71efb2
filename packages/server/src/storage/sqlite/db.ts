import BetterSqlite3, { type Database, type Statement } from "better-sqlite3";

export type Db = Database;
export type Row = Record<string, unknown>;

/**
 * Opens a connection with the collector's settings. The main thread's connection (reads, admin
 * writes) and the ingest writer's (`writer/`) are opened alike; WAL lets them work side by side.
 * The file and its directory exist already, private to this user (`files.ts`).
 */
export function openDatabase(path: string): Database {
  const db = new BetterSqlite3(path);
  db.pragma("journal_mode = WAL");
  // FULL: a 2xx is only sent after a commit, and the commit must survive power loss too.
  // (NORMAL measured no faster here: the commit's fsync is not where ingest spends its time.)
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  // Two connections write (ingest on the writer, admin writes here): wait for the other's commit.
  db.pragma("busy_timeout = 5000");
  db.pragma("cache_size = -65536");
  return db;
}

const caches = new WeakMap<Database, Map<string, Statement>>();

/** A prepared statement for `sql`, prepared once per connection and reused. */
export function stmt(db: Database, sql: string): Statement {
  let cache = caches.get(db);
  if (!cache) {
    cache = new Map();
    caches.set(db, cache);
  }
  let prepared = cache.get(sql);
  if (!prepared) {
    prepared = db.prepare(sql);
    cache.set(sql, prepared);
  }
  return prepared;
}

export const all = <T>(db: Database, sql: string, ...params: unknown[]): T[] =>
  stmt(db, sql).all(...params) as T[];
export const get = <T>(db: Database, sql: string, ...params: unknown[]): T | undefined =>
  stmt(db, sql).get(...params) as T | undefined;
export const run = (db: Database, sql: string, ...params: unknown[]) => stmt(db, sql).run(...params);

const CHUNK_ROWS = 100;

/**
 * Runs `head` (an `INSERT … VALUES`) for many rows, `width` values each, flattened in `values`: one
 * statement per chunk of up to 100 rows instead of one per row. `tail` follows the VALUES list
 * (an `ON CONFLICT` clause).
 */
export function insertRows(db: Database, head: string, width: number, values: unknown[], tail = ""): void {
  const step = CHUNK_ROWS * width;
  for (let start = 0; start < values.length; start += step) {
    const chunk = start === 0 && values.length <= step ? values : values.slice(start, start + step);
    stmt(db, insertSql(head, width, chunk.length / width, tail)).run(chunk);
  }
}

/** Statement texts of `insertRows` by head, tail and row count (heads and tails are constants). */
const insertSqls = new Map<string, Map<string, string[]>>();

/**
 * `head` (an `INSERT … VALUES`), `rows` rows of `width` placeholders, then `tail`: the statement
 * text of `insertRows` and of the events append, built once per shape (it is also the statement
 * cache's key).
 */
export function insertSql(head: string, width: number, rows: number, tail: string): string {
  let byTail = insertSqls.get(head);
  if (!byTail) {
    byTail = new Map();
    insertSqls.set(head, byTail);
  }
  let byRows = byTail.get(tail);
  if (!byRows) {
    byRows = [];
    byTail.set(tail, byRows);
  }
  let sql = byRows[rows];
  if (sql === undefined) {
    const row = `(${Array.from({ length: width }, () => "?").join(", ")})`;
    sql = `${head} ${Array.from({ length: rows }, () => row).join(", ")} ${tail}`;
    byRows[rows] = sql;
  }
  return sql;
}

/**
 * `UPDATE table SET … WHERE pk = ?` for the columns whose value differs from the stored one
 * (`[column, value, stored]`); nothing when none does. SQLite rewrites the entries of every index
 * on an assigned column, changed or not, so assigning only what changed keeps the others untouched.
 * Returns whether a statement ran.
 */
export function updateChanged(
  db: Database,
  table: string,
  pk: number,
  columns: readonly (readonly [column: string, value: unknown, stored: unknown])[],
): boolean {
  const set: string[] = [];
  const params: unknown[] = [];
  for (const [column, value, stored] of columns) {
    if (value === stored) continue;
    set.push(`${column} = ?`);
    params.push(value);
  }
  if (set.length === 0) return false;
  stmt(db, `UPDATE ${table} SET ${set.join(", ")} WHERE pk = ?`).run(...params, pk);
  return true;
}

export const toJson = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));
export { fromJson } from "../shared/rows.js";

/**
 * Runs `fn` in an IMMEDIATE transaction (the write lock taken up front) that may await: the
 * pass and erasure share code written for PostgreSQL's asynchronous reads. On this connection
 * every such await resolves at once, so nothing else runs on it before the commit.
 */
export async function immediate<T>(db: Database, fn: () => Promise<T>): Promise<T> {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = await fn();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    if (db.inTransaction) db.exec("ROLLBACK");
    throw error;
  }
}

/** The integer key of a project, or undefined when it does not exist. */
export function projectPk(db: Database, projectId: string): number | undefined {
  return get<{ pk: number }>(db, "SELECT pk FROM projects WHERE id = ?", projectId)?.pk;
}
