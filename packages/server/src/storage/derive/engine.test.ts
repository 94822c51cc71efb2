import { describe, expect, it } from "vitest";
import { MemoryStore } from "../../../test/derivation/memory-store.js";
import { referenceProjection } from "../../../test/derivation/reference.js";
import { deliverShuffled, type EventFacts, fact, scenario, T0 } from "../../../test/derivation/scenario.js";
import { statelessSessionId } from "./placement.js";

const MIN = 60_000;
const withPks = (events: EventFacts[]) => events.map((e, i) => ({ ...e, pk: i + 1 }));

async function derived(batches: EventFacts[][], chunk = Number.POSITIVE_INFINITY): Promise<MemoryStore> {
  const store = new MemoryStore();
  for (const batch of batches) {
    store.ingest(batch);
    await store.deriveAll(chunk);
  }
  return store;
}

describe("derivation rules", () => {
  it("attributes a session's events to the latest identification before them, the first one before any", async () => {
    const store = await derived([
      [
        fact({ id: "a", ts: T0 }),
        fact({ id: "b", ts: T0 + MIN, actorId: "u1" }),
        fact({ id: "c", ts: T0 + 2 * MIN }),
        fact({ id: "d", ts: T0 + 3 * MIN, actorId: "u2" }),
        fact({ id: "e", ts: T0 + 4 * MIN }),
      ],
    ]);
    const p = store.projection();
    expect(Object.fromEntries(Object.entries(p.links).map(([id, [, user]]) => [id, user]))).toEqual({
      a: "u1",
      b: "u1",
      c: "u1",
      d: "u2",
      e: "u2",
    });
    expect(p.sessions.s1?.userId).toBe("u2");
    expect(p.users.u1).toMatchObject({ events: 3, sessions: 1, toolCalls: 3 });
    expect(p.users.u2).toMatchObject({ events: 2, sessions: 1 });
  });

  it("counts a stateful session re-identified by a new credential once for each user, however its events are chunked", async () => {
    // As the SDK sends it: initialize (no user yet), then an identify marker with each credential's
    // first request, every later event carrying the current user.
    const identify = { type: "mcpsight:identify", tool: null };
    const events = [
      fact({ id: "e1", ts: T0, type: "mcp:initialize", tool: null }),
      fact({ id: "e2", ts: T0 + MIN, ...identify, actorId: "u_keya" }),
      fact({ id: "e3", ts: T0 + MIN, actorId: "u_keya" }),
      fact({ id: "e4", ts: T0 + 2 * MIN, ...identify, actorId: "u_keyb" }),
      fact({ id: "e5", ts: T0 + 2 * MIN, actorId: "u_keyb" }),
      fact({ id: "e6", ts: T0 + 3 * MIN, actorId: "u_keyb" }),
    ];
    for (const batches of [
      [events],
      [[0], [1, 2], [3, 4], [5]].map((b) => b.map((i) => events[i] as EventFacts)),
    ]) {
      const p = (await derived(batches)).projection();
      expect(p.sessions.s1?.userId).toBe("u_keyb");
      expect(p.users.u_keya).toMatchObject({ sessions: 1, events: 3, toolCalls: 1 });
      expect(p.users.u_keyb).toMatchObject({ sessions: 1, events: 3, toolCalls: 2 });
      expect(p).toEqual(referenceProjection("p1", withPks(events)));
    }
  });

  it("takes each client and server field from the earliest event that has it", async () => {
    const store = await derived([
      [
        fact({ id: "b", ts: T0 + MIN, clientName: "late", clientVersion: "2", serverName: null }),
        fact({
          id: "a",
          ts: T0,
          clientName: null,
          clientVersion: "1",
          serverName: null,
          serverVersion: null,
        }),
        fact({ id: "c", ts: T0 + 2 * MIN, serverName: "srv", serverVersion: "9" }),
      ],
    ]);
    expect(store.projection().sessions.s1).toMatchObject({
      clientName: "late",
      clientVersion: "1",
      serverName: "srv",
      serverVersion: "2.0",
    });
  });

  it("splits a stateless group where a gap exceeds 30 minutes and names each part by its earliest event", async () => {
    const stateless = { sessionId: null, stateless: true, actorId: "u1" };
    const store = await derived([
      [
        fact({ id: "x1", ts: T0, ...stateless }),
        fact({ id: "x2", ts: T0 + 30 * MIN, ...stateless }),
        fact({ id: "x3", ts: T0 + 61 * MIN, ...stateless }),
        fact({ id: "y1", ts: T0, ...stateless, clientName: "other" }),
      ],
    ]);
    const sessions = store.projection().sessions;
    expect(Object.keys(sessions).sort()).toEqual(
      ["x1", "x3", "y1"].map((id) => statelessSessionId("p1", id)).sort(),
    );
    expect(sessions[statelessSessionId("p1", "x1")]).toMatchObject({
      events: 2,
      userId: "u1",
      stateless: true,
    });
  });

  it("merges two stateless sessions when a late event bridges them, and renames a session an earlier event joins", async () => {
    const stateless = { sessionId: null, stateless: true, actorId: "u1" };
    const store = await derived([
      [
        fact({ id: "a", ts: T0 + 40 * MIN, ...stateless }),
        fact({ id: "b", ts: T0 + 80 * MIN, ...stateless }),
      ],
      [fact({ id: "bridge", ts: T0 + 60 * MIN, ...stateless })],
      [
        fact({
          id: "early",
          ts: T0 + 20 * MIN,
          ...stateless,
          isError: true,
          errorKey: { tool: "search", message: "m" },
        }),
      ],
    ]);
    const p = store.projection();
    expect(Object.keys(p.sessions)).toEqual([statelessSessionId("p1", "early")]);
    expect(p.users.u1).toMatchObject({ sessions: 1, events: 4 });
    expect(p.errors["search|m"]?.sessions).toEqual([statelessSessionId("p1", "early")]);
    expect(Object.values(p.sessionHours).reduce((n, h) => n + h.sessions, 0)).toBe(1);
  });

  it("merges a profile the same way in any order: newest name, newest value per data key", async () => {
    const events = [
      fact({ id: "a", ts: T0, actorId: "u1", actorName: "Old", actorData: { a: 1, b: 1 } }),
      fact({ id: "b", ts: T0 + MIN, actorId: "u1", actorName: "New", actorData: { a: 2 } }),
      fact({ id: "c", ts: T0 + 2 * MIN, actorId: "u1", actorName: "", actorData: { b: 3 } }),
    ];
    for (const order of [
      [0, 1, 2],
      [2, 1, 0],
      [1, 2, 0],
    ]) {
      const store = await derived(order.map((i) => [events[i] as EventFacts]));
      expect(store.projection().users.u1).toMatchObject({ userName: "New", userData: { a: 2, b: 3 } });
    }
  });

  it("appends events that come after a session's last one without reading its stored events", async () => {
    const store = await derived([
      [fact({ id: "a", ts: T0, actorId: "u1" })],
      [fact({ id: "b", ts: T0 + MIN }), fact({ id: "c", ts: T0 + 2 * MIN, actorId: "u1" })],
    ]);
    const [, second] = store.applied;
    expect(second?.sessions.update).toHaveLength(1);
    expect(second?.links.fresh.eventPks).toEqual([2, 3]);
    expect(second?.links.moved.eventPks).toEqual([]);
    expect(second?.users.update[0]).toMatchObject({ events: 2, sessions: 0 });
    expect(second?.recompute.users).toEqual([]);
  });

  it("rebuilds a session when a late identification moves stored events to another user, then recomputes that user", async () => {
    const events = [
      fact({ id: "a", ts: T0, actorId: "u1" }),
      fact({ id: "c", ts: T0 + 2 * MIN }),
      fact({ id: "b", ts: T0 + MIN, actorId: "u2", type: "mcpsight:identify", tool: null }),
    ];
    const store = await derived([events.slice(0, 2), events.slice(2)]);
    expect(store.applied[1]?.recompute.users).toHaveLength(1);
    const p = store.projection();
    expect(p.links.c).toEqual(["s1", "u2"]);
    expect(p.users.u1).toMatchObject({ events: 1, toolCalls: 1, sessions: 1 });
    expect(p.users.u2).toMatchObject({ events: 2, toolCalls: 1, sessions: 1 });
    expect(p).toEqual(referenceProjection("p1", withPks(events)));
  });

  it("drops events of an erased user or session sent before the erasure, and keeps later ones", async () => {
    const store = new MemoryStore();
    store.erasedUsers.set("gone", T0 + MIN);
    store.erasedSessions.set("old", T0 + MIN);
    store.ingest([
      fact({ id: "a", ts: T0, actorId: "gone", sessionId: "x" }),
      fact({ id: "b", ts: T0, sessionId: "old" }),
      fact({ id: "c", ts: T0 + 2 * MIN, actorId: "gone", sessionId: "y" }),
    ]);
    await store.deriveAll();
    const p = store.projection();
    expect(Object.keys(p.links)).toEqual(["c"]);
    expect(p.users.gone).toMatchObject({ events: 1 });
    expect(store.applied[0]?.droppedEvents).toEqual([1, 2]);
  });
});

