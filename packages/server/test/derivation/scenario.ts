import type { EventInput } from "@mcpsight/protocol";
import type { DeriveEvent } from "../../src/storage/derive/index.js";

export type EventFacts = Omit<DeriveEvent, "pk">;

/** A small seeded PRNG (mulberry32), so a failing case can be replayed from its seed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const T0 = Date.parse("2026-11-27T10:00:00.000Z");
const MIN = 60_000;

/** A fact with the defaults of a plain anonymous stateful tool call. */
export function fact(overrides: Partial<EventFacts> & { id: string }): EventFacts {
  return {
    ts: T0,
    type: "mcp:tools/call",
    tool: "search",
    duration: 10,
    isError: false,
    errorKey: null,
    sessionId: "s1",
    stateless: false,
    correlationId: null,
    actorId: null,
    actorName: null,
    actorData: null,
    clientName: "cli",
    clientVersion: "1.0",
    serverName: "srv",
    serverVersion: "2.0",
    ...overrides,
  };
}

/**
 * A random set of events covering every derivation rule: stateful sessions that are anonymous,
 * identified late, identified by two users in turn, or that name their client late; stateless
 * events of users and clients (with and without a client name) spaced around the 30-minute gap;
 * correlated and lone anonymous stateless events; errors; equal timestamps; profile names and data.
 */
export function scenario(seed: number, sessions = 12): EventFacts[] {
  const rnd = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const out: EventFacts[] = [];
  let n = 0;
  const id = () => `e${seed}_${String(n++).padStart(4, "0")}${pick(["", "a", "Z", "é"])}`;
  const users = ["u1", "u2", "u3", "u4"];
  const tools = ["search", "fetch", ""] as const;
  const messages = ["boom", "nope"];
  const toolCall = (ts: number, extra: Partial<EventFacts>): EventFacts => {
    const tool = pick(tools);
    const isError = rnd() < 0.2;
    const message = pick(messages);
    return fact({
      id: id(),
      ts,
      tool,
      duration: rnd() < 0.1 ? null : Math.floor(rnd() * 3000),
      isError,
      errorKey: isError ? { tool: tool || "mcp:tools/call", message } : null,
      ...extra,
    });
  };
  const profile = (user: string): Partial<EventFacts> => ({
    actorId: user,
    actorName: rnd() < 0.4 ? pick(["Ann", "Bob", "", "Cy"]) : null,
    actorData:
      rnd() < 0.4 ? Object.fromEntries([[pick(["plan", "team", "seats"]), pick([1, 2, "x", null])]]) : null,
  });
  const client = (): Partial<EventFacts> =>
    rnd() < 0.15
      ? { clientName: null, clientVersion: null }
      : { clientName: pick(["cli", "cursor"]), clientVersion: pick(["1.0", "1.1", null]) };

  for (let s = 0; s < sessions; s++) {
    const sessionId = `s${s}`;
    let ts = T0 + Math.floor(rnd() * 180) * MIN;
    const length = 1 + Math.floor(rnd() * 8);
    const kind = pick(["anonymous", "late", "identified", "two users", "late client"] as const);
    const [first, second] = [pick(users), pick(users)];
    const base = { sessionId, ...client() };
    for (let i = 0; i < length; i++) {
      // Equal timestamps now and then: the event id breaks the tie.
      ts += rnd() < 0.2 ? 0 : Math.floor(rnd() * 5 * MIN);
      let who: Partial<EventFacts> = {};
      if (kind === "identified" || (kind === "late" && i >= length / 2)) who = profile(first);
      // Calls without identity in an identified session (as the MCPcat SDK sends them).
      if (kind === "identified" && i > 0 && rnd() < 0.3) who = {};
      if (kind === "two users") who = profile(i < length / 2 ? first : second);
      if (kind === "late client" && i === 0) Object.assign(who, { clientName: null, clientVersion: null });
      if (kind === "late client" && i > 0) Object.assign(who, { clientName: "late", clientVersion: "9" });
      if (i === 0 && rnd() < 0.5)
        out.push(fact({ id: id(), ts, type: "mcp:initialize", tool: null, ...base, ...who }));
      else out.push(toolCall(ts, { ...base, ...who }));
    }
  }
  // Stateless: each user's requests spaced so that some gaps are just under or over 30 minutes.
  for (const user of users.slice(0, 3)) {
    let ts = T0 + Math.floor(rnd() * 60) * MIN;
    for (let i = 0; i < 10; i++) {
      ts += pick([0, 1, 10, 29, 30, 31, 45]) * MIN;
      out.push(toolCall(ts, { sessionId: null, stateless: true, ...profile(user), ...client() }));
    }
  }
  for (const correlationId of ["c1", "c2"]) {
    let ts = T0 + Math.floor(rnd() * 60) * MIN;
    for (let i = 0; i < 5; i++) {
      ts += pick([1, 29, 31]) * MIN;
      out.push(toolCall(ts, { sessionId: null, stateless: true, correlationId, ...client() }));
    }
  }
  for (let i = 0; i < 3; i++) out.push(toolCall(T0 + i * MIN, { sessionId: null, stateless: true }));
  return out;
}

/**
 * Delivers events as SDKs and collectors may: shuffled (a retry or a slow batch arrives late),
 * in batches of random size, some batches sent twice, with derivation chunks of random size
 * interleaved. `ingest` returns nothing useful to the caller; `derive` derives one chunk.
 */
export async function deliverShuffled(
  seed: number,
  events: EventFacts[],
  store: { ingest(batch: EventFacts[]): unknown; derive(limit: number): Promise<unknown> },
): Promise<void> {
  const rnd = random(seed * 7919 + 1);
  const order = [...events];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [order[i], order[j]] = [order[j] as EventFacts, order[i] as EventFacts];
  }
  const sent: EventFacts[][] = [];
  for (let i = 0; i < order.length; ) {
    const size = 1 + Math.floor(rnd() * 15);
    const batch = order.slice(i, i + size);
    i += size;
    await store.ingest(batch);
    sent.push(batch);
    if (rnd() < 0.2) await store.ingest(sent[Math.floor(rnd() * sent.length)] as EventFacts[]);
    if (rnd() < 0.5) await store.derive(1 + Math.floor(rnd() * 20));
  }
}

/** The event as an SDK would send it (protocol fields), so a real store derives the same facts. */
export function toEventInput(f: EventFacts, projectId: string): EventInput {
  const optional = <T>(value: T | null): T | undefined => (value === null ? undefined : value);
  return {
    id: f.id,
    projectId,
    eventType: f.type,
    timestamp: new Date(f.ts).toISOString(),
    sessionId: optional(f.sessionId),
    stateless: f.stateless || undefined,
    correlationId: optional(f.correlationId),
    resourceName: optional(f.tool),
    duration: optional(f.duration),
    isError: f.isError || undefined,
    error: f.errorKey ? { message: f.errorKey.message } : undefined,
    identifyActorGivenId: optional(f.actorId),
    identifyActorName: optional(f.actorName),
    identifyActorData: optional(f.actorData),
    clientName: optional(f.clientName),
    clientVersion: optional(f.clientVersion),
    serverName: optional(f.serverName),
    serverVersion: optional(f.serverVersion),
  };
}
