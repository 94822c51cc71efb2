import { type Event, eventSchema } from "@mcpsight/protocol";
import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { freshPostgresSchema, TEST_DATABASE_URL, type TestDatabase } from "../../../../test/backends.js";
import { oddEvents } from "../../../../test/odd-events.js";
import { EVENT_FIELDS, eventValues } from "../../shared/derive-event.js";
import { createProject } from "../admin/projects.js";
import { copyField } from "../copy.js";
import { createPool, parsePostgresUrl } from "../db.js";
import { migrate } from "../schema.js";
import { storableEvent } from "../text.js";
import { appendEvents, copyEvents, copyRows, insertEvents } from "./append.js";

const run = TEST_DATABASE_URL ? describe : describe.skip;

describe("COPY rows", () => {
  it("hold each event's values in column order, each field as copyField writes it", () => {
    const events = oddEvents("p1", 100).map((event) => storableEvent(eventSchema.parse(event)));
    events.push(
      eventSchema.parse({
        id: "bare",
        projectId: "p2",
        stateless: true,
        eventType: "mcp:ping",
        timestamp: "2026-12-03T10:00:00.000Z",
      }),
      eventSchema.parse({
        id: "error",
        projectId: "p2",
        sessionId: "s\\1\t",
        eventType: "mcp:tools/call",
        timestamp: "2026-12-03T10:00:00.000Z",
        error: { message: "a\\b\nc" },
        parameters: null,
        response: "tab\there",
        tags: { env: "prod" },
        properties: { path: "C:\\x" },
      }),
    );
    const pks = new Map([
      ["p1", 7],
      ["p2", 8],
    ]);
    const expected = events
      .map(
        (e) =>
          `${[pks.get(e.projectId), ...eventValues(e, 123, (flag) => flag)].map(copyField).join("\t")}\n`,
      )
      .join("");
    expect(EVENT_FIELDS).toHaveLength(27);
    expect(copyRows(events, pks, 123).toString("utf8")).toBe(expected);
  });
});