describe("derivation is a function of the set of events", () => {
  const seeds = Array.from({ length: 60 }, (_, i) => i + 1);

  it.each(seeds)("seed %i: one chunk in ingest order equals the reference", async (seed) => {
    const events = scenario(seed);
    const store = await derived([events]);
    expect(store.projection()).toEqual(referenceProjection("p1", withPks(events)));
  });

  it.each(seeds)(
    "seed %i: shuffled, batched, retried and derived in small chunks equals the reference",
    async (seed) => {
      const events = scenario(seed);
      const store = new MemoryStore();
      await deliverShuffled(seed, events, store);
      await store.deriveAll(7);
      expect(store.pending).toBe(0);
      expect(store.projection()).toEqual(referenceProjection("p1", withPks(events)));
    },
  );

  it("takes the fast path for events that arrive in order: no stored event is read back", async () => {
    const events: EventFacts[] = [];
    for (let minute = 0; minute < 120; minute++)
      for (let s = 0; s < 5; s++) {
        const ts = T0 + minute * MIN;
        events.push(fact({ id: `s${s}-${minute}`, ts, sessionId: `s${s}`, actorId: s < 3 ? `u${s}` : null }));
        if (minute % 7 === 0)
          events.push(
            fact({ id: `g${s}-${minute}`, ts, sessionId: null, stateless: true, actorId: `u${s}` }),
          );
      }
    const store = await derived(events.map((e) => [e]));
    expect(store.applied).toHaveLength(events.length);
    expect(store.sessionReads).toBe(0);
    expect(store.applied.every((ws) => ws.recompute.users.length === 0)).toBe(true);
    expect(store.projection()).toEqual(referenceProjection("p1", withPks(events)));
  });
});
