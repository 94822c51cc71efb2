import { EVENT_TYPES, type Event } from "@mcpsight/protocol";
import { all, run, type Sql, toJson } from "../db.js";
import type { EventRecord, SessionState, UserState } from "./state.js";

/**
 * Inserts the batch's new sessions and rewrites the touched ones, then gives each state its `pk`.
 * Absolute values are safe here: every touched session's key is advisory-locked by the batch.
 */
export async function saveSessions(db: Sql, projectPk: number, sessions: SessionState[]): Promise<void> {
  if (sessions.length === 0) return;
  const col = <T>(f: (s: SessionState) => T) => sessions.map(f);
  const rows = await all<{ pk: number; session_id: string }>(
    db,
    `INSERT INTO sessions (project_pk, session_id, user_pk, client_name, client_version, server_name, server_version,
       first_seen, last_seen, events, tool_calls, errors, stateless, group_key)
     SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[],
       $9::bigint[], $10::int[], $11::int[], $12::int[], $13::bool[], $14::text[])
     ON CONFLICT (project_pk, session_id) DO UPDATE SET user_pk = excluded.user_pk,
       client_name = excluded.client_name, client_version = excluded.client_version,
       server_name = excluded.server_name, server_version = excluded.server_version,
       first_seen = excluded.first_seen, last_seen = excluded.last_seen, events = excluded.events,
       tool_calls = excluded.tool_calls, errors = excluded.errors
     RETURNING pk, session_id`,
    [
      projectPk,
      col((s) => s.sessionId),
      col((s) => s.userPk),
      col((s) => s.clientName),
      col((s) => s.clientVersion),
      col((s) => s.serverName),
      col((s) => s.serverVersion),
      col((s) => s.firstSeen),
      col((s) => s.lastSeen),
      col((s) => s.events),
      col((s) => s.toolCalls),
      col((s) => s.errors),
      col((s) => s.stateless),
      col((s) => s.groupKey),
    ],
  );
  const pks = new Map(rows.map((row) => [row.session_id, row.pk]));
  for (const session of sessions) session.pk = pks.get(session.sessionId) ?? null;
}

type Written = { event: Event; record: EventRecord; session: SessionState };

/** Inserts the batch's events in one statement; returns their keys by record index. */
export async function insertEvents(db: Sql, projectPk: number, written: Written[]): Promise<number[]> {
  if (written.length === 0) return [];
  const col = <T>(f: (w: Written) => T) => written.map(f);
  const identify = ({ event: e }: Written) =>
    e.eventType === EVENT_TYPES.identify && e.identifyActorGivenId
      ? toJson({
          userId: e.identifyActorGivenId,
          userName: e.identifyActorName ?? null,
          userData: e.identifyActorData ?? null,
        })
      : null;
  const rows = await all<{ pk: number; event_id: string }>(
    db,
    `INSERT INTO events (project_pk, event_id, session_pk, user_pk, ts, event_type, resource_name, duration,
       is_error, error, user_intent, parameters, response, identify, client_name, client_version, server_name,
       server_version, sdk_language, sdk_version, tags, properties)
     SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[], $7::text[],
       $8::float8[], $9::bool[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[],
       $16::text[], $17::text[], $18::text[], $19::text[], $20::text[], $21::text[], $22::text[])
     ON CONFLICT (project_pk, event_id) DO NOTHING
     RETURNING pk, event_id`,
    [
      projectPk,
      col((w) => w.event.id),
      col((w) => w.session.pk),
      col((w) => w.record.userPk),
      col((w) => w.record.ts),
      col((w) => w.event.eventType),
      col((w) => w.event.resourceName ?? null),
      col((w) => w.event.duration ?? null),
      col((w) => w.record.isError),
      col((w) => toJson(w.event.error)),
      col((w) => w.event.userIntent ?? null),
      col((w) => toJson(w.event.parameters)),
      col((w) => toJson(w.event.response)),
      col(identify),
      col((w) => w.event.clientName ?? null),
      col((w) => w.event.clientVersion ?? null),
      col((w) => w.event.serverName ?? null),
      col((w) => w.event.serverVersion ?? null),
      col((w) => w.event.sdkLanguage ?? null),
      col((w) => w.event.sdkVersion ?? null),
      col((w) => toJson(w.event.tags)),
      col((w) => toJson(w.event.properties)),
    ],
  );
  // The batch checked for stored ids under its locks, so every row is new; anything else would
  // leave derived counts wrong, so the transaction is retried instead (23505 is retryable).
  if (rows.length !== written.length)
    throw Object.assign(new Error("event ids stored concurrently; retrying the batch"), { code: "23505" });
  const pks = new Map(rows.map((row) => [row.event_id, row.pk]));
  return written.map((w) => pks.get(w.event.id) as number);
}

