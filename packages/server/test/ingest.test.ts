import { request } from "node:http";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import Database from "better-sqlite3";
import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../src/server.js";
import { parsePostgresUrl } from "../src/storage/postgres/db.js";
import { BACKENDS, type TestDatabase } from "./backends.js";
import { ADMIN_TOKEN, api, derived, makeEvent, postBatch, suiteCollector } from "./helpers.js";

const DAY = 86_400_000;

type StoredEvent = { id: string; timestamp: string; properties: Record<string, unknown> | null };

/** Runs SQL on the collector's database from outside the collector (a second connection). */
async function sql(dir: string, database: TestDatabase, statements: string[]): Promise<void> {
  if (!database.url) {
    const db = new Database(join(dir, "mcpsight.db"));
    try {
      for (const statement of statements) db.exec(statement);
    } finally {
      db.close();
    }
    return;
  }
  const { connectionString, schema } = parsePostgresUrl(database.url);
  const client = new pg.Client({ connectionString, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

/** A trigger that makes the database refuse events whose id starts with "poison" (and nothing else). */
const POISON: Record<"sqlite" | "postgres", { add: string[]; drop: string[] }> = {
  sqlite: {
    add: [
      `CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.event_id LIKE 'poison%'
       BEGIN SELECT RAISE(ABORT, 'poisoned event'); END`,
    ],
    drop: ["DROP TRIGGER poison"],
  },
  postgres: {
    add: [
      `CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN IF NEW.event_id LIKE 'poison%' THEN RAISE EXCEPTION 'poisoned event'; END IF; RETURN NEW; END $$`,
      "CREATE TRIGGER poison BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION poison()",
    ],
    drop: ["DROP TRIGGER poison ON events", "DROP FUNCTION poison()"],
  },
};

describe.each(BACKENDS)("ingest ($name)", (backend) => {
  const collector = suiteCollector(backend);
  const { dir } = collector;
  let server: RunningServer & { projectId: string };
  let database: TestDatabase;
  let url: string;
  let projectId: string;
  /** A session's replay, once every event stored so far is derived. */
  const timeline = async (sessionId: string) => {
    await derived(url);
    return api<{ events: StoredEvent[]; session: { lastSeen: string } }>(
      url,
      `/api/v1/projects/${projectId}/sessions/${encodeURIComponent(sessionId)}`,
      { token: ADMIN_TOKEN },
    );
  };
  const postMcpcat = (body: unknown) =>
    api(url, "/v1/public/events/", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  const withProjectHeader = (project: string, events: unknown[]) =>
    api(url, "/v1/batch", {
      method: "POST",
      headers: { "content-type": "application/json", "x-mcpsight-project": project },
      body: JSON.stringify({ events }),
    });

  beforeAll(() => {
    ({ server, database } = collector);
    ({ url, projectId } = server);
  });

  it("rejects impossible offsets per event and stores the rest (existing and new sessions)", async () => {
    expect((await postBatch(url, [makeEvent(projectId, { sessionId: "offsets" })])).status).toBe(200);
    const outcomes: unknown[] = [];
    for (const offset of ["+99:99", "+2400", "+00:60"])
      for (const sessionId of ["offsets", `new${offset}`]) {
        const good = makeEvent(projectId, { sessionId: "offsets" });
        const bad = { ...makeEvent(projectId, { sessionId }), timestamp: `2026-11-27T10:00:00${offset}` };
        const { status, body } = await postBatch(url, [good, bad]);
        outcomes.push({ offset, sessionId, status, body });
      }
    for (const outcome of outcomes)
      expect(outcome).toMatchObject({
        status: 200,
        body: {
          accepted: 1,
          duplicates: 0,
          rejected: [{ index: 1, code: "invalid_event", field: "timestamp", reason: expect.any(String) }],
        },
      });
    // Every good event is stored, none of the bad ones.
    expect((await timeline("offsets")).body.events).toHaveLength(7);
    expect((await timeline("new+2400")).status).toBe(404);
  });

  it("refuses an unknown X-MCPSight-Project with 404 before the body is sent", async () => {
    // Only the headers go out, announcing a body of 10 MB: the answer comes without it.
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${url}/v1/batch`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "content-encoding": "gzip",
          "content-length": String(10_000_000),
          "x-mcpsight-project": "proj_typo",
        },
      });
      req.on("response", (res) => {
        let body = "";
        res.on("data", (chunk) => {
          body += chunk;
        });
        res.on("end", () => {
          resolve({ status: res.statusCode ?? 0, body });
          req.destroy();
        });
      });
      req.on("error", reject);
      req.flushHeaders();
    });
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: "project_not_found" } });
  });

  it("rejects events of another project than the batch's, per event", async () => {
    const other = await server.storage.createProject({ id: "proj_second", name: "Second" });
    const mine = makeEvent(projectId, { sessionId: "header" });
    const res = await withProjectHeader(projectId, [mine, makeEvent(other.id), makeEvent("proj_nope")]);
    expect(res).toMatchObject({
      status: 200,
      body: {
        accepted: 1,
        rejected: [
          { index: 1, code: "project_mismatch", field: "projectId" },
          { index: 2, code: "project_mismatch", field: "projectId" },
        ],
      },
    });
    expect((await timeline("header")).body.events.map((e) => e.id)).toEqual([mine.id]);
    const invalid = await api(url, "/v1/batch", {
      method: "POST",
      headers: { "content-type": "application/json", "x-mcpsight-project": "x".repeat(200) },
      body: JSON.stringify({ events: [mine] }),
    });
    expect(invalid).toMatchObject({ status: 400, body: { error: { code: "invalid_batch" } } });
  });

  it("without the header, rejects events of unknown projects; 404 when no event names a known one", async () => {
    const good = makeEvent(projectId, { sessionId: "mixed-projects" });
    const res = await postBatch(url, [makeEvent("proj_typo"), good]);
    expect(res).toMatchObject({
      status: 200,
      body: { accepted: 1, rejected: [{ index: 0, code: "unknown_project", field: "projectId" }] },
    });
    const all = await postBatch(url, [makeEvent("proj_typo"), makeEvent("proj_typo2")]);
    expect(all).toMatchObject({ status: 404, body: { error: { code: "project_not_found" } } });
    // Refused from its text, before it is parsed: this body is not even JSON.
    const cut = await api(url, "/v1/batch", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"events":[{"id":"e","projectId":"proj_typo","sessionId":"s"',
    });
    expect(cut).toMatchObject({ status: 404, body: { error: { code: "project_not_found" } } });
    // A known project named anywhere, even in an event's arguments, lets the body be parsed.
    const nested = await postBatch(url, [
      makeEvent("proj_typo", { parameters: { projectId } }),
      makeEvent(projectId, { parameters: { projectId: "proj_typo" } }),
    ]);
    expect(nested).toMatchObject({ status: 200, body: { accepted: 1, rejected: [{ index: 0 }] } });
  });

  it("refuses events older than the retention and stores future ones at the receive time, marked", async () => {
    const old = makeEvent(projectId, {
      sessionId: "time",
      timestamp: new Date(Date.now() - 91 * DAY).toISOString(),
    });
    const year0 = makeEvent(projectId, { sessionId: "time", timestamp: "0000-01-01T00:00:00Z" });
    const soon = new Date(Date.now() + 2 * 60_000).toISOString(); // within the five minutes: kept
    const nearFuture = makeEvent(projectId, { sessionId: "time", timestamp: soon });
    const farFuture = makeEvent(projectId, {
      sessionId: "time",
      timestamp: "9999-12-31T23:59:59+01:00",
      properties: { plan: "pro" },
    });
    const before = Date.now();
    const res = await postBatch(url, [old, year0, nearFuture, farFuture]);
    const after = Date.now();
    expect(res).toMatchObject({
      status: 200,
      body: {
        accepted: 2,
        rejected: [
          { index: 0, code: "too_old", field: "timestamp" },
          { index: 1, code: "too_old", field: "timestamp" },
        ],
      },
    });
    const { body } = await timeline("time");
    const stored = new Map(body.events.map((e) => [e.id, e]));
    expect(stored.get(nearFuture.id)?.timestamp).toBe(soon);
    const clamped = stored.get(farFuture.id);
    expect(Date.parse(clamped?.timestamp ?? "")).toBeGreaterThanOrEqual(before);
    expect(Date.parse(clamped?.timestamp ?? "")).toBeLessThanOrEqual(after);
    expect(clamped?.properties).toEqual({
      plan: "pro",
      $mcpsight: { sentTimestamp: "9999-12-31T23:59:59+01:00" },
    });
    expect(Date.parse(body.session.lastSeen)).toBeLessThanOrEqual(after + 5 * 60_000);

    // The same rules on the MCPcat route: a 202 saying "rejected" (MCPcat does not retry it).
    const mcpcatOld = await postMcpcat({ ...old, id: "cat-old" });
    expect(mcpcatOld).toMatchObject({
      status: 202,
      body: {
        status: "rejected",
        accepted: 0,
        rejected: [{ index: 0, code: "too_old", field: "timestamp" }],
      },
    });
    const mcpcatFuture = await postMcpcat({ ...farFuture, id: "cat-future", properties: undefined });
    expect(mcpcatFuture).toMatchObject({
      status: 202,
      body: { status: "accepted", accepted: 1, rejected: [] },
    });
    const catStored = (await timeline("time")).body.events.find((e) => e.id === "cat-future");
    expect(catStored?.properties).toEqual({ $mcpsight: { sentTimestamp: "9999-12-31T23:59:59+01:00" } });
  });

  it("stores the other events when the database refuses one; 503 when it refuses every one", async () => {
    await sql(dir, database, POISON[backend.name].add);
    try {
      const batch = [
        makeEvent(projectId, { sessionId: "poison" }),
        makeEvent(projectId, { sessionId: "poison", id: "poison-1" }),
        makeEvent(projectId, { sessionId: "poison", identifyActorGivenId: "pat" }),
        makeEvent(projectId, { sessionId: "poison", isError: true, error: { message: "x" } }),
        makeEvent(projectId, { sessionId: "poison-2", stateless: true }),
      ];
      const notStored = { index: 1, code: "not_stored", field: "(event)", reason: expect.any(String) };
      expect(await postBatch(url, batch)).toMatchObject({
        status: 200,
        body: { accepted: 4, duplicates: 0, rejected: [notStored] },
      });
      // Retried (as an SDK does after a timeout): the same answer, nothing stored twice.
      expect(await postBatch(url, batch)).toMatchObject({
        status: 200,
        body: { accepted: 0, duplicates: 4, rejected: [notStored] },
      });
      const stored = await timeline("poison");
      expect(stored.body.events.map((e) => e.id).sort()).toEqual(
        [batch[0], batch[2], batch[3]].map((e) => e?.id).sort(),
      );
      expect(stored.body.session).toMatchObject({ events: 3, errors: 1, userId: "pat" });

      const everyOne = await postBatch(url, [
        makeEvent(projectId, { id: "poison-2" }),
        makeEvent(projectId, { id: "poison-3" }),
      ]);
      expect(everyOne).toMatchObject({ status: 503, body: { error: { code: "unavailable" } } });
      expect(everyOne.headers.get("retry-after")).toBe("5");
      // One event alone that the database refuses: refused, not retried forever.
      const alone = await postMcpcat(makeEvent(projectId, { id: "poison-4" }));
      expect(alone).toMatchObject({
        status: 202,
        body: { status: "rejected", rejected: [{ index: 0, code: "not_stored" }] },
      });
    } finally {
      await sql(dir, database, POISON[backend.name].drop);
    }
  });

  it("answers malformed MCPcat bodies with a 4xx naming the field, never a 500", async () => {
    const base = {
      projectId,
      sessionId: "cat-bad",
      eventType: "mcp:tools/call",
      timestamp: new Date().toISOString(),
    };
    const deep = `${"[".repeat(10_000)}${"]".repeat(10_000)}`;
    const cases: [unknown, number, string][] = [
      [{ ...base, id: "c1", isError: true, error: { message: { toString: 1 } } }, 400, "error.message"],
      [`${JSON.stringify(base).slice(0, -1)},"parameters":${deep}}`, 400, "parameters"],
      [`${JSON.stringify({ ...base, id: "c2" }).slice(0, -1)},"response":${deep}}`, 400, "response"],
      [{ ...base, id: "c3", timestamp: "2026-02-30T10:00:00Z" }, 400, "timestamp"],
      [{ ...base, id: "c4", identifyActorGivenId: { id: 1 } }, 400, "identifyActorGivenId"],
      [{ ...base, id: "c5", tags: ["a"] }, 400, "tags"],
      [{ ...base, id: "c6", duration: "fast" }, 400, "duration"],
      [{ ...base, id: "", sessionId: undefined }, 400, "id"],
      [[base], 400, "(root)"],
      ["42", 400, "(root)"],
      ["{nope", 400, "(root)"],
    ];
    const failures: string[] = [];
    for (const [body, status, field] of cases) {
      const res = await postMcpcat(body);
      const fields = ((res.body as { error?: { details?: { field: string }[] } }).error?.details ?? []).map(
        (detail) => detail.field,
      );
      if (res.status !== status || !fields.includes(field))
        failures.push(
          `${JSON.stringify(body).slice(0, 60)} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`,
        );
    }
    expect(failures).toEqual([]);
    // Without an id, one is derived from the content: a retried request is a duplicate.
    const noId = { ...base, resourceName: "derived" };
    expect((await postMcpcat(noId)).body).toMatchObject({ status: "accepted", accepted: 1 });
    expect((await postMcpcat(noId)).body).toMatchObject({ status: "accepted", accepted: 0, duplicates: 1 });
  });

  it("never answers 5xx to hostile events: every field given every kind of value, on both routes", async () => {
    const fields = [
      ...Object.keys(makeEvent(projectId)),
      "parameters",
      "response",
      "userIntent",
      "isError",
      "error",
      "identifyActorGivenId",
      "identifyActorName",
      "identifyActorData",
      "tags",
      "properties",
      "stateless",
      "correlationId",
    ];
    const deep = (depth: number): unknown => (depth === 0 ? 1 : { a: deep(depth - 1) });
    const values: unknown[] = [
      null,
      0,
      -1,
      1e308,
      true,
      "",
      "x".repeat(70_000),
      "\u0000\ud800💥",
      [],
      [null, { a: 1 }],
      {},
      { message: { toString: 1 } },
      JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1}'),
      deep(70),
      "9999-12-31T23:59:59+99:99",
    ];
    const hostile = fields.flatMap((field) =>
      values.map((value) => ({ ...makeEvent(projectId, { sessionId: "hostile" }), [field]: value })),
    );
    const failures: string[] = [];
    for (let i = 0; i < hostile.length; i += 500) {
      const res = await postBatch(url, hostile.slice(i, i + 500));
      if (res.status !== 200)
        failures.push(`batch ${i}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    }
    for (const event of hostile) {
      const res = await postMcpcat(event);
      if (
        res.status >= 500 ||
        (res.status >= 400 && res.status !== 404 && !JSON.stringify(res.body).includes('"field"'))
      )
        failures.push(`mcpcat: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    }
    const envelopes = [
      null,
      1,
      "x",
      [],
      {},
      { events: {} },
      { events: [] },
      { events: [1], droppedEvents: "x" },
    ];
    for (const envelope of envelopes) {
      const res = await api(url, "/v1/batch", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(envelope),
      });
      if (res.status !== 400) failures.push(`envelope ${JSON.stringify(envelope)}: ${res.status}`);
    }
    expect(failures).toEqual([]);
  });

  it("refuses bodies larger than the protocol allows, compressed or not, with 413", async () => {
    const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024, 32));
    const res = await api(url, "/v1/batch", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "content-encoding": "gzip",
        "x-mcpsight-project": projectId,
      },
      body: bomb,
    });
    expect(res).toMatchObject({ status: 413, body: { error: { code: "payload_too_large" } } });
    const cat = await postMcpcat(`{"pad":"${"x".repeat(2 * 1024 * 1024)}"}`);
    expect(cat).toMatchObject({ status: 413, body: { error: { code: "payload_too_large" } } });
  });
});
