// Session ids. Stateful HTTP sessions are derived from the transport's session id (Mcp-Session-Id)
// and the project id, so every process serving the same MCP session reports the same id; stdio and
// in-memory connections get one random id per connection. Idle sessions end after 30 minutes.
import { createHash, randomUUID } from "node:crypto";
import { SESSION_IDLE_TIMEOUT_MS } from "@mcpsight/protocol/constants";
import type { NameVersion } from "./client-info.js";
import { isHttpTransport } from "./detect.js";
import type { RequestView } from "./request-view.js";
import type { UserIdentity } from "./types.js";

/** What mcpsight remembers about one stateful session. */
export interface SessionState {
  readonly id: string;
  lastSeen: number;
  /** The identity attached to the session's events, once known. */
  identity: UserIdentity | undefined;
  /** identify has run (or is running) for this session; it does not run again unless the credential changes. */
  identified: boolean;
  /** Fingerprint of the credential identify ran with. */
  credential: string | undefined;
  /** The identify in flight: resolves to the identity it gave the session (or the previous one when it failed). */
  pending: Promise<UserIdentity | undefined> | undefined;
  clientInfo: NameVersion | undefined;
}

/** Where a request belongs: a stateful session, or none (stateless). */
export type SessionRef = StatefulRef | { stateless: true; state: undefined };
type StatefulRef = { readonly stateless: false; readonly state: SessionState };

const STATELESS: SessionRef = { stateless: true, state: undefined };
/** Most HTTP sessions remembered per project; beyond it the least recently active is forgotten. */
export const MAX_HTTP_SESSIONS = 10_000;

/** Deterministic session id for a transport session id within a project. */
export function deriveSessionId(projectId: string, transportSessionId: string, generation = 0): string {
  const hash = createHash("sha256").update(projectId).update("\0").update(transportSessionId);
  if (generation > 0) hash.update("\0").update(String(generation));
  return `ses_${hash.digest("hex").slice(0, 32)}`;
}

const newState = (id: string, now: number): SessionState => ({
  id,
  lastSeen: now,
  identity: undefined,
  identified: false,
  credential: undefined,
  pending: undefined,
  clientInfo: undefined,
});

const statefulRef = (state: SessionState): StatefulRef => ({ stateless: false, state });

/**
 * Sessions of one project. Shared by every server tracked with that project id in this process.
 * HTTP sessions are kept in least-recently-active order, so sessions idle past the timeout are
 * dropped from the front as new ones arrive, and the store never holds more than `maxSessions`
 * (a server with more concurrent sessions forgets the quietest; it re-identifies if it returns).
 */
export class SessionStore {
  // Refs are kept with their state, so resolving a known session allocates nothing.
  private readonly byTransportId = new Map<string, { ref: StatefulRef; generation: number }>();
  private readonly byConnection = new WeakMap<object, StatefulRef>();

  constructor(
    private readonly projectId: string,
    private readonly idleMs = SESSION_IDLE_TIMEOUT_MS,
    private readonly maxSessions = MAX_HTTP_SESSIONS,
  ) {}

  /** HTTP sessions currently remembered. */
  get size(): number {
    return this.byTransportId.size;
  }

  /**
   * Finds or starts the session of a request. `connection` identifies a stdio/in-memory connection
   * (the server's transport). `forceStateless` is the `stateless` option.
   */
  resolve(
    view: RequestView,
    connection: unknown,
    forceStateless: boolean | undefined,
    now: number,
  ): SessionRef {
    if (forceStateless === true) return STATELESS;
    const transportId = view.sessionId;
    if (transportId !== undefined) return this.byTransport(transportId, now);
    if (forceStateless !== false && (view.isHttp || isHttpTransport(connection))) return STATELESS;
    const key = typeof connection === "object" && connection !== null ? connection : this;
    let ref = this.byConnection.get(key);
    if (ref === undefined || now - ref.state.lastSeen > this.idleMs) {
      ref = statefulRef(newState(`ses_${randomUUID().replaceAll("-", "")}`, now));
      this.byConnection.set(key, ref);
    }
    ref.state.lastSeen = now;
    return ref;
  }

  /** The session of a transport session id, if one is known (for custom events). */
  peek(transportSessionId: string): SessionState | undefined {
    return this.byTransportId.get(transportSessionId)?.ref.state;
  }

  private byTransport(transportId: string, now: number): StatefulRef {
    let entry = this.byTransportId.get(transportId);
    if (entry === undefined) {
      this.evict(now);
      entry = {
        ref: statefulRef(newState(deriveSessionId(this.projectId, transportId), now)),
        generation: 0,
      };
    } else {
      // Re-inserted below, so the map stays ordered from least to most recently active.
      this.byTransportId.delete(transportId);
      if (now - entry.ref.state.lastSeen > this.idleMs) {
        entry.generation += 1;
        entry.ref = statefulRef(
          newState(deriveSessionId(this.projectId, transportId, entry.generation), now),
        );
      }
    }
    entry.ref.state.lastSeen = now;
    this.byTransportId.set(transportId, entry);
    return entry.ref;
  }

  /** Drops idle sessions from the front, and the least recently active while at the cap. O(evicted). */
  private evict(now: number): void {
    for (const [key, entry] of this.byTransportId) {
      if (this.byTransportId.size < this.maxSessions && now - entry.ref.state.lastSeen <= this.idleMs) return;
      this.byTransportId.delete(key);
    }
  }
}

const stores = new Map<string, SessionStore>();

/** The process-wide session store of a project. */
export function sessionStoreFor(projectId: string): SessionStore {
  let store = stores.get(projectId);
  if (!store) {
    store = new SessionStore(projectId);
    stores.set(projectId, store);
  }
  return store;
}
