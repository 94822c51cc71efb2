import { eventSchema } from "@mcpsight/protocol";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshPostgresSchema, TEST_DATABASE_URL, type TestDatabase } from "../../../../test/backends.js";
import { oddEvents } from "../../../../test/odd-events.js";
import { DERIVE_COLUMNS, type DeriveRow, toChunkEvent } from "../../shared/derive-event.js";
import { createProject } from "../admin/projects.js";
import { all, createPool, parsePostgresUrl } from "../db.js";
import { appendEvents } from "../events/append.js";
import { migrate } from "../schema.js";
import { storableEvent } from "../text.js";
import { readChunk } from "./read-chunk.js";

const run = TEST_DATABASE_URL ? describe : describe.skip;

run("reading a chunk of events with COPY (MCPSIGHT_TEST_DATABASE_URL)", () => {
  let database: TestDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    database = await freshPostgresSchema();
    const url = parsePostgresUrl(database.url as string);
    pool = createPool(url, 1);
    await migrate(pool, url.schema);
    await createProject(pool, { id: "p1", name: "One" });
    await createProject(pool, { id: "p2", name: "Two" });
  });
  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  it("reads every field as pg's row parser reads it, whatever the text, in cursor order", async () => {
    const { rows } = await pool.query<{ id: string; pk: number }>("SELECT id, pk FROM projects");
    const pks = new Map(rows.map((row) => [row.id, row.pk]));
    const base = { eventType: "mcp:tools/call", timestamp: new Date().toISOString() };
    // Text COPY escapes (backslashes, tabs, line breaks, `\N` itself), errors with payloads, nulls.
    const crafted = [
      { id: "\\N", sessionId: "a\tb\nc\rd\\e\\N", resourceName: "\\", actorId: "\\\\t" },
      { id: "x", isError: true, error: { message: "tab\there" }, identifyActorData: { k: "v\\\n" } },
      { id: "y", isError: true, response: { content: [{ type: "text", text: "bad\u0001\u001f" }] } },
      { id: "z", stateless: true, correlationId: "c\u000b\u000c\u0008", duration: 0.1 + 0.2 },
    ].map((fields) => ({ ...base, projectId: "p2", sessionId: "s", identifyActorGivenId: "u", ...fields }));
    const events = [...oddEvents("p1", 120), ...crafted].map((e) => storableEvent(eventSchema.parse(e)));
    for (let i = 0; i < events.length; i += 50) await appendEvents(pool, events.slice(i, i + 50), pks, 0);

    const expected = (
      await all<DeriveRow & { txid: string; project_id: string }>(
        pool,
        `SELECT ${DERIVE_COLUMNS}, e.txid, p.id AS project_id FROM events e JOIN projects p ON p.pk = e.project_pk
         ORDER BY e.txid, e.pk`,
      )
    ).map((row) => ({ event: toChunkEvent(row, row.project_id), txid: row.txid }));
    expect(expected).toHaveLength(events.length);

    const client = await pool.connect();
    try {
      const projectIds = async (list: number[]) =>
        new Map([...pks].filter(([, pk]) => list.includes(pk)).map(([id, pk]) => [pk, id]));
      const read: typeof expected = [];
      let cursor = { txid: "0", pk: 0 };
      for (;;) {
        const chunk = await readChunk(client, cursor, 17, projectIds);
        if (!chunk) break;
        const last = chunk.events.at(-1);
        if (!last) throw new Error("an empty chunk");
        for (const event of chunk.events) read.push({ event, txid: "" });
        (read.at(-1) as (typeof read)[0]).txid = chunk.lastTxid;
        cursor = { txid: chunk.lastTxid, pk: last.pk };
      }
      expect(read.map((r) => r.event)).toEqual(expected.map((r) => r.event));
      // Each chunk's last transaction is the cursor's.
      for (const [i, r] of read.entries()) if (r.txid !== "") expect(r.txid).toBe(expected[i]?.txid);
      // The client takes pipelined statements again.
      expect((await Promise.all([client.query("SELECT 1 AS a"), client.query("SELECT 2 AS a")])).length).toBe(
        2,
      );
    } finally {
      client.release();
    }
  });
});
