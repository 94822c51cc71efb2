import type { EventInput } from "@mcpsight/protocol";
import { eventSchema, LIMITS } from "@mcpsight/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Storage, TimeRange } from "../src/storage/index.js";
import { addValue, emptyRegisters, estimate } from "../src/storage/shared/hll.js";
import { oddEvents } from "./odd-events.js";

const T0 = Date.parse("2026-11-27T10:00:00.000Z");
const MIN = 60_000;
const RANGE: TimeRange = { from: T0 - 86_400_000, to: T0 + 86_400_000 };
const PAGE = { limit: 50, cursor: null };

/**
 * The storage contract every backend must pass. A backend's test file calls this with a factory
 * returning a fresh, empty store.
 */
export function storageSuite(name: string, factory: () => Promise<Storage>): void {
  describe(`storage contract: ${name}`, () => {
    let storage: Storage;
    let n = 0;
    const ev = (overrides: Partial<EventInput> & { at?: number } = {}) => {
      const { at = 0, ...rest } = overrides;
      n++;
      return eventSchema.parse({
        id: `e${n}`,
        projectId: "p1",
        sessionId: "s1",
        eventType: "mcp:tools/call",
        timestamp: new Date(T0 + at).toISOString(),
        resourceName: "search",
        duration: 10,
        clientName: "cli",
        ...rest,
      });
    };
    /** Stores a batch, then waits until the pass has derived it (queries read derived tables). */
    const ingest = async (...args: Parameters<Storage["ingestEvents"]>) => {
      const result = await storage.ingestEvents(...args);
      await storage.waitForDerivation(10_000);
      return result;
    };
    const sessions = (query: Partial<Parameters<Storage["listSessions"]>[1]> = {}) =>
      storage.listSessions("p1", {
        ...PAGE,
        range: RANGE,
        userId: null,
        client: null,
        tool: null,
        hasError: null,
        stateless: null,
        anonymous: null,
        ...query,
      });

    beforeEach(async () => {
      storage = await factory();
      await storage.createProject({ id: "p1", name: "One" });
      await storage.createProject({ id: "p2", name: "Two" });
    });
    afterEach(async () => {
      await storage.close();
    });

    it("completes the first start once, atomically, taking over what a crashed older version left", async () => {
      const setup = (id: string) => ({
        marker: { key: "first", value: id },
        legacyClaim: "legacy_claim",
        project: { id, name: `Project ${id}` },
        admin: {
          username: "root",
          passwordHash: `hash-${id}`,
          tokenHash: `token-${id}`,
          tokenName: "default",
        },
      });
      const results = await Promise.all([
        storage.completeFirstStart(setup("a")),
        storage.completeFirstStart(setup("b")),
      ]);
      const done = results.filter((project) => project !== null);
      expect(done).toHaveLength(1);
      const winner = done[0]?.id as string;
      expect(await storage.getSetting("first")).toBe(winner);
      expect(await storage.completeFirstStart(setup("c"))).toBeNull();
      expect((await storage.listProjects()).map((p) => p.id)).toEqual(["p1", "p2", winner]);
      expect(await storage.getAccountByUsername("root")).toMatchObject({ passwordHash: `hash-${winner}` });
      expect(await storage.getAccountByTokenHash(`token-${winner}`)).toMatchObject({
        username: "root",
        role: "admin",
      });

      // An older version killed after claiming the first start left its claim, a project and an
      // admin behind: the first start takes them over, with the new password and token.
      const other = { ...setup("d"), marker: { key: "first-again", value: "d" } };
      await storage.setSetting("legacy_claim", "2026-01-01T00:00:00.000Z");
      expect(await storage.completeFirstStart(other)).toMatchObject({ id: "p1" });
      expect(await storage.getSetting("legacy_claim")).toBeNull();
      expect(await storage.getAccountByUsername("root")).toMatchObject({ passwordHash: "hash-d" });
      expect(await storage.getAccountByTokenHash(`token-${winner}`)).toBeNull();
      expect(await storage.getAccountByTokenHash("token-d")).toMatchObject({ username: "root" });
      expect(await storage.listProjects()).toHaveLength(3);
    });

    it("fails a batch holding an event it cannot store, never counting that event as a duplicate", async () => {
      await ingest([ev({ sessionId: "known" })]);
      // A time no row can hold (validation keeps such events out; storage must not hide them).
      for (const sessionId of ["known", "unknown"]) {
        const bad = { ...ev({ sessionId }), timestamp: "2026-11-27T10:00:00+99:99" };
        await expect(storage.ingestEvents([ev({ sessionId: "known" }), bad])).rejects.toThrow();
      }
      // Nothing of the failed batches was stored.
      await storage.waitForDerivation(10_000);
      expect((await storage.getSessionTimeline("p1", "known", PAGE))?.events).toHaveLength(1);
      expect(await storage.getSessionTimeline("p1", "unknown", PAGE)).toBeNull();
    });

    it("stores events once: retried ids are counted as duplicates", async () => {
      const batch = [ev(), ev({ at: MIN })];
      expect(await ingest(batch)).toEqual({ accepted: 2, duplicates: 0 });
      expect(await ingest(batch)).toEqual({ accepted: 0, duplicates: 2 });
      const timeline = await storage.getSessionTimeline("p1", "s1", PAGE);
      expect(timeline?.events.map((e) => e.offsetMs)).toEqual([0, MIN]);
      expect(timeline?.session.events).toBe(2);
      // The same id in another project is another event.
      await ingest([{ ...batch[0], projectId: "p2" } as (typeof batch)[0]]);
      expect((await storage.getSessionTimeline("p2", "s1", PAGE))?.events).toHaveLength(1);
    });

    it("keeps each event's trace and span id for the replay, and null without them", async () => {
      const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
      await ingest([ev({ traceId, spanId: "00f067aa0ba902b7" }), ev({ at: MIN })]);
      const events = (await storage.getSessionTimeline("p1", "s1", PAGE))?.events ?? [];
      expect(events.map((e) => [e.traceId, e.spanId])).toEqual([
        [traceId, "00f067aa0ba902b7"],
        [null, null],
      ]);
    });

    it("attributes a session's earlier anonymous events when it is identified", async () => {
      await ingest([ev({ at: 0 }), ev({ at: MIN, isError: true, error: { message: "x" } })]);
      let page = await sessions();
      expect(page.items[0]?.userId).toBeNull();
      await ingest([
        ev({
          at: 2 * MIN,
          eventType: "mcpsight:identify",
          resourceName: undefined,
          identifyActorGivenId: "u1",
        }),
        ev({ at: 3 * MIN, identifyActorGivenId: "u1" }),
      ]);
      page = await sessions();
      expect(page.items[0]?.userId).toBe("u1");
      const profile = await storage.getUserProfile("p1", "u1", RANGE);
      expect(profile?.user).toMatchObject({ sessions: 1, toolCalls: 3, errors: 1, events: 4 });
      expect(profile?.topTools[0]).toMatchObject({ name: "search", calls: 3, errors: 1 });
      const timeline = await storage.getSessionTimeline("p1", "s1", PAGE);
      expect(timeline?.events.every((e) => e.userId === "u1")).toBe(true);
      expect(timeline?.events[2]?.identify).toEqual({ userId: "u1", userName: null, userData: null });
      const overview = await storage.getOverview("p1", RANGE, "hour");
      expect(overview.totals).toMatchObject({ sessions: 1, identifiedSessions: 1, anonymousSessions: 0 });
      const errors = await storage.listErrorGroups("p1", RANGE, PAGE);
      expect(errors.items[0]).toMatchObject({
        tool: "search",
        message: "x",
        count: 1,
        users: 1,
        sessions: 1,
      });
    });

    it("stores concurrent batches once each, whichever commits first", async () => {
      const first = ev({ sessionId: "s1", identifyActorGivenId: "u1" });
      const shared = ev({ sessionId: "s1", at: MIN });
      // Submitted together: a backend may write them in one transaction or in several at once.
      const results = await Promise.all([
        storage.ingestEvents([first, ev({ sessionId: "s2", identifyActorGivenId: "u2" })], 2),
        storage.ingestEvents([shared, ev({ sessionId: "s1", at: 2 * MIN, isError: true })], 1),
        storage.ingestEvents([shared, first, ev({ sessionId: "s3", at: 3 * MIN })]),
        storage.ingestEvents([ev({ sessionId: "s1", at: 4 * MIN, projectId: "p2" })]),
      ]);
      await storage.waitForDerivation(10_000);
      // Which batch stores a shared event depends on commit order; each is stored exactly once.
      const total = (key: "accepted" | "duplicates") => results.reduce((sum, r) => sum + r[key], 0);
      expect([total("accepted"), total("duplicates")]).toEqual([6, 2]);
      expect(results[3]).toEqual({ accepted: 1, duplicates: 0 });
      expect((await storage.getUserProfile("p1", "u1", RANGE))?.user).toMatchObject({
        sessions: 1,
        toolCalls: 3,
        errors: 1,
        events: 3,
      });
      expect((await sessions()).items.map((s) => [s.sessionId, s.events]).sort()).toEqual([
        ["s1", 3],
        ["s2", 1],
        ["s3", 1],
      ]);
      expect((await storage.getSessionTimeline("p2", "s1", PAGE))?.events).toHaveLength(1);
    });

    it("fails only the batch the store refuses when batches are submitted together", async () => {
      const results = await Promise.allSettled([
        storage.ingestEvents([ev({ sessionId: "a" })]),
        storage.ingestEvents([ev({ sessionId: "b" })]),
        storage.ingestEvents([ev({ sessionId: "c", projectId: "nope" })]),
        storage.ingestEvents([ev({ sessionId: "d" })]),
      ]);
      await storage.waitForDerivation(10_000);
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
      expect(String((results[2] as PromiseRejectedResult).reason)).toMatch(/unknown project nope/);
      expect((await sessions()).items.map((s) => s.sessionId).sort()).toEqual(["a", "b", "d"]);
    });

    it("counts an error group's occurrences, sessions and users within and across batches", async () => {
      const boom = (sessionId: string, at: number, userId?: string) =>
        ev({ sessionId, at, isError: true, error: { message: "boom" }, identifyActorGivenId: userId });
      await ingest([
        boom("s1", 0, "u1"),
        boom("s1", MIN, "u1"),
        boom("s2", 2 * MIN),
        // s2 is identified in the same batch: its earlier error now reaches u2 too.
        ev({ sessionId: "s2", at: 3 * MIN, identifyActorGivenId: "u2" }),
        boom("s3", 5 * MIN, "u1"),
        boom("s3", 4 * MIN, "u1"),
      ]);
      let group = (await storage.listErrorGroups("p1", RANGE, PAGE)).items[0];
      expect(group).toMatchObject({ message: "boom", count: 5, sessions: 3, users: 2 });
      expect(group?.firstSeen).toBe(new Date(T0).toISOString());
      expect(group?.lastSeen).toBe(new Date(T0 + 5 * MIN).toISOString());
      expect(group?.sample?.sessionId).toBe("s3");
      expect(group?.sample?.timestamp).toBe(new Date(T0 + 5 * MIN).toISOString());
      // An older occurrence counts but leaves the latest sample; a known session and user add nothing.
      await ingest([boom("s1", -MIN, "u1"), boom("s4", 6 * MIN)]);
      group = (await storage.listErrorGroups("p1", RANGE, PAGE)).items[0];
      expect(group).toMatchObject({ count: 7, sessions: 4, users: 2 });
      expect(group?.firstSeen).toBe(new Date(T0 - MIN).toISOString());
      expect(group?.sample?.sessionId).toBe("s4");
    });

    it("groups errors by messages as long as the protocol allows, in any script", async () => {
      const max = LIMITS.errorMessageLength;
      // Incompressible text: an index entry of it cannot be squeezed under a page's share.
      let seed = 1;
      const noise = Array.from({ length: max }, () => {
        seed = (seed * 48271) % 2147483647;
        return String.fromCharCode(33 + (seed % 94));
      }).join("");
      const cjk = Array.from({ length: max }, (_, i) =>
        String.fromCodePoint(0x4e00 + ((i * 7919) % 20000)),
      ).join("");
      const tool = "工".repeat(LIMITS.nameLength);
      const messages = [noise, `${noise.slice(0, -1)}!`, cjk];
      const fail = (message: string, at: number, sessionId = "s1") =>
        ev({ sessionId, at, resourceName: tool, isError: true, error: { message } });
      expect(await ingest(messages.map((m, i) => fail(m, i * MIN)))).toEqual({
        accepted: 3,
        duplicates: 0,
      });
      // The same messages again, in another batch and session: the same three groups.
      await ingest(messages.map((m, i) => fail(m, (i + 3) * MIN, "s2")));
      const groups = (await storage.listErrorGroups("p1", RANGE, PAGE)).items;
      expect(groups.map((g) => g.message).sort()).toEqual([...messages].sort());
      for (const group of groups) expect(group).toMatchObject({ tool, count: 2, sessions: 2 });
    });

    it("accepts a client name and version of the protocol's length in any script", async () => {
      const long = (from: number) =>
        Array.from({ length: LIMITS.nameLength }, (_, i) =>
          String.fromCodePoint(from + ((i * 7919) % 10000)),
        ).join("");
      const clientName = long(0x4e00);
      const clientVersion = `😀${long(0xac00)}`.slice(0, LIMITS.nameLength);
      const event = ev({ identifyActorGivenId: "u1", clientName, clientVersion });
      expect(await ingest([event])).toEqual({ accepted: 1, duplicates: 0 });
      // Stored whole, or (PostgreSQL: index entries are limited) cut at a character.
      const [session] = (await sessions()).items;
      expect(clientName.startsWith(session?.clientName ?? "-")).toBe(true);
      expect(clientVersion.startsWith(session?.clientVersion ?? "-")).toBe(true);
      expect(session?.clientVersion?.isWellFormed()).toBe(true);
      expect(await storage.listClientStats("p1", RANGE)).toHaveLength(1);
    });

    it("stores any event the protocol accepts, however odd its text, and finds it by its ids", async () => {
      const events = oddEvents("p1", 60).map((e) => eventSchema.parse(e));
      expect(await ingest(events.slice(0, 30))).toEqual({ accepted: 30, duplicates: 0 });
      expect(await ingest(events.slice(30))).toEqual({ accepted: 30, duplicates: 0 });
      const day = { from: Date.now() - 2 * 86_400_000, to: Date.now() + 86_400_000 };
      for (const event of events.slice(0, 12)) {
        const userId = event.identifyActorGivenId as string;
        expect(await storage.getUserProfile("p1", userId, day), "profile by user id").not.toBeNull();
        const found = await storage.listUsers("p1", {
          ...PAGE,
          range: day,
          search: [...userId].slice(0, 4).join(""),
          sort: "lastSeen",
        });
        expect(found.items.length, "search by part of the user id").toBeGreaterThan(0);
        if (event.sessionId !== undefined)
          expect(
            await storage.getSessionTimeline("p1", event.sessionId, PAGE),
            "session by id",
          ).not.toBeNull();
      }
    });

    it("stores half of an emoji as U+FFFD, so a user opens by the id sent and by the id shown", async () => {
      const userId = "user 😀".slice(0, -1); // ends in a lone high surrogate
      const sessionId = "\udc00session";
      await ingest([ev({ sessionId, identifyActorGivenId: userId, clientName: "c\ud83d" })]);
      const shown = (await storage.listUsers("p1", { ...PAGE, range: RANGE, search: null, sort: "lastSeen" }))
        .items[0]?.userId;
      expect(shown).toBe("user \ufffd");
      for (const id of [userId, shown as string])
        expect((await storage.getUserProfile("p1", id, RANGE))?.user.userId).toBe("user \ufffd");
      const [session] = (await sessions({ userId })).items;
      expect(session).toMatchObject({ sessionId: "\ufffdsession", clientName: "c\ufffd" });
      for (const id of [sessionId, session?.sessionId as string])
        expect(await storage.getSessionTimeline("p1", id, PAGE)).not.toBeNull();
    });

    it("merges user name and data: newer events win, keys are merged", async () => {
      await ingest([
        ev({
          at: 2 * MIN,
          identifyActorGivenId: "u1",
          identifyActorName: "New",
          identifyActorData: { a: 2 },
        }),
        ev({
          at: 0,
          identifyActorGivenId: "u1",
          identifyActorName: "Old",
          identifyActorData: { a: 1, b: 1 },
        }),
      ]);
      const profile = await storage.getUserProfile("p1", "u1", RANGE);
      expect(profile?.user).toMatchObject({ userName: "New", userData: { a: 2, b: 1 } });
    });

    it("groups stateless events by user and client with gaps under 30 minutes", async () => {
      const stateless = { sessionId: undefined, stateless: true };
      await ingest([
        ev({ ...stateless, at: 0, identifyActorGivenId: "u1" }),
        ev({ ...stateless, at: 20 * MIN, identifyActorGivenId: "u1" }),
        ev({ ...stateless, at: 45 * MIN, identifyActorGivenId: "u1" }), // 25 min gap: same session
        ev({ ...stateless, at: 80 * MIN, identifyActorGivenId: "u1" }), // 35 min gap: new session
        ev({ ...stateless, at: 10 * MIN, identifyActorGivenId: "u1", clientName: "other" }), // other client
        ev({ ...stateless, at: 5 * MIN, identifyActorGivenId: "u2" }), // other user
        ev({ ...stateless, at: 0 }), // anonymous: own session
        ev({ ...stateless, at: 1 * MIN }), // anonymous: own session
        ev({ ...stateless, at: 2 * MIN, correlationId: "c1" }), // correlated: together
        ev({ ...stateless, at: 3 * MIN, correlationId: "c1" }),
      ]);
      const page = await sessions({ stateless: true });
      const shape = page.items.map((s) => `${s.userId ?? "-"}/${s.clientName}/${s.events}`).sort();
      expect(shape).toEqual([
        "-/cli/1",
        "-/cli/1",
        "-/cli/2",
        "u1/cli/1",
        "u1/cli/3",
        "u1/other/1",
        "u2/cli/1",
      ]);
      // A later batch continues the open session rather than starting a new one.
      await ingest([ev({ ...stateless, at: 90 * MIN, identifyActorGivenId: "u1" })]);
      const after = await sessions({ stateless: true, userId: "u1" });
      expect(after.items.map((s) => s.events).sort()).toEqual([1, 2, 3]);
    });

    it("groups a user's stateless events without a client name on their own, gaps under 30 minutes", async () => {
      // Grouping depends on the events alone, never on what arrived first: an event without a
      // client name does not join whichever session of the user happened to be open.
      const stateless = { sessionId: undefined, stateless: true, identifyActorGivenId: "u1" };
      await ingest([
        ev({ ...stateless, at: 0, eventType: "mcp:initialize", resourceName: undefined }),
        ev({ ...stateless, at: 1 * MIN, clientName: undefined }),
        ev({ ...stateless, at: 2 * MIN, clientName: "other" }),
        ev({ ...stateless, at: 3 * MIN, clientName: undefined }),
      ]);
      await ingest([ev({ ...stateless, at: 20 * MIN, clientName: undefined })]);
      await ingest([ev({ ...stateless, at: 60 * MIN, clientName: undefined })]);
      // Another user's events are never grouped with them.
      await ingest([ev({ ...stateless, at: 61 * MIN, clientName: undefined, identifyActorGivenId: "u2" })]);
      const page = await sessions({ stateless: true });
      const shape = page.items.map((s) => `${s.userId}/${s.clientName}/${s.events}`).sort();
      expect(shape).toEqual(["u1/cli/1", "u1/null/1", "u1/null/3", "u1/other/1", "u2/null/1"]);
      const profile = await storage.getUserProfile("p1", "u1", RANGE);
      expect(profile?.user).toMatchObject({ sessions: 4, events: 6 });
    });

    it("maintains tool rollups with counts, errors and percentiles", async () => {
      const durations = [1, 2, 4, 8, 16, 32, 64, 128, 256, 1000];
      await ingest(durations.map((duration, i) => ev({ at: i * MIN, duration, isError: i === 0 })));
      await ingest([ev({ resourceName: "other", identifyActorGivenId: "u1" })]);
      const tools = await storage.listToolStats("p1", RANGE, "hour");
      const search = tools.find((t) => t.name === "search");
      expect(search).toMatchObject({ calls: 10, errors: 1, errorRate: 0.1 });
      expect(search?.p50Ms).toBeGreaterThan(14);
      expect(search?.p50Ms).toBeLessThan(18);
      expect(search?.p95Ms).toBeGreaterThan(900);
      expect(search?.p95Ms).toBeLessThan(1100);
      expect(tools.find((t) => t.name === "other")).toMatchObject({ calls: 1, uniqueUsers: 1 });
      const overview = await storage.getOverview("p1", RANGE, "day");
      expect(overview.totals).toMatchObject({ toolCalls: 11, errors: 1 });
      expect(overview.series.reduce((sum, p) => sum + p.toolCalls, 0)).toBe(11);
    });

    it("paginates users with a keyset cursor and filters sessions", async () => {
      const events = Array.from({ length: 7 }, (_, i) =>
        ev({ sessionId: `s${i}`, at: i * MIN, identifyActorGivenId: `u${i}`, isError: i === 3 }),
      );
      await ingest(events);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await storage.listUsers("p1", {
          limit: 3,
          cursor,
          range: RANGE,
          search: null,
          sort: "lastSeen",
        });
        seen.push(...page.items.map((u) => u.userId));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual(["u6", "u5", "u4", "u3", "u2", "u1", "u0"]);
      const searched = await storage.listUsers("p1", { ...PAGE, range: RANGE, search: "U3", sort: "errors" });
      expect(searched.items.map((u) => u.userId)).toEqual(["u3"]);
      expect((await sessions({ hasError: true })).items.map((s) => s.sessionId)).toEqual(["s3"]);
      expect((await sessions({ tool: "nope" })).items).toEqual([]);
      expect((await sessions({ userId: "u2" })).items.map((s) => s.sessionId)).toEqual(["s2"]);
    });

    it("searches users by a case-insensitive substring of id or name, long and short queries alike", async () => {
      await ingest([
        ev({ sessionId: "a", identifyActorGivenId: "alice_smith", identifyActorName: "Alice Smith" }),
        ev({ sessionId: "b", identifyActorGivenId: "u-2", identifyActorName: "Robert O'Brien" }),
        ev({ sessionId: "c", identifyActorGivenId: "100%_real", identifyActorName: 'Say "hi"' }),
        ev({ sessionId: "d", identifyActorGivenId: "zoë" }),
      ]);
      const search = async (text: string) =>
        (await storage.listUsers("p1", { ...PAGE, range: RANGE, search: text, sort: "lastSeen" })).items
          .map((u) => u.userId)
          .sort();
      expect(await search("SMITH")).toEqual(["alice_smith"]);
      expect(await search("o'b")).toEqual(["u-2"]);
      expect(await search("ice_s")).toEqual(["alice_smith"]);
      expect(await search('"hi"')).toEqual(["100%_real"]);
      expect(await search("0%_")).toEqual(["100%_real"]);
      expect(await search("zoë")).toEqual(["zoë"]);
      expect(await search("li")).toEqual(["alice_smith"]);
      expect(await search("%")).toEqual(["100%_real"]);
      expect(await search("nobody")).toEqual([]);
      // Renamed: the old name no longer matches, the new one does; erased: gone from search.
      await ingest([
        ev({
          sessionId: "a",
          at: MIN,
          identifyActorGivenId: "alice_smith",
          identifyActorName: "Alice Jones",
        }),
      ]);
      expect(await search("smith")).toEqual(["alice_smith"]);
      expect(await search("jones")).toEqual(["alice_smith"]);
      expect(await search("Alice Smith")).toEqual([]);
      await storage.deleteUser("p1", "alice_smith");
      expect(await search("alice")).toEqual([]);
    });

    it("counts distinct users per tool over hours and whole days, identified calls only", async () => {
      const DAY = 86_400_000;
      const day0 = Math.floor(T0 / DAY) * DAY;
      const at = (t: number) => t - T0;
      await ingest([
        // day 0, two hours: u1 twice, u2; an anonymous call
        ev({ sessionId: "a", at: at(day0 + 3_600_000), identifyActorGivenId: "u1" }),
        ev({ sessionId: "a", at: at(day0 + 7_200_000 + MIN), identifyActorGivenId: "u1" }),
        ev({ sessionId: "b", at: at(day0 + 7_200_000), identifyActorGivenId: "u2" }),
        ev({ sessionId: "anon", at: at(day0 + 7_200_000) }),
        // day 1: u1 again, u3; another tool by u4
        ev({ sessionId: "c", at: at(day0 + DAY + 5 * MIN), identifyActorGivenId: "u1" }),
        ev({ sessionId: "d", at: at(day0 + DAY + 9 * 3_600_000), identifyActorGivenId: "u3" }),
        ev({ sessionId: "e", at: at(day0 + DAY), resourceName: "fetch", identifyActorGivenId: "u4" }),
      ]);
      // An anonymous session identified later: its earlier call counts for the user.
      await ingest([ev({ sessionId: "late", at: at(day0 + DAY + 3_600_000) })]);
      await ingest([
        ev({
          sessionId: "late",
          at: at(day0 + DAY + 3_600_000 + MIN),
          eventType: "mcpsight:identify",
          resourceName: undefined,
          identifyActorGivenId: "u5",
        }),
      ]);
      const users = async (from: number, to: number) => {
        const tools = await storage.listToolStats("p1", { from, to }, "day");
        return Object.fromEntries(tools.map((t) => [t.name, t.uniqueUsers]));
      };
      expect(await users(day0, day0 + 2 * DAY)).toEqual({ search: 4, fetch: 1 });
      expect(await users(day0, day0 + DAY)).toEqual({ search: 2 });
      expect(await users(day0 + 2 * 3_600_000 + 1, day0 + 3 * 3_600_000)).toEqual({ search: 2 });
      expect(await users(day0 + 3_600_000, day0 + 2 * 3_600_000)).toEqual({ search: 1 });
      // A range of hours on both sides of a whole day.
      expect(await users(day0 - 3 * 3_600_000, day0 + 2 * DAY + 3_600_000)).toEqual({ search: 4, fetch: 1 });
      expect(await users(day0 + 2 * 3_600_000, day0 + DAY + 2 * 3_600_000)).toEqual({ search: 3, fetch: 1 });
    });

    it("counts a later call without identity for the session's stored user, by that user's id", async () => {
      await ingest([
        ev({ sessionId: "s1", resourceName: "a", identifyActorGivenId: "u1" }),
        ev({ sessionId: "s2", resourceName: "a", identifyActorGivenId: "u2" }),
      ]);
      // A later batch: calls that carry no identity (as MCPcat sends them) in the identified sessions.
      await ingest([
        ev({ sessionId: "s1", at: MIN, resourceName: "b" }),
        ev({ sessionId: "s2", at: MIN, resourceName: "b" }),
        ev({ sessionId: "s2", at: 2 * MIN, resourceName: "a" }),
      ]);
      const tools = await storage.listToolStats("p1", RANGE, "day");
      expect(Object.fromEntries(tools.map((t) => [t.name, t.uniqueUsers]))).toEqual({ a: 2, b: 2 });
      expect((await storage.getUserProfile("p1", "u2", RANGE))?.user).toMatchObject({ toolCalls: 3 });
    });

    it("reports exactly the reference HyperLogLog estimate, across batches that merge stored sketches", async () => {
      // Three batches in one hour: the first stores a sparse sketch, the next ones merge into it
      // (sparse + sparse → dense, dense + sparse), as concurrent collectors' batches would.
      const ids = Array.from({ length: 2_100 }, (_, i) => `user-${i}`);
      for (let b = 0; b < 3; b++)
        await ingest(
          ids
            .slice(b * 600, b * 600 + 900)
            .map((id, i) => ev({ sessionId: `hll-${id}`, at: i, identifyActorGivenId: id })),
        );
      const registers = emptyRegisters();
      for (const id of ids) addValue(registers, id);
      const expected = Math.round(estimate(registers));
      const tools = await storage.listToolStats("p1", RANGE, "hour");
      expect(tools.find((t) => t.name === "search")?.uniqueUsers).toBe(expected);
      expect(Math.abs(expected / ids.length - 1)).toBeLessThan(0.05);
    });

    it("lists each user's clients, filters errors by tool and links a profile's errors to their sessions", async () => {
      await ingest([
        ev({ sessionId: "a", identifyActorGivenId: "u1", clientName: "cursor", clientVersion: "1.0" }),
        ev({
          sessionId: "b",
          at: MIN,
          identifyActorGivenId: "u1",
          clientName: "claude",
          clientVersion: "2.0",
        }),
        ev({ sessionId: "b", at: 2 * MIN, isError: true, error: { message: "boom" } }),
        ev({ sessionId: "c", at: 3 * MIN, resourceName: "fetch", isError: true, error: { message: "nope" } }),
      ]);
      const list = await storage.listUsers("p1", { ...PAGE, range: RANGE, search: null, sort: "lastSeen" });
      expect(list.items[0]?.clients).toEqual([
        { name: "claude", version: "2.0" },
        { name: "cursor", version: "1.0" },
      ]);
      const all = await storage.listErrorGroups("p1", RANGE, PAGE);
      expect(all.items.map((g) => g.tool).sort()).toEqual(["fetch", "search"]);
      const fetch = await storage.listErrorGroups("p1", RANGE, { ...PAGE, tool: "fetch" });
      expect(fetch.items.map((g) => [g.tool, g.message])).toEqual([["fetch", "nope"]]);
      expect((await storage.listErrorGroups("p1", RANGE, { ...PAGE, tool: "none" })).items).toEqual([]);
      const profile = await storage.getUserProfile("p1", "u1", RANGE);
      expect(profile?.recentErrors.map((e) => [e.sessionId, e.error?.message])).toEqual([["b", "boom"]]);
    });

    it("lists intents and get_more_tools reports", async () => {
      await ingest([
        ev({ userIntent: "find shoes" }),
        ev({ resourceName: "get_more_tools", parameters: { context: "export csv" } }),
      ]);
      const all = await storage.listIntents("p1", { ...PAGE, range: RANGE, type: "all" });
      expect(all.items.map((i) => [i.type, i.intent])).toEqual(
        expect.arrayContaining([
          ["intent", "find shoes"],
          ["missing_tool", "export csv"],
        ]),
      );
      const missing = await storage.listIntents("p1", { ...PAGE, range: RANGE, type: "missing_tool" });
      expect(missing.items).toHaveLength(1);
    });

    it("erases a user, their sessions, events and share of aggregates", async () => {
      await ingest([
        ev({ sessionId: "a", identifyActorGivenId: "gone", isError: true, error: { message: "m" } }),
        ev({ sessionId: "a" }),
        ev({ sessionId: "b", identifyActorGivenId: "kept" }),
      ]);
      expect(await storage.deleteUser("p1", "gone")).toEqual({ users: 1, sessions: 1, events: 2 });
      expect(await storage.getUserProfile("p1", "gone", RANGE)).toBeNull();
      expect(await storage.getSessionTimeline("p1", "a", PAGE)).toBeNull();
      expect((await storage.listErrorGroups("p1", RANGE, PAGE)).items).toEqual([]);
      const overview = await storage.getOverview("p1", RANGE, "hour");
      expect(overview.totals).toMatchObject({ toolCalls: 1, errors: 0, sessions: 1, activeUsers: 1 });
      // The client's user count (kept as a running total) loses the erased user.
      expect(await storage.listClientStats("p1", RANGE)).toEqual([
        { name: "cli", version: null, users: 1, sessions: 1 },
      ]);
      expect(await storage.deleteUser("p1", "gone")).toBeNull();
    });

    it("applies retention to old events, sessions and users", async () => {
      await ingest([
        ev({ sessionId: "old", at: -10 * 86_400_000, identifyActorGivenId: "old-user" }),
        ev({ sessionId: "new", at: 0, identifyActorGivenId: "new-user" }),
      ]);
      const wide = { from: T0 - 30 * 86_400_000, to: T0 + 86_400_000 };
      expect((await storage.listClientStats("p1", wide))[0]).toMatchObject({ users: 2, sessions: 2 });
      const result = await storage.deleteOlderThan(T0 - 86_400_000);
      expect(result).toEqual({ events: 1, sessions: 1, users: 1 });
      expect(await storage.listClientStats("p1", wide)).toEqual([
        { name: "cli", version: null, users: 1, sessions: 1 },
      ]);
      expect(await storage.getSessionTimeline("p1", "old", PAGE)).toBeNull();
      expect(await storage.getUserProfile("p1", "new-user", RANGE)).not.toBeNull();
    });

    it("keeps a role per project for each member and lists a project's members", async () => {
      const bob = await storage.createAccount({ username: "bob", passwordHash: "h", role: "member" });
      const ann = await storage.createAccount({ username: "ann", passwordHash: "h", role: "admin" });
      await storage.setMembership(bob.id, "p1", "viewer");
      await storage.setMembership(bob.id, "p2", "admin");
      await storage.setMembership(ann.id, "p1", "admin");
      expect(await storage.listMemberships(bob.id)).toEqual([
        { projectId: "p1", role: "viewer" },
        { projectId: "p2", role: "admin" },
      ]);
      await storage.setMembership(bob.id, "p1", "admin");
      expect(await storage.listProjectMembers("p1")).toEqual([
        { username: "ann", role: "admin", accountRole: "admin" },
        { username: "bob", role: "admin", accountRole: "member" },
      ]);
      expect(await storage.removeMembership(bob.id, "p1")).toBe(true);
      expect(await storage.removeMembership(bob.id, "p1")).toBe(false);
      expect(await storage.listMemberships(bob.id)).toEqual([{ projectId: "p2", role: "admin" }]);
      expect(await storage.listProjectMembers("p2")).toEqual([
        { username: "bob", role: "admin", accountRole: "member" },
      ]);
      expect((await storage.listAccounts()).map((a) => [a.username, a.role])).toEqual([
        ["ann", "admin"],
        ["bob", "member"],
      ]);
    });

    it("stores project tokens by hash and revokes one only in its own project", async () => {
      const bob = await storage.createAccount({ username: "bob", passwordHash: "h", role: "member" });
      const made = await storage.createProjectToken({
        id: "tok_1",
        projectId: "p1",
        tokenHash: "hash-1",
        name: "grafana",
        createdBy: bob.id,
      });
      expect(made).toEqual({
        id: "tok_1",
        projectId: "p1",
        name: "grafana",
        createdAt: expect.any(String),
        createdBy: "bob",
      });
      const cli = await storage.createProjectToken({
        id: "tok_2",
        projectId: "p1",
        tokenHash: "hash-2",
        name: "cron",
        createdBy: null,
      });
      expect(cli.createdBy).toBeNull();
      expect((await storage.listProjectTokens("p1")).map((t) => t.id)).toEqual(["tok_1", "tok_2"]);
      expect(await storage.listProjectTokens("p2")).toEqual([]);
      expect(await storage.getProjectTokenByHash("hash-1")).toEqual(made);
      expect(await storage.getProjectTokenByHash("tok_1")).toBeNull();
      // Another project's id cannot revoke it.
      expect(await storage.deleteProjectToken("p2", "tok_1")).toBe(false);
      expect(await storage.deleteProjectToken("p1", "tok_1")).toBe(true);
      expect(await storage.getProjectTokenByHash("hash-1")).toBeNull();
      expect(await storage.deleteProjectToken("p1", "tok_1")).toBe(false);
    });

    it("ends every login of an account on a password change, except the one kept", async () => {
      const bob = await storage.createAccount({ username: "bob", passwordHash: "old", role: "member" });
      const ann = await storage.createAccount({ username: "ann", passwordHash: "old", role: "member" });
      await storage.createApiToken({ accountId: bob.id, tokenHash: "bob-token", name: "default" });
      const expiresAt = Date.now() + 60_000;
      for (const idHash of ["bob-1", "bob-2", "bob-3"])
        await storage.createAuthSession({ idHash, accountId: bob.id, expiresAt });
      await storage.createAuthSession({ idHash: "ann-1", accountId: ann.id, expiresAt });
      await storage.setAccountPassword(bob.id, "new", "bob-2");
      const live = async (idHash: string) =>
        (await storage.getAccountByAuthSession(idHash, Date.now()))?.username ?? null;
      expect([await live("bob-1"), await live("bob-2"), await live("bob-3"), await live("ann-1")]).toEqual([
        null,
        "bob",
        null,
        "ann",
      ]);
      expect((await storage.getAccountByUsername("bob"))?.passwordHash).toBe("new");
      // API tokens are not logins: they keep working.
      expect((await storage.getAccountByTokenHash("bob-token"))?.username).toBe("bob");
      await storage.setAccountPassword(bob.id, "newer");
      expect(await live("bob-2")).toBeNull();
    });
  });
}
