// Runs the user's identify callback safely: bounded by a timeout, its result validated, its
// failures turned into one warning each. Never throws, never rejects.
import { LIMITS } from "@mcpsight/protocol/constants";
import { clip } from "@mcpsight/protocol/sanitize";
import { IdentifyCache } from "./identify-cache.js";
import type { SdkLogger } from "./log.js";
import type { ResolvedOptions } from "./options.js";
import { fingerprint, type RequestView } from "./request-view.js";
import type { McpRequest, UserIdentity } from "./types.js";

export type IdentifyOutcome =
  | { kind: "identified"; identity: UserIdentity }
  | { kind: "anonymous" }
  | { kind: "failed"; problem: string };

const TIMED_OUT = Symbol("timed out");

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as { then?: unknown } | null)?.then === "function";

const describe = (value: unknown): string =>
  value instanceof Error ? `${value.name}: ${value.message}` : String(value);

/** Checks and copies what identify returned; undefined when it is not a usable identity. */
export function toIdentity(value: unknown): UserIdentity | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { userId, userName, userData } = value as Record<string, unknown>;
  if (typeof userId !== "string" || userId.length === 0) return undefined;
  const identity: UserIdentity = { userId: clip(userId, LIMITS.nameLength) };
  if (typeof userName === "string") identity.userName = clip(userName, LIMITS.nameLength);
  if (typeof userData === "object" && userData !== null && !Array.isArray(userData)) {
    identity.userData = userData as Record<string, unknown>;
  }
  return identity;
}

/** Calls identify with a timeout, optional cache and one warning per distinct problem. */
export class Identifier {
  private readonly cache: IdentifyCache | undefined;

  constructor(
    private readonly options: Pick<ResolvedOptions, "identify" | "identifyTimeoutMs" | "identifyCache">,
    private readonly log: SdkLogger,
    cache?: IdentifyCache,
  ) {
    this.cache = options.identifyCache
      ? (cache ?? new IdentifyCache(options.identifyCache.ttlMs))
      : undefined;
  }

  get enabled(): boolean {
    return this.options.identify !== undefined;
  }

  async run(request: McpRequest, view: RequestView): Promise<IdentifyOutcome> {
    const key = this.cache ? this.cacheKey(request, view) : undefined;
    if (key !== undefined) {
      const hit = this.cache?.get(key, Date.now());
      if (hit !== undefined) return hit ? { kind: "identified", identity: hit } : { kind: "anonymous" };
    }
    const outcome = await this.call(request, view);
    if (outcome.kind === "failed") {
      this.log.warnOnce(
        `identify:${outcome.problem.split(" ")[0]}`,
        `identify ${outcome.problem}; the request was tracked without (new) identity.`,
      );
    } else if (key !== undefined) {
      this.cache?.set(key, outcome.kind === "identified" ? outcome.identity : null, Date.now());
    }
    return outcome;
  }

  private cacheKey(request: McpRequest, view: RequestView): string | undefined {
    const custom = this.options.identifyCache?.key;
    if (!custom) return view.credentialFingerprint();
    try {
      const value = custom(request, view.forCallbacks());
      return typeof value === "string" && value ? fingerprint(value) : undefined;
    } catch (error) {
      this.log.warnOnce("identifyCache.key", `identifyCache.key threw (${describe(error)}); not caching.`);
      return undefined;
    }
  }

  private async call(request: McpRequest, view: RequestView): Promise<IdentifyOutcome> {
    const identify = this.options.identify;
    if (!identify) return { kind: "anonymous" };
    let value: unknown;
    try {
      value = identify(request, view.forCallbacks());
    } catch (error) {
      return { kind: "failed", problem: `threw (${describe(error)})` };
    }
    if (isThenable(value)) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
        timer = setTimeout(resolve, this.options.identifyTimeoutMs, TIMED_OUT);
        timer.unref?.();
      });
      try {
        value = await Promise.race([value, timeout]);
      } catch (error) {
        return { kind: "failed", problem: `rejected (${describe(error)})` };
      } finally {
        clearTimeout(timer);
      }
      if (value === TIMED_OUT) {
        return { kind: "failed", problem: `timed out after ${this.options.identifyTimeoutMs} ms` };
      }
    }
    if (value === null || value === undefined) return { kind: "anonymous" };
    const identity = toIdentity(value);
    if (!identity) {
      return {
        kind: "failed",
        problem: `returned an invalid identity (expected { userId: string, userName?, userData? }, got ${
          typeof value === "object" ? JSON.stringify(Object.keys(value as object)) : typeof value
        })`,
      };
    }
    return { kind: "identified", identity };
  }
}
