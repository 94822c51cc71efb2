import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventSchema } from "@mcpsight/protocol";
import Database from "better-sqlite3";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { freshPostgresSchema, TEST_DATABASE_URL } from "../../../test/backends.js";
import { storageSuite } from "../../../test/storage.suite.js";
import { expectUpgraded, oldDatabaseSql } from "../../../test/upgrade-fixture.js";
import { decodeSketch, emptyRegisters, encodeSketch, HLL_REGISTERS } from "../shared/hll.js";
import { openSqliteStorage } from "../sqlite/index.js";
import { createPool, parsePostgresUrl } from "./db.js";
import { openPostgresStorage } from "./index.js";
import { BEFORE_DURATION_ARRAYS, BEFORE_PASS, BEFORE_SESSION_TOOL_ARRAYS, migrate } from "./schema.js";

const run = TEST_DATABASE_URL ? describe : describe.skip;

run("postgres (MCPSIGHT_TEST_DATABASE_URL)", () => {
  storageSuite("postgres", async () => {
    const database = await freshPostgresSchema();
    const storage = await openPostgresStorage({ url: database.url as string });
    const close = storage.close;
    storage.close = async () => {
      await close();
      await database.drop();
    };
    return storage;
  });

  it("rebuilds users, sessions and rollups of a database written before the derivation pass", async () => {
    const database = await freshPostgresSchema();
    const url = parsePostgresUrl(database.url as string);
    const pool = createPool(url, 1);
    try {
      await migrate(pool, url.schema, BEFORE_PASS);
      await pool.query(oldDatabaseSql("postgres"));
    } finally {
      await pool.end();
    }
    const storage = await openPostgresStorage({ url: database.url as string });
    try {
      await expectUpgraded(storage);
    } finally {
      await storage.close();
      await database.drop();
    }
  });

  it("moves duration histograms from one row per bucket onto their tool hour's row", async () => {
    const database = await freshPostgresSchema();
    const url = parsePostgresUrl(database.url as string);
    const pool = createPool(url, 1);
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;
    try {
      await migrate(pool, url.schema, BEFORE_DURATION_ARRAYS);
      await pool.query(`
        INSERT INTO projects (pk, id, name, created_at) VALUES (1, 'p', 'p', 0);
        INSERT INTO tool_hours VALUES (1, ${hour}, 'a', 6, 1), (1, ${hour}, 'b', 2, 0), (1, ${hour}, 'c', 1, 0);
        INSERT INTO tool_hour_durations VALUES (1, ${hour}, 'a', 0, 1), (1, ${hour}, 'a', 3, 2),
          (1, ${hour}, 'a', 40, 3), (1, ${hour}, 'b', 12, 2), (1, ${hour}, 'b', 13, 0);
      `);
      await migrate(pool, url.schema);
      const { rows } = await pool.query("SELECT tool, durations FROM tool_hours ORDER BY tool");
      const a = Array.from({ length: 41 }, (_, i) => ({ 0: 1, 3: 2, 40: 3 })[i] ?? 0);
      expect(rows).toEqual([
        { tool: "a", durations: a },
        { tool: "b", durations: [...new Array(12).fill(0), 2] },
        { tool: "c", durations: [] },
      ]);
      const { rows: tables } = await pool.query("SELECT to_regclass('tool_hour_durations') AS t");
      expect(tables[0]?.t).toBeNull();
    } finally {
      await pool.end();
    }
    const storage = await openPostgresStorage({ url: database.url as string });
    try {
      const range = { from: hour, to: hour + 3_600_000 };
      const stats = await storage.listToolStats("p", range, "hour");
      expect(stats.map((t) => [t.name, t.calls, t.p50Ms, t.p95Ms])).toEqual([
        ["a", 6, 1.5, 939],
        ["b", 2, 7.3, 7.3],
        ["c", 1, null, null],
      ]);
    } finally {
      await storage.close();
      await database.drop();
    }
  });

  it("moves a session's tools from one row per tool onto the session's row", async () => {
    const database = await freshPostgresSchema();
    const url = parsePostgresUrl(database.url as string);
    const pool = createPool(url, 1);
    try {
      await migrate(pool, url.schema, BEFORE_SESSION_TOOL_ARRAYS);
      await pool.query(`
        INSERT INTO projects (pk, id, name, created_at) VALUES (1, 'p', 'p', 0);
        INSERT INTO sessions (pk, project_pk, session_id, first_seen, last_seen)
          VALUES (1, 1, 'one', 0, 1), (2, 1, 'two', 0, 1), (3, 1, 'none', 0, 1);
        INSERT INTO session_tools VALUES (1, 'search'), (1, 'a "quoted" \\ tool'), (2, 'search');
      `);
      await migrate(pool, url.schema);
      const { rows } = await pool.query("SELECT session_id, tools FROM sessions ORDER BY pk");
      expect(rows).toEqual([
        { session_id: "one", tools: ['a "quoted" \\ tool', "search"] },
        { session_id: "two", tools: ["search"] },
        { session_id: "none", tools: [] },
      ]);
      const { rows: tables } = await pool.query("SELECT to_regclass('session_tools') AS t");
      expect(tables[0]?.t).toBeNull();
    } finally {
      await pool.end();
      await database.drop();
    }
  });

  it("migrates once when several collectors start at once", async () => {
    const database = await freshPostgresSchema();
    try {
      const stores = await Promise.all(
        Array.from({ length: 4 }, () => openPostgresStorage({ url: database.url as string })),
      );
      await stores[0]?.createProject({ id: "p", name: "p" });
      for (const store of stores) expect((await store.listProjects()).map((p) => p.id)).toEqual(["p"]);
      await Promise.all(stores.map((store) => store.close()));
    } finally {
      await database.drop();
    }
  });

  it("mcpsight_hll_apply is the register-wise max of sparse and dense sketches", async () => {
    const database = await freshPostgresSchema();
    const storage = await openPostgresStorage({ url: database.url as string });
    const { connectionString, schema } = parsePostgresUrl(database.url as string);
    const client = new pg.Client({ connectionString, options: `-c search_path=${schema}` });
    await client.connect();
    try {
      let seed = 7;
      const random = () => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed / 2147483648;
      };
      const registers = (count: number) => {
        const r = emptyRegisters();
        for (let i = 0; i < count; i++)
          r[Math.floor(random() * HLL_REGISTERS)] = 1 + Math.floor(random() * 20);
        return r;
      };
      // Empty, sparse and dense (from 1,366 registers) on each side.
      const pairs: [number, number][] = [
        [0, 0],
        [0, 5],
        [40, 3],
        [1300, 200],
        [3000, 10],
        [10, 3000],
        [3000, 3000],
      ];
      for (const [a, b] of pairs) {
        const stored = registers(a);
        const delta = registers(b);
        const { rows } = await client.query<{ merged: Buffer }>(
          "SELECT mcpsight_hll_apply($1, $2) AS merged",
          [encodeSketch(stored), encodeSketch(delta)],
        );
        const expected = stored.map((v, i) => Math.max(v, delta[i] as number));
        expect(decodeSketch(rows[0]?.merged as Buffer), `${a} + ${b}`).toEqual(expected);
      }
    } finally {
      await client.end();
      await storage.close();
      await database.drop();
    }
  });

  it("stores each event's JSON text as SQLite does, and a NUL or lone surrogate in its text fields as U+FFFD", async () => {
    const base = {
      projectId: "p",
      sessionId: "s",
      eventType: "mcp:tools/call",
      timestamp: new Date().toISOString(),
    };
    const events = [
      { id: "absent" },
      { id: "null", parameters: null, response: null },
      { id: "string", parameters: 'a "quoted" \\ line\nnext', response: "" },
      { id: "scalars", parameters: 0, response: false },
      { id: "nested", parameters: { q: "ünïcode ✓", list: [1, null, { deep: [] }] }, response: [null] },
      { id: "nul", parameters: { q: "a\u0000b" }, response: "\u0000", tags: { k: "v\u0000" } },
      { id: "half", parameters: { q: "cut \ud83d" }, response: "\ude00", properties: { e: "\ud83d" } },
      { id: "mixed", parameters: null, response: { content: [{ type: "text", text: "ok" }] } },
    ].map((e) => eventSchema.parse({ ...base, ...e }));
    // PostgreSQL text cannot hold NUL: every text field of this event has one. Nor a lone surrogate.
    const nulText = eventSchema.parse({
      ...base,
      id: "text\u0000id",
      sessionId: "s\u0000",
      resourceName: "tool\u0000",
      userIntent: "intent\u0000",
      isError: true,
      error: { message: "bad\u0000byte", type: "T\u0000", stack: "at\u0000" },
      identifyActorGivenId: "user\u0000id",
      identifyActorName: "Name\u0000",
      clientName: "client\u0000",
      clientVersion: "1\ud83d",
      serverName: "\ude00server",
    });
    const select = "SELECT event_id, parameters, response, tags, properties FROM events ORDER BY event_id";

    const dir = mkdtempSync(join(tmpdir(), "mcpsight-json-"));
    const database = await freshPostgresSchema();
    const postgres = await openPostgresStorage({ url: database.url as string });
    const sqlite = openSqliteStorage({ dataDir: dir });
    const { connectionString, schema } = parsePostgresUrl(database.url as string);
    const client = new pg.Client({ connectionString, options: `-c search_path=${schema}` });
    await client.connect();
    try {
      for (const store of [postgres, sqlite]) {
        await store.createProject({ id: "p", name: "p" });
        expect(await store.ingestEvents(events)).toEqual({ accepted: events.length, duplicates: 0 });
      }
      await sqlite.close();
      const file = new Database(join(dir, "mcpsight.db"), { readonly: true });
      const expected = file.prepare(select).all();
      file.close();
      const stored = (await client.query(select)).rows;
      expect(stored).toEqual(expected);
      const byId = new Map(stored.map((row) => [row.event_id, row]));
      expect(byId.get("absent")).toMatchObject({ parameters: null, response: null });
      expect(byId.get("null")).toMatchObject({ parameters: "null", response: "null" });
      expect(byId.get("string")).toMatchObject({
        parameters: JSON.stringify('a "quoted" \\ line\nnext'),
        response: '""',
      });
      expect(byId.get("nul")).toMatchObject({
        parameters: '{"q":"a\\u0000b"}',
        response: '"\\u0000"',
        tags: '{"k":"v\\u0000"}',
      });
      expect(byId.get("half")).toMatchObject({
        parameters: '{"q":"cut \\ud83d"}',
        response: '"\\ude00"',
        properties: '{"e":"\\ud83d"}',
      });

      // Written, retried and read back by the ids it was sent with.
      expect(await postgres.ingestEvents([nulText])).toEqual({ accepted: 1, duplicates: 0 });
      expect(await postgres.ingestEvents([nulText])).toEqual({ accepted: 0, duplicates: 1 });
      await postgres.waitForDerivation();
      const [event] =
        (await postgres.getSessionTimeline("p", "s\u0000", { limit: 10, cursor: null }))?.events ?? [];
      expect(event).toMatchObject({
        id: "text\ufffdid",
        resourceName: "tool\ufffd",
        userIntent: "intent\ufffd",
        error: { message: "bad\ufffdbyte", type: "T\ufffd", stack: "at\ufffd" },
        clientName: "client\ufffd",
        clientVersion: "1\ufffd",
        serverName: "\ufffdserver",
      });
      const day = { from: Date.now() - 86_400_000, to: Date.now() + 86_400_000 };
      const profile = await postgres.getUserProfile("p", "user\u0000id", day);
      expect(profile?.user).toMatchObject({ userId: "user\ufffdid", userName: "Name\ufffd" });
    } finally {
      await client.end();
      await postgres.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("erasure leaves no row mentioning the user in any table", async () => {
    const database = await freshPostgresSchema();
    const storage = await openPostgresStorage({ url: database.url as string });
    try {
      await storage.createProject({ id: "p", name: "p" });
      const base = { projectId: "p", eventType: "mcp:tools/call", timestamp: new Date().toISOString() };
      await storage.ingestEvents(
        [
          { ...base, id: "1", sessionId: "s", resourceName: "t", userIntent: "secret-intent" },
          {
            ...base,
            id: "2",
            sessionId: "s",
            identifyActorGivenId: "alice",
            identifyActorName: "Alice Secret",
          },
          { ...base, id: "3", sessionId: "s", isError: true, error: { message: "oops" } },
          { ...base, id: "4", sessionId: "other", identifyActorGivenId: "bob" },
        ].map((e) => eventSchema.parse(e)),
      );
      await storage.deleteUser("p", "alice");
      // Whatever the pass had not derived yet is derived now: alice stays erased, bob is there.
      await storage.waitForDerivation();
      const { connectionString, schema } = parsePostgresUrl(database.url as string);
      const client = new pg.Client({ connectionString, options: `-c search_path=${schema}` });
      await client.connect();
      try {
        const tables = await client.query<{ tablename: string }>(
          "SELECT tablename FROM pg_tables WHERE schemaname = $1",
          [schema],
        );
        for (const { tablename } of tables.rows) {
          const dump = JSON.stringify((await client.query(`SELECT * FROM ${tablename}`)).rows);
          expect(dump, tablename).not.toMatch(/alice|Alice Secret|secret-intent|oops/);
        }
        expect((await client.query("SELECT user_id FROM users")).rows).toEqual([{ user_id: "bob" }]);
      } finally {
        await client.end();
      }
    } finally {
      await storage.close();
      await database.drop();
    }
  });
});
