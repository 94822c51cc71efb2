import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import type { Storage } from "../src/storage/index.js";
import { parsePostgresUrl } from "../src/storage/postgres/db.js";
import { openPostgresStorage } from "../src/storage/postgres/index.js";
import { openSqliteStorage } from "../src/storage/sqlite/index.js";
import { BACKENDS, type TestBackend } from "./backends.js";
import { asEvents, withPks } from "./derivation/convert.js";
import { dbProjection, type Query } from "./derivation/db-projection.js";
import { referenceProjection } from "./derivation/reference.js";
import { deliverShuffled, type EventFacts, fact, random, scenario } from "./derivation/scenario.js";
import { removeDir, tempDir } from "./helpers.js";

const root = tempDir();
afterAll(() => removeDir(root));

export interface OpenStore {
  storage: Storage;
  /** Reads the database directly (the derived tables, for the projection). */
  query: Query;
  dialect: "sqlite" | "postgres";
  close(): Promise<void>;
}

/** A fresh store of `backend` on a real database, with a second connection that reads it. */
export async function openStore(backend: TestBackend): Promise<OpenStore> {
  const database = await backend.create();
  if (database.url) {
    const storage = await openPostgresStorage({ url: database.url });
    const { connectionString, schema } = parsePostgresUrl(database.url);
    const client = new pg.Client({ connectionString, options: `-c search_path=${schema}` });
    await client.connect();
    return {
      storage,
      dialect: "postgres",
      query: async (sql) => (await client.query(sql)).rows,
      close: async () => {
        await client.end();
        await storage.close();
        await database.drop();
      },
    };
  }
  const dir = mkdtempSync(join(root, "store-"));
  const storage = openSqliteStorage({ dataDir: dir });
  const file = new Database(join(dir, "mcpsight.db"), { readonly: true });
  return {
    storage,
    dialect: "sqlite",
    query: async (sql) => file.prepare(sql).all() as Record<string, unknown>[],
    close: async () => {
      file.close();
      await storage.close();
    },
  };
}

