// What mcpsight remembers per project across server instances. Stateless HTTP servers are often
// created per request, so per-instance state would forget everything between requests.
import { SESSION_IDLE_TIMEOUT_MS } from "@mcpsight/protocol/constants";
import { IdentifyCache } from "./identify-cache.js";
import { StatelessClients } from "./stateless-client.js";
import type { UserIdentity } from "./types.js";

const MAX_REMEMBERED = 10_000;

/** True when `next` differs from `previous` in id, name or data. */
export function identityChanged(previous: UserIdentity | undefined, next: UserIdentity): boolean {
  if (!previous) return true;
  if (previous.userId !== next.userId || previous.userName !== next.userName) return true;
  if (previous.userData === next.userData) return false;
  try {
    return comparable(previous.userData) !== comparable(next.userData);
  } catch {
    // userData that cannot be serialized (a throwing toJSON, say): counted as changed.
    return true;
  }
}

const comparable = (data: unknown): string =>
  JSON.stringify(data ?? null, (_key, value: unknown) => (typeof value === "bigint" ? `${value}n` : value));

export class ProjectMemory {
  /** Per tool name: did tools/list get the context argument (so tools/call should strip it)? */
  readonly injectedTools = new Map<string, boolean>();
  private identifyCache: IdentifyCache | undefined;
  private readonly statelessIdentities = new Map<string, { identity: UserIdentity; at: number }>();
  /** Client names announced at stateless initializes, for the requests that follow. */
  readonly statelessClients: StatelessClients;

  constructor(projectId: string) {
    this.statelessClients = new StatelessClients(projectId);
  }

  /** The project's identify cache, created by the first tracker that asks (its TTL wins). */
  identifyCacheFor(ttlMs: number | undefined): IdentifyCache | undefined {
    if (ttlMs === undefined) return undefined;
    this.identifyCache ??= new IdentifyCache(ttlMs);
    return this.identifyCache;
  }

  /**
   * Stateless requests have no session to hold an identity, so an identify event is sent when a
   * user is first seen, changes, or comes back after the session idle timeout.
   */
  noteStatelessIdentity(identity: UserIdentity, now: number): boolean {
    const known = this.statelessIdentities.get(identity.userId);
    const fresh =
      !known || identityChanged(known.identity, identity) || now - known.at > SESSION_IDLE_TIMEOUT_MS;
    this.statelessIdentities.delete(identity.userId);
    if (this.statelessIdentities.size >= MAX_REMEMBERED) {
      const oldest = this.statelessIdentities.keys().next().value;
      if (oldest !== undefined) this.statelessIdentities.delete(oldest);
    }
    this.statelessIdentities.set(identity.userId, { identity, at: now });
    return fresh;
  }
}

const memories = new Map<string, ProjectMemory>();

/** The process-wide memory of a project. */
export function projectMemory(projectId: string): ProjectMemory {
  let memory = memories.get(projectId);
  if (!memory) {
    memory = new ProjectMemory(projectId);
    memories.set(projectId, memory);
  }
  return memory;
}
