import { join } from "node:path";
import { eventSchema } from "@mcpsight/protocol";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { parsePostgresUrl } from "../src/storage/postgres/db.js";
import { openPostgresStorage } from "../src/storage/postgres/index.js";
import { PENDING_EXACT, pendingFrom } from "../src/storage/shared/pending.js";
import { openSqliteStorage } from "../src/storage/sqlite/index.js";
import { BACKENDS } from "./backends.js";
import { makeEvent, removeDir, tempDir } from "./helpers.js";

const root = tempDir();
afterAll(() => removeDir(root));

describe("pendingFrom", () => {
  it("keeps an exact count up to the cap and estimates from sequence numbers past it", () => {
    expect(pendingFrom(0, undefined, undefined)).toBe(0);
    expect(pendingFrom(PENDING_EXACT, 1, 50_000)).toBe(PENDING_EXACT);
    expect(pendingFrom(PENDING_EXACT + 1, 101, 60_100)).toBe(60_000);
    // Never below the cap, even where sequence numbers say less (rows in another order).
    expect(pendingFrom(PENDING_EXACT + 1, 101, 200)).toBe(PENDING_EXACT + 1);
    expect(pendingFrom(PENDING_EXACT + 1, undefined, 200)).toBe(PENDING_EXACT + 1);
  });
});

describe.each(BACKENDS)("events pending derivation ($name)", (backend) => {
  it("are counted exactly up to the cap, then estimated without counting every row", async () => {
    const database = await backend.create();
    const dir = join(root, `pending-${backend.name}`);
    // No pass: every stored event stays pending.
    const storage = database.url
      ? await openPostgresStorage({ url: database.url, derive: false })
      : openSqliteStorage({ dataDir: dir, derive: false });
    let raw: { deleteRange(from: number, to: number): Promise<void>; close(): Promise<void> };
    if (database.url) {
      const { connectionString, schema } = parsePostgresUrl(database.url);
      const client = new pg.Client({ connectionString, options: `-c search_path=${schema}` });
      await client.connect();
      raw = {
        deleteRange: async (from, to) => {
          await client.query("DELETE FROM events WHERE pk BETWEEN $1 AND $2", [from, to]);
        },
        close: () => client.end(),
      };
    } else {
      const file = new Database(join(dir, "mcpsight.db"));
      raw = {
        deleteRange: async (from, to) => {
          file.prepare("DELETE FROM events WHERE pk BETWEEN ? AND ?").run(from, to);
        },
        close: async () => void file.close(),
      };
    }
    try {
      await storage.createProject({ id: "p1", name: "p1" });
      const store = async (n: number) => {
        for (let sent = 0; sent < n; sent += 1_000) {
          const batch = Array.from({ length: Math.min(1_000, n - sent) }, () =>
            eventSchema.parse(makeEvent("p1")),
          );
          await storage.ingestEvents(batch);
        }
      };
      await store(PENDING_EXACT);
      expect((await storage.getDerivationStatus()).pending).toBe(PENDING_EXACT);

      await store(2_500);
      expect((await storage.getDerivationStatus()).pending).toBe(PENDING_EXACT + 2_500);

      // 300 rows gone from the middle: an exact count would find 300 fewer; the estimate reads
      // only the first pending and the last stored sequence numbers.
      const middle = Math.floor(PENDING_EXACT / 2);
      await raw.deleteRange(middle + 1, middle + 300);
      const status = await storage.getDerivationStatus();
      expect(status.pending).toBe(PENDING_EXACT + 2_500);
      expect(status.lagMs).toBeGreaterThanOrEqual(0);

      // Below the cap again the count is exact: the last 500 events are left.
      await raw.deleteRange(1, PENDING_EXACT + 2_000);
      expect((await storage.getDerivationStatus()).pending).toBe(500);
    } finally {
      await raw.close();
      await storage.close();
      await database.drop();
    }
  }, 120_000);
});