describe.each(BACKENDS)("derivation on a real database ($name)", (backend) => {
  it.each([1, 2, 3, 4, 5, 6])(
    "seed %i: events sent shuffled, in batches, some twice, while the pass runs, derive to the reference; reindex rebuilds the same",
    async (seed) => {
      const facts = scenario(seed);
      const store = await openStore(backend);
      try {
        await store.storage.createProject({ id: "p1", name: "p1" });
        await deliverShuffled(seed, facts, {
          ingest: (batch) => store.storage.ingestEvents(asEvents(batch)),
          derive: async () => {},
        });
        await store.storage.waitForDerivation();
        const expected = referenceProjection("p1", withPks(facts));
        const derived = await dbProjection(store.query, store.dialect, "p1");
        expect(derived).toEqual(expected);

        expect((await store.storage.reindex()).resumed).toBe(false);
        await store.storage.waitForDerivation();
        expect((await store.storage.getDerivationStatus()).reindex).toBeNull();
        expect(await dbProjection(store.query, store.dialect, "p1")).toEqual(expected);
      } finally {
        await store.close();
      }
    },
  );

  it.each([
    ["in one chunk", [[0, 1, 2, 3, 4, 5]]],
    ["in the SDK's batches", [[0], [1, 2], [3, 4], [5]]],
  ])(
    "counts a stateful session re-identified by a new credential once for each user, %s; reindex rebuilds the same",
    async (_, batches) => {
      const MIN = 60_000;
      const T = scenario(1)[0]?.ts as number;
      const identify = { type: "mcpsight:identify", tool: null };
      const facts = [
        fact({ id: "e1", ts: T, type: "mcp:initialize", tool: null }),
        fact({ id: "e2", ts: T + MIN, ...identify, actorId: "u_keya" }),
        fact({ id: "e3", ts: T + MIN, actorId: "u_keya" }),
        fact({ id: "e4", ts: T + 2 * MIN, ...identify, actorId: "u_keyb" }),
        fact({ id: "e5", ts: T + 2 * MIN, actorId: "u_keyb" }),
        fact({ id: "e6", ts: T + 3 * MIN, actorId: "u_keyb" }),
      ];
      const store = await openStore(backend);
      try {
        await store.storage.createProject({ id: "p1", name: "p1" });
        // Each batch derived before the next arrives: the pass sees them in separate chunks.
        for (const batch of batches) {
          await store.storage.ingestEvents(asEvents(batch.map((i) => facts[i] as EventFacts)));
          await store.storage.waitForDerivation();
        }
        const expected = referenceProjection("p1", withPks(facts));
        expect(expected.users.u_keya?.sessions).toBe(1);
        expect(expected.users.u_keyb?.sessions).toBe(1);
        expect(await dbProjection(store.query, store.dialect, "p1")).toEqual(expected);
        const range = { from: 0, to: T + 86_400_000 };
        const users = await store.storage.listUsers("p1", {
          range,
          search: null,
          sort: "sessions",
          limit: 10,
          cursor: null,
        });
        expect(users.items.map((u) => [u.userId, u.sessions])).toEqual([
          ["u_keya", 1],
          ["u_keyb", 1],
        ]);

        await store.storage.reindex();
        await store.storage.waitForDerivation();
        expect(await dbProjection(store.query, store.dialect, "p1")).toEqual(expected);
      } finally {
        await store.close();
      }
    },
  );

  it("erases a user while their events are still arriving and being derived; the user never comes back", async () => {
    const others = scenario(11);
    const T = others[0]?.ts as number;
    const MIN = 60_000;
    const gone: EventFacts[] = [];
    for (const s of [1, 2])
      for (let i = 0; i < 6; i++)
        gone.push(
          fact({
            id: `gone-${s}-${i}`,
            ts: T + s * 40 * MIN + i * MIN,
            sessionId: `gone-s${s}`,
            // An anonymous start, then identified: the session is theirs as a whole.
            actorId: i < 2 ? null : "gone",
            actorName: i === 2 ? "Gone Person" : null,
            isError: i === 3,
            errorKey: i === 3 ? { tool: "search", message: "their secret" } : null,
          }),
        );
    for (let i = 0; i < 4; i++)
      gone.push(
        fact({ id: `gone-sl-${i}`, ts: T + i * 5 * MIN, sessionId: null, stateless: true, actorId: "gone" }),
      );
    // Shuffled together; the erasure comes after a third of the batches, the rest keep arriving.
    const all = [...others, ...gone];
    const rnd = random(11);
    for (let i = all.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [all[i], all[j]] = [all[j] as EventFacts, all[i] as EventFacts];
    }
    const batches: EventFacts[][] = [];
    for (let i = 0; i < all.length; i += 9) batches.push(all.slice(i, i + 9));
    const store = await openStore(backend);
    try {
      await store.storage.createProject({ id: "p1", name: "p1" });
      const third = Math.ceil(batches.length / 3);
      for (const batch of batches.slice(0, third)) await store.storage.ingestEvents(asEvents(batch));
      const [erased] = await Promise.all([
        store.storage.deleteUser("p1", "gone"),
        (async () => {
          for (const batch of batches.slice(third)) await store.storage.ingestEvents(asEvents(batch));
          // An SDK's retry of everything the user sent, after the erasure.
          await store.storage.ingestEvents(asEvents(gone));
        })(),
      ]);
      expect(erased).not.toBeNull();
      await store.storage.waitForDerivation();
      expect(await store.storage.getUserProfile("p1", "gone", { from: 0, to: T + 86_400_000 })).toBeNull();
      expect(await dbProjection(store.query, store.dialect, "p1")).toEqual(
        referenceProjection("p1", withPks(others)),
      );
      const left = await store.query(
        "SELECT count(*) AS n FROM events WHERE actor_id = 'gone' OR session_key LIKE 'gone-%' OR event_id LIKE 'gone-%'",
      );
      expect(Number(left[0]?.n)).toBe(0);
    } finally {
      await store.close();
    }
  });

  it("`mcpsight reindex` rebuilds a stopped collector's database, printing its progress", {
    timeout: 60_000,
  }, async () => {
    const database = await backend.create();
    const dataDir = mkdtempSync(join(root, "reindex-"));
    const facts = scenario(31);
    const open = () =>
      database.url
        ? openPostgresStorage({ url: database.url })
        : Promise.resolve(openSqliteStorage({ dataDir }));
    try {
      const first = await open();
      await first.createProject({ id: "p1", name: "p1" });
      await first.ingestEvents(asEvents(facts));
      await first.waitForDerivation();
      await first.close();
      const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
      const where = database.url ? ["--database-url", database.url] : ["--data-dir", dataDir];
      const { stdout } = await promisify(execFile)(process.execPath, [
        "--conditions",
        "@mcpsight/source",
        "--import",
        "tsx",
        cli,
        "reindex",
        ...where,
      ]);
      expect(stdout).toMatch(new RegExp(`Rebuilding the derived tables from ${facts.length} stored events`));
      expect(stdout).toMatch(/Done in [\d.]+ s\./);
      const again = await open();
      try {
        expect(await again.getDerivationStatus()).toMatchObject({ pending: 0, reindex: null });
        const profile = await again.getUserProfile("p1", "u1", { from: 0, to: Date.now() });
        const expected = referenceProjection("p1", withPks(facts)).users.u1;
        expect(profile?.user).toMatchObject({ events: expected?.events, sessions: expected?.sessions });
      } finally {
        await again.close();
      }
    } finally {
      await database.drop();
    }
  });

  it("continues an interrupted rebuild rather than starting over; a collector finishes it", async () => {
    const database = await backend.create();
    const dataDir = mkdtempSync(join(root, "resume-"));
    const facts = scenario(41);
    const open = (derive: boolean) =>
      database.url
        ? openPostgresStorage({ url: database.url, derive })
        : Promise.resolve(openSqliteStorage({ dataDir, derive }));
    try {
      const first = await open(true);
      await first.createProject({ id: "p1", name: "p1" });
      await first.ingestEvents(asEvents(facts));
      await first.waitForDerivation();
      await first.close();
      // A rebuild started where no pass runs (it stops right there, as if interrupted).
      const idle = await open(false);
      expect(await idle.reindex()).toEqual({ resumed: false, total: facts.length });
      expect((await idle.getDerivationStatus()).reindex).toEqual({ done: 0, total: facts.length });
      expect(await idle.reindex()).toEqual({ resumed: true, total: facts.length });
      await idle.close();
      const collector = await open(true);
      try {
        await collector.waitForDerivation();
        expect(await collector.getDerivationStatus()).toMatchObject({ pending: 0, reindex: null });
        const expected = referenceProjection("p1", withPks(facts)).users.u1;
        const profile = await collector.getUserProfile("p1", "u1", { from: 0, to: Date.now() });
        expect(profile?.user).toMatchObject({ events: expected?.events, sessions: expected?.sessions });
      } finally {
        await collector.close();
      }
    } finally {
      await database.drop();
    }
  });
});
