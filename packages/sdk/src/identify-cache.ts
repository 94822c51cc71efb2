import type { UserIdentity } from "./types.js";

interface Entry {
  identity: UserIdentity | null;
  expiresAt: number;
}

/**
 * Identify results per credential fingerprint, for `ttlMs`. Keys are hashes, never secrets.
 * Bounded: the oldest entries go first when it is full.
 */
export class IdentifyCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  /** The cached identity (null = anonymous), or undefined on a miss or an expired entry. */
  get(key: string, now: number): UserIdentity | null | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.identity;
  }

  set(key: string, identity: UserIdentity | null, now: number): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { identity, expiresAt: now + this.ttlMs });
  }
}