run("appending events with COPY (MCPSIGHT_TEST_DATABASE_URL)", () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let pks: Map<string, number>;
  let n = 0;

  /** Events as the collector hands them to `appendEvents`: validated, then made storable. */
  const events = (count: number, fields: Record<string, unknown> = {}): Event[] =>
    Array.from({ length: count }, () =>
      storableEvent(
        eventSchema.parse({
          id: `e${++n}`,
          projectId: "p1",
          sessionId: "s1",
          eventType: "mcp:tools/call",
          timestamp: new Date().toISOString(),
          resourceName: "search",
          ...fields,
        }),
      ),
    );
  const append = (batch: Event[], dropped = 0) => appendEvents(pool, batch, pks, dropped);
  const counters = async (id = "p1") =>
    (
      await pool.query<{ dropped: number; duplicates: number }>(
        "SELECT dropped_events AS dropped, duplicate_events AS duplicates FROM projects WHERE id = $1",
        [id],
      )
    ).rows[0];
  const stored = async () =>
    (
      await pool.query<{ id: string }>('SELECT event_id AS id FROM events ORDER BY event_id COLLATE "C"')
    ).rows.map((row) => row.id);
  const ids = (batch: Event[]) => batch.map((e) => e.id).sort();

  beforeAll(async () => {
    database = await freshPostgresSchema();
    const url = parsePostgresUrl(database.url as string);
    // One connection: every append reuses the client a failed COPY ran on.
    pool = createPool(url, 1);
    await migrate(pool, url.schema);
  });
  afterAll(async () => {
    await pool.end();
    await database.drop();
  });
  beforeEach(async () => {
    await pool.query("TRUNCATE events, projects CASCADE");
    await createProject(pool, { id: "p1", name: "One" });
    await createProject(pool, { id: "p2", name: "Two" });
    const { rows } = await pool.query<{ id: string; pk: number }>("SELECT id, pk FROM projects");
    pks = new Map(rows.map((row) => [row.id, row.pk]));
  });

  it("stores a batch of new ids, each project's events under its key, without touching the counters", async () => {
    const batch = [...events(3), ...events(2, { projectId: "p2" })];
    expect(await append(batch)).toEqual({ accepted: 5, duplicates: 0 });
    expect(await stored()).toEqual(ids(batch));
    const { rows } = await pool.query<{ id: string; pk: number }>(
      "SELECT p.id, count(*)::int AS n FROM events e JOIN projects p ON p.pk = e.project_pk GROUP BY p.id ORDER BY p.id",
    );
    expect(rows).toEqual([
      { id: "p1", n: 3 },
      { id: "p2", n: 2 },
    ]);
    expect(await counters()).toEqual({ dropped: 0, duplicates: 0 });
  });

  it("counts a retried batch as duplicates, and a partly stored one by what it adds", async () => {
    const batch = events(10);
    expect(await copyEvents(pool, batch, pks, 0)).toEqual({ accepted: 10, duplicates: 0 });
    expect(await copyEvents(pool, batch, pks, 0)).toBeNull();
    expect(await append(batch)).toEqual({ accepted: 0, duplicates: 10 });
    expect(await counters()).toEqual({ dropped: 0, duplicates: 10 });
    const more = [...batch.slice(5), ...events(5)];
    expect(await append(more)).toEqual({ accepted: 5, duplicates: 5 });
    expect(await counters()).toEqual({ dropped: 0, duplicates: 15 });
    expect(await stored()).toEqual(ids([...batch, ...more.slice(5)]));
  });

  it("stores an id repeated within a batch once", async () => {
    const [a, b] = events(2) as [Event, Event];
    expect(await append([a, b, { ...a, resourceName: "other" }])).toEqual({ accepted: 2, duplicates: 1 });
    expect(await stored()).toEqual(ids([a, b]));
    const { rows } = await pool.query("SELECT resource_name FROM events WHERE event_id = $1", [a.id]);
    expect(rows).toEqual([{ resource_name: "search" }]);
    expect(await counters()).toEqual({ dropped: 0, duplicates: 1 });
  });

  it("moves the dropped count with the batch, once, retried or not", async () => {
    const batch = events(4);
    expect(await append(batch, 3)).toEqual({ accepted: 4, duplicates: 0 });
    expect(await counters()).toEqual({ dropped: 3, duplicates: 0 });
    // Retried: its COPY fails in its transaction, which rolls back; the INSERT counts it all.
    expect(await append(batch, 2)).toEqual({ accepted: 0, duplicates: 4 });
    expect(await counters()).toEqual({ dropped: 5, duplicates: 4 });
    expect(await append([...events(1), ...batch.slice(0, 1)], 1)).toEqual({ accepted: 1, duplicates: 1 });
    expect(await counters()).toEqual({ dropped: 6, duplicates: 5 });
    expect(await counters("p2")).toEqual({ dropped: 0, duplicates: 0 });
  });

  it("fails a batch the table refuses, storing and counting nothing, and keeps its connection usable", async () => {
    for (const dropped of [0, 2]) {
      // Validation keeps such a time out; the append must still refuse it, not hide it.
      const bad = { ...(events(1)[0] as Event), timestamp: "2026-11-27T10:00:00+99:99" };
      await expect(append([...events(2), bad], dropped)).rejects.toMatchObject({ code: "23502" });
    }
    expect(await stored()).toEqual([]);
    expect(await counters()).toEqual({ dropped: 0, duplicates: 0 });
    // The one pooled client, pipelined again: statements sent together all get their answers.
    const client = await pool.connect();
    try {
      expect(client.pipeline).toBe(true);
      const answers = await Promise.all([1, 2, 3].map((i) => client.query("SELECT $1::int AS i", [i])));
      expect(answers.map((answer) => answer.rows[0].i)).toEqual([1, 2, 3]);
    } finally {
      client.release();
    }
    expect(await append(events(2))).toEqual({ accepted: 2, duplicates: 0 });
  });

  it("falls back from a large batch whose first id is stored, the copy still being sent", async () => {
    const batch = events(500, { parameters: { text: "x".repeat(4000) } });
    expect(await append(batch.slice(0, 1))).toEqual({ accepted: 1, duplicates: 0 });
    expect(await append(batch)).toEqual({ accepted: 499, duplicates: 1 });
    expect(await append(batch, 1)).toEqual({ accepted: 0, duplicates: 500 });
    expect(await counters()).toEqual({ dropped: 1, duplicates: 501 });
    expect(await stored()).toHaveLength(500);
  });

  it("fails an append whose connection is lost, and the next one gets a new connection", async () => {
    const [{ pid }] = (await pool.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows as [
      { pid: number },
    ];
    const admin = new pg.Client({
      connectionString: parsePostgresUrl(database.url as string).connectionString,
    });
    await admin.connect();
    try {
      const batch = events(500, { parameters: { text: "x".repeat(4000) } });
      const appended = append(batch).then(
        () => "stored",
        () => "failed",
      );
      await admin.query("SELECT pg_terminate_backend($1)", [pid]);
      // Terminated while copying or just after: either way the collector goes on.
      expect(["stored", "failed"]).toContain(await appended);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const next = events(2);
      expect(await append([...batch, ...next])).toMatchObject({ accepted: expect.any(Number) });
      expect(await stored()).toEqual(ids([...batch, ...next]));
    } finally {
      await admin.end();
    }
  });

  it("copies any text exactly as the INSERT it falls back to stores it", async () => {
    const odd = [
      "back\\slash",
      "tab\there",
      "line\nbreak",
      "carriage\rreturn\r\n",
      "\\N",
      "\\.",
      "\\",
      "\\t\\n literal",
      "quote \" and ' and , and {}",
      "ünïcode ✓ 工 한 😀",
      "nul\u0000here",
      "half \ud83d",
      "\udc00 other half",
      "\u0001\u0007\b\f\v\u001b\u007f\u0085\u2028",
    ];
    const texts = (text: string, i: number) => ({
      id: `odd-${i}-${text}`,
      sessionId: text,
      resourceName: text,
      userIntent: text,
      identifyActorGivenId: text,
      identifyActorName: text,
      identifyActorData: { [text]: text },
      clientName: text,
      clientVersion: text,
      serverName: text,
      serverVersion: text,
      correlationId: text,
      error: { message: text, type: text, stack: text },
      parameters: { [text]: [text, 1.5e-7, -0, 1e300, null] },
      response: text,
      properties: { [text]: text },
      duration: i === 0 ? 0.1 + 0.2 : i * 1e-7,
    });
    const batch = [
      ...odd.flatMap((text, i) => events(1, texts(text, i))),
      ...oddEvents("p1", 200).map((event) => storableEvent(eventSchema.parse(event))),
    ];
    expect(await copyEvents(pool, batch, pks, 0)).toEqual({ accepted: batch.length, duplicates: 0 });
    // The same events in the other project, through the INSERT.
    const other = batch.map((event) => ({ ...event, projectId: "p2" }));
    expect(await insertEvents(pool, other, pks, 0)).toEqual({ accepted: batch.length, duplicates: 0 });
    const rows = async (project: string) =>
      (
        await pool.query(
          `SELECT e.* FROM events e JOIN projects p ON p.pk = e.project_pk WHERE p.id = $1
           ORDER BY e.event_id COLLATE "C"`,
          [project],
        )
      ).rows.map(({ pk: _pk, project_pk: _project, txid: _txid, received_at: _received, ...row }) => row);
    const copied = await rows("p1");
    expect(copied).toHaveLength(batch.length);
    expect(copied).toEqual(await rows("p2"));
    expect(copied.find((row) => row.event_id === "odd-4-\\N")).toMatchObject({ resource_name: "\\N" });
    expect(copied.find((row) => row.event_id === "odd-10-nul\ufffdhere")).toMatchObject({
      user_intent: "nul\ufffdhere",
      response: '"nul\\u0000here"',
    });
  });
});
