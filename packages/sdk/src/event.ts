// Builds protocol events from what a handler received and returned.
import { randomUUID } from "node:crypto";
import type { Event } from "@mcpsight/protocol";
import { LIMITS } from "@mcpsight/protocol/constants";
import { truncate } from "@mcpsight/protocol/sanitize";
import type { NameVersion } from "./client-info.js";
import type { UserIdentity } from "./types.js";
import { SDK_LANGUAGE, SDK_VERSION } from "./version.js";

const eventTypes = new Map<string, string>();

/** `mcp:<method>`, with characters the protocol does not allow in event types replaced. */
export function eventTypeFor(method: string): string {
  let type = eventTypes.get(method);
  if (type === undefined) {
    type = `mcp:${method.replace(/[^A-Za-z0-9_./-]/g, "_")}`.slice(0, LIMITS.eventTypeLength);
    // Methods are a small fixed set; the bound only guards against a server inventing them per request.
    if (eventTypes.size < 1000) eventTypes.set(method, type);
  }
  return type;
}

/**
 * Event ids: one random UUID per process plus a counter. As unique as a UUID per event (122 random
 * bits tell processes apart, the counter tells events apart) at the cost of a string concatenation.
 * The id is fixed when the event is built, so a retried batch resends the same ids.
 */
const ID_PREFIX = randomUUID();
let idCounter = 0;

export function newEventId(): string {
  idCounter += 1;
  return `${ID_PREFIX}-${idCounter.toString(36)}`;
}

// ISO timestamps: consecutive events mostly fall in the same second, so its prefix is reused.
let secondStart = -1;
let secondPrefix = "";

/** `new Date(ms).toISOString()`, without building a Date for every event. */
export function isoTimestamp(ms: number): string {
  const offset = ms - secondStart;
  if (secondStart >= 0 && offset >= 0 && offset < 1000 && Number.isInteger(ms)) {
    return `${secondPrefix}${offset < 10 ? "00" : offset < 100 ? "0" : ""}${offset}Z`;
  }
  const iso = new Date(ms).toISOString();
  // Only plain four-digit-year instants (the 24-character form) are cached.
  if (ms >= 0 && Number.isInteger(ms) && iso.length === 24) {
    secondStart = ms - (ms % 1000);
    secondPrefix = iso.slice(0, 20);
  }
  return iso;
}

/** Tool name, resource URI or prompt name of a request. */
export function resourceNameOf(params: Record<string, unknown> | undefined): string | undefined {
  const name = params?.name ?? params?.uri;
  return typeof name === "string" ? truncate(name, LIMITS.nameLength) : undefined;
}

/** Request params as recorded: without `_meta` (transport plumbing, not arguments). */
export function parametersOf(params: Record<string, unknown> | undefined): unknown {
  if (!params) return undefined;
  if (!("_meta" in params)) return params;
  const { _meta, ...rest } = params;
  return rest;
}

/** Fields every event of a tracked server carries. */
export interface EventBase {
  projectId: string;
  sessionId: string | undefined;
  client: NameVersion | undefined;
  server: NameVersion | undefined;
  /** Stateless events: the grouping hint of the client's run (correlation.ts). */
  correlationId?: string | undefined;
}

/** A new event with id, timestamp, session, client/server and SDK fields filled in. */
export function newEvent(base: EventBase, eventType: string, startedAt: number): Event {
  const event: Event = {
    id: newEventId(),
    projectId: base.projectId,
    eventType,
    timestamp: isoTimestamp(startedAt),
    sdkLanguage: SDK_LANGUAGE,
    sdkVersion: SDK_VERSION,
  };
  if (base.sessionId !== undefined) event.sessionId = base.sessionId;
  else event.stateless = true;
  if (base.correlationId !== undefined) event.correlationId = base.correlationId;
  if (base.client?.name) event.clientName = truncate(base.client.name, LIMITS.nameLength);
  if (base.client?.version) event.clientVersion = truncate(base.client.version, LIMITS.nameLength);
  if (base.server?.name) event.serverName = truncate(base.server.name, LIMITS.nameLength);
  if (base.server?.version) event.serverVersion = truncate(base.server.version, LIMITS.nameLength);
  return event;
}

/** Copies an identity onto an event. */
export function withIdentity(event: Event, identity: UserIdentity | undefined): Event {
  if (!identity) return event;
  event.identifyActorGivenId = identity.userId;
  if (identity.userName !== undefined) event.identifyActorName = identity.userName;
  if (identity.userData !== undefined) event.identifyActorData = identity.userData;
  return event;
}
