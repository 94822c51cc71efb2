import { eventSchema } from "@mcpsight/protocol";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { waitUntil } from "../src/storage/derive/wait.js";
import type { Storage } from "../src/storage/index.js";
import { PASS_APPLICATION_NAME } from "../src/storage/postgres/derive/pass-messages.js";
import { PassThread } from "../src/storage/postgres/derive/pass-thread.js";
import { openPostgresStorage } from "../src/storage/postgres/index.js";
import { freshPostgresSchema, TEST_DATABASE_URL, type TestDatabase } from "./backends.js";
import { makeEvent } from "./helpers.js";

const opened: { close(): Promise<void> }[] = [];
const databases: TestDatabase[] = [];
afterAll(async () => {
  for (const item of opened.reverse()) await item.close();
  for (const database of databases) await database.drop();
});

/** A store with no pass of its own: only the thread under test derives what it stores. */
async function storeWithoutPass(): Promise<{ url: string; storage: Storage }> {
  const database = await freshPostgresSchema();
  databases.push(database);
  const url = database.url as string;
  const storage = await openPostgresStorage({ url, derive: false });
  opened.push(storage);
  await storage.createProject({ id: "p1", name: "p1" });
  return { url, storage };
}

const store = (storage: Storage, n: number) =>
  storage.ingestEvents(Array.from({ length: n }, () => eventSchema.parse(makeEvent("p1"))));

/** Waits for `check`, failing with the store's derivation status after 20 s. */
const until = (storage: Storage, check: () => Promise<boolean>, thread?: PassThread) =>
  waitUntil(check, {
    subscribe: thread ? (listener) => thread.onDerived(listener) : undefined,
    timeoutMs: 20_000,
    describe: async () => `; derivation: ${JSON.stringify(await storage.getDerivationStatus())}`,
  });

const derivedAll = async (storage: Storage, thread?: PassThread) => {
  thread?.wake();
  await until(storage, async () => (await storage.getDerivationStatus()).pending === 0, thread);
};

/** A store whose one pass thread has derived `n` events stored in it. */
async function derivedByThread(n: number) {
  const { url, storage } = await storeWithoutPass();
  const thread = new PassThread(url);
  opened.push(thread);
  await store(storage, n);
  await derivedAll(storage, thread);
  return { url, storage, thread };
}

describe.skipIf(!TEST_DATABASE_URL)("the PostgreSQL pass thread", () => {
  it("derives what was stored, reports its lag, and starts again after its thread stops", {
    timeout: 60_000,
  }, async () => {
    const { storage, thread } = await derivedByThread(300);
    await until(storage, async () => (thread.report()?.lag.events ?? 0) >= 300);
    expect(thread.lastError).toBeNull();

    // The thread dies (as on an out-of-memory in its heap): the failure is reported, the thread
    // starts again, takes the lock back and derives what came meanwhile.
    await (thread as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    expect(thread.lastError?.message).toMatch(/derivation pass thread stopped/);
    expect(thread.report()).toBeNull();
    await store(storage, 200);
    await derivedAll(storage);
    const overview = await storage.getOverview("p1", { from: 0, to: Date.now() + 60_000 }, "hour");
    expect(overview.totals.toolCalls).toBe(500);
    expect(thread.report()).not.toBeNull();
  });

  it('names its connection in pg_stat_activity: the pass lock is held by "mcpsight pass"', {
    timeout: 60_000,
  }, async () => {
    const { url } = await derivedByThread(10);
    const schema = new URL(url).searchParams.get("schema") as string;
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      // The session-level advisory lock of this schema's pass (PassLeader), and who holds it.
      const { rows } = await client.query<{ name: string }>(
        `SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'advisory' AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended($1, 0)`,
        [`mcpsight.pass.${schema}`],
      );
      expect(rows).toEqual([{ name: PASS_APPLICATION_NAME }]);
      expect(PASS_APPLICATION_NAME).toBe("mcpsight pass");
    } finally {
      await client.end();
    }
  });

  it("hands the lock over on close: another collector's thread derives from then on", {
    timeout: 60_000,
  }, async () => {
    const { url, storage } = await storeWithoutPass();
    const first = new PassThread(url);
    const second = new PassThread(url);
    opened.push(first, second);
    await store(storage, 100);
    await derivedAll(storage);
    // One of the two holds the lock: only its report is non-null.
    await until(storage, async () => first.report() !== null || second.report() !== null);
    expect(first.report() !== null && second.report() !== null).toBe(false);
    const [holder, other] = first.report() !== null ? [first, second] : [second, first];
    await holder.close();
    await store(storage, 100);
    await derivedAll(storage, other);
    expect(other.report()).not.toBeNull();
    const overview = await storage.getOverview("p1", { from: 0, to: Date.now() + 60_000 }, "hour");
    expect(overview.totals.toolCalls).toBe(200);
  });
});
