import { eventSchema } from "@mcpsight/protocol";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { freshPostgresSchema, TEST_DATABASE_URL } from "../../../test/backends.js";
import { storageSuite } from "../../../test/storage.suite.js";
import { decodeSketch, emptyRegisters, encodeSketch, HLL_REGISTERS } from "../shared/hll.js";
import { parsePostgresUrl } from "./db.js";
import { openPostgresStorage } from "./index.js";

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
