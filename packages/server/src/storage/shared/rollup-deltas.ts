import { bucketOf, type Histogram } from "../histogram.js";
import { floorTo, HOUR_MS } from "../time.js";
import type { Register } from "./hll.js";
import { Lookup } from "./lookup.js";
import { ToolUserDeltas } from "./tool-users.js";

/** What a session contributes to the hourly session and client rollups. */
export interface RollupKey {
  hour: number;
  identified: boolean;
  clientName: string;
  clientVersion: string;
}

export const rollupKeyOf = (s: {
  firstSeen: number;
  userPk: number | null;
  clientName: string | null;
  clientVersion: string | null;
}): RollupKey => ({
  hour: floorTo(s.firstSeen, HOUR_MS),
  identified: s.userPk !== null,
  clientName: s.clientName ?? "",
  clientVersion: s.clientVersion ?? "",
});

export interface ToolHourDelta {
  hour: number;
  tool: string;
  calls: number;
  errors: number;
  /** Duration bucket → calls (see histogram.ts). */
  histogram: Histogram;
}
export interface UserToolDelta {
  userPk: number;
  tool: string;
  calls: number;
  errors: number;
  first: number;
  last: number;
}
export interface UserClientDelta {
  userPk: number;
  name: string;
  version: string;
  first: number;
  last: number;
}
export interface SessionHourDelta {
  hour: number;
  sessions: number;
  identified: number;
}
export interface ClientHourDelta {
  hour: number;
  name: string;
  version: string;
  sessions: number;
}

const SEP = "\u0000";
/** Numbers in keys are zero-padded, so that key order is numeric order. */
const pad = (n: number): string => String(n).padStart(15, "0");

/** A map's values in key order: concurrent writers (PostgreSQL) then lock rows in the same order. */
export const inKeyOrder = <T>(map: Map<string, T>): T[] =>
  [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, value]) => value);

/**
 * A chunk's additions to the rollup tables, accumulated in memory by the derivation engine and
 * written once by the backend (`writeRollups` in each backend's `derive/rollups.ts`). Erasure uses
 * the same deltas with a negative sign.
 */
export class BaseRollupDeltas {
  readonly tools = new Map<string, ToolHourDelta>();
  readonly userTools = new Map<string, UserToolDelta>();
  readonly userClients = new Map<string, UserClientDelta>();
  readonly sessionHours = new Map<number, SessionHourDelta>();
  readonly clientHours = new Map<string, ClientHourDelta>();
  readonly toolUsers = new ToolUserDeltas();
  private readonly toolLookup = new Lookup<ToolHourDelta>();
  private readonly userToolLookup = new Lookup<UserToolDelta>();
  private readonly userClientLookup = new Lookup<UserClientDelta>();
  private readonly clientHourLookup = new Lookup<ClientHourDelta>();

  private toolHour(hour: number, tool: string): ToolHourDelta {
    let entry = this.toolLookup.get(hour, tool);
    if (!entry) {
      entry = { hour, tool, calls: 0, errors: 0, histogram: {} };
      this.tools.set(`${pad(hour)}${SEP}${tool}`, entry);
      this.toolLookup.set(hour, tool, undefined, entry);
    }
    return entry;
  }

  /** Adds (sign 1) or removes (sign -1) tool calls with their duration histogram. */
  toolCalls(hour: number, tool: string, calls: number, errors: number, histogram: Histogram, sign = 1): void {
    const entry = this.toolHour(hour, tool);
    entry.calls += sign * calls;
    entry.errors += sign * errors;
    for (const key in histogram) {
      const bucket = Number(key);
      entry.histogram[bucket] = (entry.histogram[bucket] ?? 0) + sign * (histogram[bucket] as number);
    }
  }

  /** One tool call (the per-event path: no histogram object). */
  toolCall(hour: number, tool: string, isError: boolean, duration: number | null | undefined): void {
    const entry = this.toolHour(hour, tool);
    entry.calls += 1;
    if (isError) entry.errors += 1;
    if (duration !== undefined && duration !== null) {
      const bucket = bucketOf(duration);
      entry.histogram[bucket] = (entry.histogram[bucket] ?? 0) + 1;
    }
  }

  userTool(userPk: number, tool: string, calls: number, errors: number, first: number, last: number): void {
    const entry = this.userToolLookup.get(userPk, tool);
    if (!entry) {
      const created = { userPk, tool, calls, errors, first, last };
      this.userTools.set(`${pad(userPk)}${SEP}${tool}`, created);
      this.userToolLookup.set(userPk, tool, undefined, created);
    } else {
      entry.calls += calls;
      entry.errors += errors;
      entry.first = Math.min(entry.first, first);
      entry.last = Math.max(entry.last, last);
    }
  }

  /** An identified user's tool call, for the distinct-user sketches (`register`: registerOf(user id)). */
  toolUser(ts: number, tool: string, register: Register): void {
    this.toolUsers.addRegister(ts, tool, register);
  }

  userClient(userPk: number, name: string | null, version: string | null, first: number, last: number): void {
    const entry = this.userClientLookup.get(userPk, name ?? "", version ?? "");
    if (!entry) {
      const created = { userPk, name: name ?? "", version: version ?? "", first, last };
      this.userClients.set(`${pad(userPk)}${SEP}${created.name}${SEP}${created.version}`, created);
      this.userClientLookup.set(userPk, created.name, created.version, created);
    } else {
      entry.first = Math.min(entry.first, first);
      entry.last = Math.max(entry.last, last);
    }
  }

  /** Moves a session's contribution from `before` to `after` in the hourly session rollups. */
  session(before: RollupKey | null, after: RollupKey | null): void {
    if (
      before &&
      after &&
      before.hour === after.hour &&
      before.identified === after.identified &&
      before.clientName === after.clientName &&
      before.clientVersion === after.clientVersion
    )
      return;
    if (before) this.sessionContribution(before, -1);
    if (after) this.sessionContribution(after, 1);
  }

  private sessionContribution(key: RollupKey, sign: number): void {
    let hour = this.sessionHours.get(key.hour);
    if (!hour) {
      hour = { hour: key.hour, sessions: 0, identified: 0 };
      this.sessionHours.set(key.hour, hour);
    }
    hour.sessions += sign;
    if (key.identified) hour.identified += sign;
    let client = this.clientHourLookup.get(key.hour, key.clientName, key.clientVersion);
    if (!client) {
      client = { hour: key.hour, name: key.clientName, version: key.clientVersion, sessions: 0 };
      this.clientHours.set(`${pad(key.hour)}${SEP}${key.clientName}${SEP}${key.clientVersion}`, client);
      this.clientHourLookup.set(key.hour, key.clientName, key.clientVersion, client);
    }
    client.sessions += sign;
  }
}
