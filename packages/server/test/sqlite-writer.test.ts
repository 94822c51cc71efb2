import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { type EventInput, eventSchema } from "@mcpsight/protocol";
import { afterAll, describe, expect, it } from "vitest";
import { openSqliteStorage } from "../src/storage/sqlite/index.js";
import { removeDir, tempDir } from "./helpers.js";
import { storageSuite } from "./storage.suite.js";

const root = tempDir();
afterAll(() => removeDir(root));

// A database file: ingest runs on the writer thread (the :memory: suite writes on the caller's).
storageSuite("sqlite file (writer thread)", async () =>
  openSqliteStorage({ dataDir: mkdtempSync(join(root, "suite-")) }),
);

describe("sqlite ingest writer thread", () => {
  let n = 0;
  const ev = (overrides: Partial<EventInput> = {}) =>
    eventSchema.parse({
      id: `w${++n}`,
      projectId: "p",
      sessionId: `s${n % 7}`,
      eventType: "mcp:tools/call",
      timestamp: new Date(Date.UTC(2026, 10, 27, 10, 0, n)).toISOString(),
      resourceName: "search",
      identifyActorGivenId: `u${n % 3}`,
      ...overrides,
    });
  const batchOf = (size: number) => Array.from({ length: size }, () => ev());

  it("commits concurrent batches together, each all or nothing", async () => {
    const dir = mkdtempSync(join(root, "group-"));
    const storage = openSqliteStorage({ dataDir: dir });
    await storage.createProject({ id: "p", name: "p" });
    const good = Array.from({ length: 12 }, () => batchOf(20));
    // Valid events plus one of an unknown project: the writer rejects it inside the group.
    const bad = [...batchOf(5), ev({ projectId: "missing" })];
    const outcomes = await Promise.allSettled([
      ...good.slice(0, 6).map((batch) => storage.ingestEvents(batch)),
      storage.ingestEvents(bad),
      ...good.slice(6).map((batch) => storage.ingestEvents(batch)),
    ]);
    expect(outcomes.filter((o) => o.status === "rejected")).toHaveLength(1);
    expect(outcomes[6]).toMatchObject({ status: "rejected", reason: { message: "unknown project missing" } });
    for (const outcome of outcomes.filter((o) => o.status === "fulfilled"))
      expect(outcome.value).toEqual({ accepted: 20, duplicates: 0 });
    // Nothing of the rejected batch was stored: sent again without the bad event, all are new.
    expect(await storage.ingestEvents(bad.slice(0, 5))).toEqual({ accepted: 5, duplicates: 0 });
    expect(await storage.ingestEvents(good.flat())).toEqual({ accepted: 0, duplicates: 240 });
    await storage.close();
  });

  it("finishes the batches handed over before close, then closes", async () => {
    const dir = mkdtempSync(join(root, "close-"));
    const storage = openSqliteStorage({ dataDir: dir });
    await storage.createProject({ id: "p", name: "p" });
    const batches = Array.from({ length: 8 }, () => batchOf(50));
    const inFlight = batches.map((batch) => storage.ingestEvents(batch));
    await storage.close();
    for (const result of await Promise.all(inFlight)) expect(result).toEqual({ accepted: 50, duplicates: 0 });
    await expect(storage.ingestEvents(batchOf(1))).rejects.toThrow(/closed/);

    const reopened = openSqliteStorage({ dataDir: dir });
    expect(await reopened.ingestEvents(batches.flat())).toEqual({ accepted: 0, duplicates: 400 });
    // Derived by the reopened store's pass if the first one had not got to them.
    await reopened.waitForDerivation();
    const users = await reopened.listUsers("p", {
      limit: 10,
      cursor: null,
      range: { from: 0, to: Date.UTC(2030, 0, 1) },
      sort: "lastSeen",
      search: null,
    });
    expect(users.items.map((u) => u.userId).sort()).toEqual(["u0", "u1", "u2"]);
    await reopened.close();
  });

  it("lets erasure, retention and admin writes through while ingest keeps it busy", async () => {
    const dir = mkdtempSync(join(root, "turn-"));
    const storage = openSqliteStorage({ dataDir: dir });
    await storage.createProject({ id: "p", name: "p" });
    // Enough batches to keep the writer thread appending and deriving for longer than SQLite's
    // 5 s busy timeout: before turn-taking, the writes below failed with "database is locked".
    const now = Date.now();
    const inFlight = Array.from({ length: 200 }, () =>
      storage.ingestEvents(
        Array.from({ length: 500 }, () =>
          ev({
            sessionId: `busy${n % 500}`,
            identifyActorGivenId: `u${n % 50}`,
            timestamp: new Date(now - n).toISOString(),
            parameters: { query: "x".repeat(200) },
          }),
        ),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await storage.deleteUser("p", "u1")).not.toBeNull();
    await storage.createProject({ id: "q", name: "q" });
    await storage.setSetting("turn", "taken");
    await storage.deleteOlderThan(Date.UTC(2000, 0, 1));
    for (const result of await Promise.all(inFlight)) expect(result.accepted).toBe(500);
    expect(await storage.getSetting("turn")).toBe("taken");
    expect(await storage.getProject("q")).not.toBeNull();
    await storage.close();
  }, 120_000);
});
