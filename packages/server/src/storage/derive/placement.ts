import { createHash } from "node:crypto";
import type { DeriveEvent } from "./types.js";

/**
 * Where an event belongs, from its own fields alone: a session named by id (stateful, or a
 * stateless event with nothing to group it by), or a stateless group whose events are split into
 * sessions by their gaps (engine.ts).
 */
export type Placement = { kind: "session"; sessionId: string } | { kind: "group"; key: string };

const SEP = "\u0000";

/** `sl_` + a digest of the project and an event id: a stateless session's id. */
export const statelessSessionId = (projectId: string, eventId: string): string =>
  `sl_${createHash("sha256").update(`${projectId}${SEP}${eventId}`).digest("base64url").slice(0, 24)}`;

/**
 * A stateless group's key: identified events group by (user, client), anonymous ones with a
 * correlation id by (correlation id, client). A digest, so that an index entry stays small
 * whatever the ids' lengths.
 */
export const groupKeyOf = (kind: "u" | "c", id: string, client: string): string =>
  `g:${createHash("sha256").update(`${kind}${SEP}${id}${SEP}${client}`).digest("base64url").slice(0, 32)}`;

export function placementOf(projectId: string, e: DeriveEvent): Placement {
  if (e.sessionId !== null) return { kind: "session", sessionId: e.sessionId };
  const client = e.clientName ?? "";
  if (e.actorId !== null) return { kind: "group", key: groupKeyOf("u", e.actorId, client) };
  if (e.correlationId !== null) return { kind: "group", key: groupKeyOf("c", e.correlationId, client) };
  return { kind: "session", sessionId: statelessSessionId(projectId, e.id) };
}
