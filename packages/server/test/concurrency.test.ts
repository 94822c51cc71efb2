import { once } from "node:events";
import type { EventInput } from "@mcpsight/protocol";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { freshPostgresSchema, TEST_DATABASE_URL, type TestDatabase } from "./backends.js";
import { type CollectorProcess as Collector, startProcess, stopProcess } from "./collector-process.js";
import { ADMIN_TOKEN, api, derived, makeEvent, postBatch, removeDir, tempDir } from "./helpers.js";

const HOUR = 3_600_000;
const MIN = 60_000;
const T0 = Math.floor((Date.now() - 2 * 86_400_000) / HOUR) * HOUR;
const RANGE = `from=${new Date(T0 - HOUR).toISOString()}&to=${new Date(T0 + 12 * HOUR).toISOString()}`;

/**
 * Events for several users arranged so the outcome does not depend on arrival order: stateful
 * sessions identified part-way through, stateless identified events whose clusters each fit in
 * one 30-minute window, correlated and uncorrelated anonymous stateless events, errors, intents.
 * Every event has its own timestamp, so list orders are fully determined.
 */
function makeEvents(projectId: string): EventInput[] {
  const events: EventInput[] = [];
  let tick = 0;
  const add = (event: Partial<EventInput> & { at: number }) => {
    const { at, ...rest } = event;
    tick++;
    events.push({
      id: `ev_${events.length}`,
      projectId,
      eventType: "mcp:tools/call",
      timestamp: new Date(T0 + at + tick).toISOString(),
      resourceName: "search",
      duration: 5 + (events.length % 40) * 7,
      clientName: "cli",
      clientVersion: "1.0",
      ...rest,
    });
  };
  for (let u = 0; u < 8; u++) {
    const user = `user-${u}`;
    const base = u * 10 * MIN;
    const sessionId = `stateful-${u}`;
    add({ at: base, sessionId, eventType: "mcp:initialize", resourceName: undefined });
    add({ at: base + MIN, sessionId, resourceName: "fetch" });
    add({
      at: base + 2 * MIN,
      sessionId,
      eventType: "mcpsight:identify",
      resourceName: undefined,
      identifyActorGivenId: user,
      identifyActorName: `User ${u}`,
      identifyActorData: { plan: u % 2 ? "pro" : "free" },
    });
    add({ at: base + 3 * MIN, sessionId, identifyActorGivenId: user, userIntent: `intent ${u}` });
    add({
      at: base + 4 * MIN,
      sessionId,
      identifyActorGivenId: user,
      isError: true,
      error: { message: `boom ${u % 3}` },
    });
    for (let i = 0; i < 6; i++)
      add({
        at: 2 * HOUR + base + i * 3 * MIN,
        stateless: true,
        identifyActorGivenId: user,
        resourceName: i % 2 ? "write" : "read",
      });
    for (let i = 0; i < 4; i++)
      add({
        at: 5 * HOUR + base + i * 4 * MIN,
        stateless: true,
        identifyActorGivenId: user,
        clientName: "other",
        isError: i === 3,
      });
    add({ at: 6 * HOUR + base, stateless: true, correlationId: `corr-${u}` });
    add({
      at: 6 * HOUR + base + MIN,
      stateless: true,
      correlationId: `corr-${u}`,
      resourceName: "get_more_tools",
      parameters: { context: "export" },
    });
    add({ at: 7 * HOUR + base, stateless: true });
  }
  return events;
}

/** Deterministic shuffle, then batches of 7. */
function makeBatches(events: EventInput[]): EventInput[][] {
  const shuffled = [...events];
  let seed = 42;
  for (let i = shuffled.length - 1; i > 0; i--) {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    const j = seed % (i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j] as EventInput, shuffled[i] as EventInput];
  }
  const batches: EventInput[][] = [];
  for (let i = 0; i < shuffled.length; i += 7) batches.push(shuffled.slice(i, i + 7));
  return batches;
}

type Json = Record<string, unknown>;
/** A query answer without its freshness (when it was read differs between collectors). */
const get = async (url: string, path: string) => {
  const res = await api<Json>(url, path, { token: ADMIN_TOKEN });
  expect(res.status, path).toBe(200);
  const { freshness: _, ...body } = res.body;
  return body;
};
/** Session ids of stateless sessions derive from whichever event opened them: compare without them. */
const withoutSessionIds = (value: unknown): unknown =>
  JSON.parse(
    JSON.stringify(value, (key, v) => (key === "sessionId" || key === "nextCursor" ? undefined : v)),
  );
const sortedJson = (items: unknown[]) => items.map((item) => JSON.stringify(item)).sort();

/** Everything the query API says about the project, in a form comparable across databases. */
async function snapshot(url: string, projectId: string) {
  const base = `/api/v1/projects/${projectId}`;
  const users = (await get(url, `${base}/users?${RANGE}&limit=200`)).items as { userId: string }[];
  const sessions = (await get(url, `${base}/sessions?${RANGE}&limit=200`)).items as { sessionId: string }[];
  const timelines = [];
  for (const s of sessions) timelines.push(await get(url, `${base}/sessions/${s.sessionId}?limit=200`));
  const profiles = [];
  for (const u of users) profiles.push(await get(url, `${base}/users/${u.userId}?${RANGE}`));
  return {
    overview: await get(url, `${base}/overview?${RANGE}`),
    users,
    profiles: withoutSessionIds(profiles),
    sessions: sortedJson(withoutSessionIds(timelines) as unknown[]),
    tools: await get(url, `${base}/tools?${RANGE}`),
    clients: await get(url, `${base}/clients?${RANGE}`),
    // Groups with equal counts are listed in creation order, which follows arrival: compare as sets.
    errors: sortedJson(
      withoutSessionIds((await get(url, `${base}/errors?${RANGE}&limit=200`)).items) as unknown[],
    ),
    intents: withoutSessionIds(await get(url, `${base}/intents?${RANGE}&limit=200`)),
  };
}

