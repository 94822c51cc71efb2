import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import type { RunningServer } from "../src/server.js";
import { removeDir, startCollector, tempDir } from "./helpers.js";

/**
 * The storage backends every storage and query-API test runs against. PostgreSQL runs when
 * MCPSIGHT_TEST_DATABASE_URL is set (`.ci/run` sets it); it then fails, never skips, when the
 * server is unreachable. Under CI the variable is required.
 */
export const TEST_DATABASE_URL = process.env.MCPSIGHT_TEST_DATABASE_URL || undefined;
if (!TEST_DATABASE_URL && process.env.CI === "true")
  throw new Error("MCPSIGHT_TEST_DATABASE_URL must be set in CI (.ci/run starts PostgreSQL and sets it)");

export interface TestDatabase {
  /** `--database-url` for the collector; undefined = SQLite in the data directory. */
  url: string | undefined;
  /** Drops what the test created. */
  drop(): Promise<void>;
}

export interface TestBackend {
  name: "sqlite" | "postgres";
  /** A fresh, empty database for one test. */
  create(): Promise<TestDatabase>;
}

/** A new schema in the test database; the URL's `?schema=` points the collector at it. */
export async function freshPostgresSchema(baseUrl = TEST_DATABASE_URL as string): Promise<TestDatabase> {
  const schema = `t_${process.pid}_${randomBytes(4).toString("hex")}`;
  const url = new URL(baseUrl);
  url.searchParams.set("schema", schema);
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: baseUrl });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

const sqlite: TestBackend = {
  name: "sqlite",
  create: async () => ({ url: undefined, drop: async () => {} }),
};
const postgres: TestBackend = { name: "postgres", create: () => freshPostgresSchema() };

/** SQLite always; PostgreSQL when a test database is configured. */
export const BACKENDS: TestBackend[] = TEST_DATABASE_URL ? [sqlite, postgres] : [sqlite];

/**
 * A collector on a fresh database of `backend`, started before the enclosing suite's tests and
 * removed after them. Call the returned function inside tests.
 */
export function collectorOn(backend: TestBackend): () => RunningServer & { projectId: string } {
  const dir = tempDir();
  let database: TestDatabase | undefined;
  let collector: (RunningServer & { projectId: string }) | undefined;
  beforeAll(async () => {
    database = await backend.create();
    collector = await startCollector(dir, database.url);
  });
  afterAll(async () => {
    await collector?.close();
    await database?.drop();
    removeDir(dir);
  });
  return () => {
    if (!collector) throw new Error("the collector starts in beforeAll: use it inside a test");
    return collector;
  };
}
