import { type Event, eventSchema } from "@mcpsight/protocol";
import { afterAll, describe, expect, it } from "vitest";
import { removeDir, tempDir } from "../../../../test/helpers.js";
import type { ChunkEvent } from "../../derive/pass.js";
import { openDatabase, run } from "../db.js";
import { SqlitePass } from "../derive/transaction.js";
import { migrate } from "../schema.js";
import { appendEvents, prepareRows } from "./append.js";
import { RecentEvents } from "./recent.js";

const base = { eventType: "mcp:tools/call", timestamp: "2026-12-01T10:00:00.000Z" };

/** Events with every column the pass reads: errors with payloads, identities, stateless groups. */
function events(from: number, count: number, projectId: string): Event[] {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    return eventSchema.parse({
      ...base,
      projectId,
      id: `e${n}`,
      timestamp: new Date(Date.parse(base.timestamp) + n * 1000).toISOString(),
      resourceName: n % 3 === 0 ? undefined : `tool_${n % 5}`,
      duration: n % 4 === 0 ? undefined : n * 1.5,
      ...(n % 7 === 0
        ? { isError: true, error: { message: `failed ${n % 2}`, type: "Error" }, response: { content: [] } }
        : { response: { content: [{ type: "text", text: "ok" }] } }),
      ...(n % 2 === 0
        ? { sessionId: `s${n % 11}` }
        : { stateless: true, correlationId: `c${n % 3}`, sessionId: `sl_${n}` }),
      ...(n % 5 === 0
        ? {
            identifyActorGivenId: `u${n % 4}`,
            identifyActorName: `User ${n}`,
            identifyActorData: { plan: n },
          }
        : {}),
      clientName: "client",
      clientVersion: `1.${n % 3}`,
      serverName: "server",
      serverVersion: "2.0",
    });
  });
}

describe("events the writer appended, served to the pass", () => {
  const dir = tempDir();
  afterAll(() => removeDir(dir));

  /** The events after `cursor` as the pass reads them from the table. */
  const readBack = async (db: ReturnType<typeof openDatabase>, cursor: number, limit: number) => {
    run(db, "UPDATE derivation SET cursor = ?", cursor);
    return new SqlitePass(db).readAfter(limit);
  };

  it("are exactly what reading them back gives, across projects, and skip statements with duplicates", async () => {
    const db = openDatabase(`${dir}/same.db`);
    migrate(db);
    run(db, "INSERT INTO projects (id, name, created_at) VALUES ('a', 'A', 0), ('b', 'B', 0)");
    const recent = new RecentEvents();
    const append = (list: Event[]) => {
      const appended: ChunkEvent[] = [];
      db.transaction(() => appendEvents(db, prepareRows(list), 0, appended))();
      recent.add(appended);
      return appended;
    };
    // 250 rows: three statements (100, 100, 50), the two projects interleaved.
    const mixed = events(0, 250, "a").map((e, i) => (i % 2 === 0 ? e : { ...e, projectId: "b" }));
    expect(append(mixed)).toHaveLength(250);
    expect(recent.take(db, 0, 10_000)).toEqual(await readBack(db, 0, 10_000));

    // A retry carrying one stored id: the statement holding it stores 99 of its 100 rows and is not
    // handed over; the next statement's 100 rows are.
    const retry = [...events(250, 150, "a").slice(0, 50), mixed[0] as Event, ...events(400, 149, "a")];
    const handed = append(retry);
    expect(handed.map((e) => e.id)).toEqual(
      events(400, 149, "a")
        .slice(49)
        .map((e) => e.id),
    );
    // From the cursor the run stops where the skipped statement's rows are missing.
    expect(recent.take(db, 250, 10_000)).toBeNull();
    const afterGap = (handed[0] as ChunkEvent).pk - 1;
    expect(recent.take(db, afterGap, 10_000)).toEqual(await readBack(db, afterGap, 10_000));
    db.close();
  });

  it("are read back once one of them is no longer stored", async () => {
    const db = openDatabase(`${dir}/deleted.db`);
    migrate(db);
    run(db, "INSERT INTO projects (id, name, created_at) VALUES ('a', 'A', 0)");
    const recent = new RecentEvents();
    const appended: ChunkEvent[] = [];
    db.transaction(() => appendEvents(db, prepareRows(events(0, 20, "a")), 0, appended))();
    recent.add(appended);
    // Another connection (retention, erasure) deletes one.
    const other = openDatabase(`${dir}/deleted.db`);
    run(other, "DELETE FROM events WHERE event_id = 'e7'");
    other.close();
    expect(recent.take(db, 0, 100)).toBeNull();
    expect((await readBack(db, 0, 100)).map((e) => e.id)).not.toContain("e7");
    db.close();
  });
});