const run = TEST_DATABASE_URL ? describe : describe.skip;

run("several collector processes on one PostgreSQL database", () => {
  const dirs: string[] = [];
  const databases: TestDatabase[] = [];
  const collectors: Collector[] = [];
  afterAll(async () => {
    await Promise.all(collectors.map(stopProcess));
    for (const database of databases) await database.drop();
    for (const dir of dirs) removeDir(dir);
  });
  const start = async (database: TestDatabase) => {
    const dir = tempDir();
    dirs.push(dir);
    const collector = await startProcess(dir, database.url as string);
    collectors.push(collector);
    return collector;
  };
  const projectOf = async (url: string) =>
    ((await get(url, "/api/v1/projects")).items as { id: string }[])[0]?.id as string;

  it("bootstrap an empty database once when started at the same moment", { timeout: 60_000 }, async () => {
    const database = await freshPostgresSchema();
    databases.push(database);
    const both = await Promise.all([start(database), start(database)]);
    const ids = await Promise.all(
      both.map(async (c) =>
        ((await get(c.url, "/api/v1/projects")).items as { id: string }[]).map((p) => p.id),
      ),
    );
    expect(ids[0]).toHaveLength(1);
    expect(ids[1]).toEqual(ids[0]);
    // Only the process that created the project and admin announces the first start.
    expect(both.filter((c) => c.output().includes("First start")).length).toBe(1);
    const client = new pg.Client({ connectionString: database.url?.replace(/\?.*$/, "") });
    await client.connect();
    try {
      const schema = new URL(database.url as string).searchParams.get("schema");
      const { rows } = await client.query(`SELECT username FROM ${schema}.accounts`);
      expect(rows).toEqual([{ username: "admin" }]);
    } finally {
      await client.end();
    }
  });

  it("give the same users, sessions and counts as one process", { timeout: 120_000 }, async () => {
    // Reference: one collector, batches in order.
    const single = await freshPostgresSchema();
    databases.push(single);
    const one = await start(single);
    const singleProject = await projectOf(one.url);

    // Two collectors on one database (the first one initialises it).
    const shared = await freshPostgresSchema();
    databases.push(shared);
    const a = await start(shared);
    const b = await start(shared);
    const project = await projectOf(a.url);
    expect(await projectOf(b.url)).toBe(project);

    // The same events under both project ids (ids are generated per database).
    for (const batch of makeBatches(makeEvents(singleProject)))
      expect((await postBatch(one.url, batch)).status).toBe(200);

    const batches = makeBatches(makeEvents(project));
    let accepted = 0;
    let duplicates = 0;
    // Interleaved and concurrent: batch i goes to A or B, four in flight; every fifth batch is
    // also retried on the other collector at the same time (a client retry after a timeout).
    for (let i = 0; i < batches.length; i += 4) {
      const wave = batches.slice(i, i + 4).flatMap((batch, k) => {
        const [first, other] = (i + k) % 2 === 0 ? [a, b] : [b, a];
        const sends = [postBatch(first.url, batch)];
        if ((i + k) % 5 === 0) sends.push(postBatch(other.url, batch));
        return sends;
      });
      for (const res of await Promise.all(wave)) {
        expect(res.status).toBe(200);
        accepted += res.body.accepted as number;
        duplicates += res.body.duplicates as number;
      }
    }
    const total = batches.reduce((sum, batch) => sum + batch.length, 0);
    expect(accepted).toBe(total);
    expect(accepted + duplicates).toBe(
      total + batches.filter((_, i) => i % 5 === 0).reduce((sum, batch) => sum + batch.length, 0),
    );

    // One pass per database derives what both collectors stored.
    await derived(one.url);
    await derived(a.url);
    const expected = await snapshot(one.url, singleProject);
    // Both collectors answer the same, and the same as the single process.
    expect(await snapshot(a.url, project)).toEqual(expected);
    expect(await snapshot(b.url, project)).toEqual(expected);
    // Sanity: the fixture produced what it is meant to exercise.
    const overview = expected.overview as { totals: { sessions: number; activeUsers: number } };
    expect(overview.totals.activeUsers).toBe(8);
    expect(expected.users).toHaveLength(8);
  });

  it("run the pass in one collector; another takes over when its holder dies", {
    timeout: 120_000,
  }, async () => {
    const database = await freshPostgresSchema();
    databases.push(database);
    const leads = async (c: Collector) =>
      ((await api<{ derivation: { recent: unknown } }>(c.url, "/healthz")).body.derivation.recent ?? null) !==
      null;
    const a = await start(database);
    // The first collector takes the pass lock at start.
    for (let i = 0; !(await leads(a)); i++) {
      expect(i, "the first collector never ran the pass").toBeLessThan(200);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const b = await start(database);
    expect(await leads(b)).toBe(false);
    const project = await projectOf(b.url);
    const event = (i: number) =>
      makeEvent(project, { sessionId: `takeover-${i % 3}`, identifyActorGivenId: "taker" });
    expect((await postBatch(b.url, [event(0), event(1)])).status).toBe(200);
    await derived(b.url);
    // The holder dies without letting go (its connection ends): the other takes over.
    a.child.kill("SIGKILL");
    await once(a.child, "exit");
    expect((await postBatch(b.url, [event(2), event(3), event(4)])).status).toBe(200);
    await derived(b.url);
    expect(await leads(b)).toBe(true);
    const user = await get(b.url, `/api/v1/projects/${project}/users/taker`);
    expect(user).toMatchObject({ user: { events: 5, sessions: 3 } });
  });
});