export async function saveSessionTools(
  db: Sql,
  pairs: { session: SessionState; tool: string }[],
): Promise<void> {
  if (pairs.length === 0) return;
  await run(
    db,
    `INSERT INTO session_tools (session_pk, tool) SELECT * FROM unnest($1::bigint[], $2::text[])
     ON CONFLICT DO NOTHING`,
    [pairs.map((p) => p.session.pk), pairs.map((p) => p.tool)],
  );
}

/**
 * Adds the batch's per-user deltas (counters, first/last seen) and writes changed profiles. Rows
 * are locked in key order first so concurrent batches touching the same users cannot deadlock.
 */
export async function saveUsers(db: Sql, users: UserState[]): Promise<void> {
  const touched = users
    .filter((u) => u.profileChanged || u.events > 0 || u.sessions > 0)
    .sort((a, b) => a.pk - b.pk);
  if (touched.length === 0) return;
  const pks = touched.map((u) => u.pk);
  await run(db, "SELECT 1 FROM users WHERE pk = ANY($1::bigint[]) ORDER BY pk FOR UPDATE", [pks]);
  const finite = (n: number) => (Number.isFinite(n) ? n : null);
  await run(
    db,
    `UPDATE users u SET
       user_name = CASE WHEN d.profile THEN d.user_name ELSE u.user_name END,
       user_data = CASE WHEN d.profile THEN d.user_data ELSE u.user_data END,
       profile_at = CASE WHEN d.profile THEN d.profile_at ELSE u.profile_at END,
       first_seen = LEAST(u.first_seen, coalesce(d.first_seen, u.first_seen)),
       last_seen = GREATEST(u.last_seen, coalesce(d.last_seen, u.last_seen)),
       sessions = u.sessions + d.sessions, tool_calls = u.tool_calls + d.tool_calls,
       errors = u.errors + d.errors, events = u.events + d.events
     FROM unnest($1::bigint[], $2::bool[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[],
       $8::int[], $9::int[], $10::int[], $11::int[])
       AS d(pk, profile, user_name, user_data, profile_at, first_seen, last_seen, sessions, tool_calls, errors, events)
     WHERE u.pk = d.pk`,
    [
      pks,
      touched.map((u) => u.profileChanged),
      touched.map((u) => u.userName),
      touched.map((u) => (u.userData === null ? null : JSON.stringify(u.userData))),
      touched.map((u) => u.profileAt),
      touched.map((u) => finite(u.firstSeen)),
      touched.map((u) => finite(u.lastSeen)),
      touched.map((u) => u.sessions),
      touched.map((u) => u.toolCalls),
      touched.map((u) => u.errors),
      touched.map((u) => u.events),
    ],
  );
}

/** Last event time and the drop/duplicate counters; last in the batch to keep the hot row's lock short. */
export async function saveProject(
  db: Sql,
  projectPk: number,
  newest: number | null,
  dropped: number,
  duplicates: number,
): Promise<void> {
  if (newest === null && dropped === 0 && duplicates === 0) return;
  await run(
    db,
    `UPDATE projects SET last_event_at = GREATEST(coalesce(last_event_at, 0), coalesce($2::bigint, 0)),
       dropped_events = dropped_events + $3, duplicate_events = duplicate_events + $4 WHERE pk = $1`,
    [projectPk, newest, dropped, duplicates],
  );
}
