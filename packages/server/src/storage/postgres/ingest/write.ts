import type { Event } from "@mcpsight/protocol";
import { identifyRecordOf } from "../../shared/index.js";
import { run, type Sql, toJson } from "../db.js";
import type { EventRecord, SessionState, UserState } from "./state.js";

/**
 * The batch's writes. Each function queues its statements and returns without waiting, so a
 * batch's writes reach PostgreSQL in one pipelined flush; the caller defers the promises to the
 * transaction, which fails as a whole if one of them fails.
 */

const finite = (n: number) => (Number.isFinite(n) ? n : null);

/**
 * Inserts the batch's new sessions (keys allocated beforehand) and rewrites the touched stored
 * ones. Absolute values are safe here: every touched session's key is advisory-locked by the
 * batch, and a new session's id cannot be inserted concurrently (a plain INSERT would fail with a
 * unique violation and the batch be retried, never silently merged).
 */
export function saveSessions(db: Sql, projectPk: number, sessions: SessionState[]): Promise<unknown>[] {
  const fresh = sessions.filter((s) => s.stored === null);
  const stored = sessions
    .filter((s) => s.stored !== null)
    .sort((a, b) => (a.pk as number) - (b.pk as number));
  const columns = (list: SessionState[]) => [
    list.map((s) => s.pk),
    list.map((s) => s.userPk),
    list.map((s) => s.clientName),
    list.map((s) => s.clientVersion),
    list.map((s) => s.serverName),
    list.map((s) => s.serverVersion),
    list.map((s) => s.firstSeen),
    list.map((s) => s.lastSeen),
    list.map((s) => s.events),
    list.map((s) => s.toolCalls),
    list.map((s) => s.errors),
  ];
  const statements: Promise<unknown>[] = [];
  if (fresh.length > 0)
    statements.push(
      run(
        db,
        `INSERT INTO sessions (pk, user_pk, client_name, client_version, server_name, server_version,
           first_seen, last_seen, events, tool_calls, errors, session_id, stateless, group_key, project_pk)
         SELECT *, $1 FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[],
           $8::bigint[], $9::bigint[], $10::int[], $11::int[], $12::int[], $13::text[], $14::bool[], $15::text[])`,
        [
          projectPk,
          ...columns(fresh),
          fresh.map((s) => s.sessionId),
          fresh.map((s) => s.stateless),
          fresh.map((s) => s.groupKey),
        ],
      ),
    );
  if (stored.length > 0)
    statements.push(
      run(
        db,
        `UPDATE sessions s SET user_pk = d.user_pk, client_name = d.client_name, client_version = d.client_version,
           server_name = d.server_name, server_version = d.server_version, first_seen = d.first_seen,
           last_seen = d.last_seen, events = d.events, tool_calls = d.tool_calls, errors = d.errors
         FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
           $8::bigint[], $9::int[], $10::int[], $11::int[])
           AS d(pk, user_pk, client_name, client_version, server_name, server_version, first_seen, last_seen,
             events, tool_calls, errors)
         WHERE s.pk = d.pk`,
        columns(stored),
      ),
    );
  return statements;
}

type Written = { event: Event; record: EventRecord; session: SessionState; pk: number };

/**
 * Inserts the batch's events (keys allocated beforehand) in one statement, the rows sent as one
 * JSON array: `JSON.stringify` is native, where `pg`'s array literals escape every element in
 * JavaScript. Each JSON column's text (`JSON.stringify`'s, as in SQLite) goes as a string, so
 * PostgreSQL only unescapes it: its JSON escapes, `\u0000` included, are stored verbatim, a JSON
 * null payload is the text `null` and an absent one SQL NULL. (Sent as nested `json`, PostgreSQL
 * parses every payload a second time, and refuses a `\u0000` anywhere in it.)
 * The batch checked for stored ids under its locks, so every row is new; an id stored
 * concurrently fails the INSERT with a unique violation and the batch is retried (23505).
 */
export function insertEvents(db: Sql, projectPk: number, written: Written[]): Promise<unknown> {
  if (written.length === 0) return Promise.resolve();
  const rows = written.map(({ event: e, record, session, pk }) => ({
    pk,
    id: e.id,
    s: session.pk,
    u: record.userPk,
    ts: record.ts,
    type: e.eventType,
    tool: e.resourceName,
    ms: e.duration,
    err: record.isError,
    error: toJson(e.error),
    intent: e.userIntent,
    p: toJson(e.parameters),
    r: toJson(e.response),
    who: toJson(identifyRecordOf(e)),
    cn: e.clientName,
    cv: e.clientVersion,
    sn: e.serverName,
    sv: e.serverVersion,
    sl: e.sdkLanguage,
    sdk: e.sdkVersion,
    tags: toJson(e.tags),
    props: toJson(e.properties),
    trace: e.traceId,
    span: e.spanId,
  }));
  return run(
    db,
    `INSERT INTO events (project_pk, pk, event_id, session_pk, user_pk, ts, event_type, resource_name, duration,
       is_error, error, user_intent, parameters, response, identify, client_name, client_version, server_name,
       server_version, sdk_language, sdk_version, tags, properties, trace_id, span_id)
     SELECT $1, * FROM json_to_recordset($2::json) AS x(pk bigint, id text, s bigint, u bigint, ts bigint,
       type text, tool text, ms float8, err bool, error text, intent text, p text, r text, who text, cn text,
       cv text, sn text, sv text, sl text, sdk text, tags text, props text, trace text, span text)`,
    [projectPk, JSON.stringify(rows)],
  );
}

export function saveSessionTools(
  db: Sql,
  pairs: { session: SessionState; tool: string }[],
): Promise<unknown> {
  if (pairs.length === 0) return Promise.resolve();
  return run(
    db,
    `INSERT INTO session_tools (session_pk, tool) SELECT * FROM unnest($1::bigint[], $2::text[])
     ON CONFLICT DO NOTHING`,
    [pairs.map((p) => p.session.pk), pairs.map((p) => p.tool)],
  );
}

/**
 * Inserts the users this batch creates (keys allocated beforehand) with their final profile and
 * counters. Their ids are advisory-locked by the batch; a concurrent insert of the same id fails
 * with a unique violation and the batch is retried.
 */
export function insertUsers(db: Sql, projectPk: number, users: UserState[]): Promise<unknown> {
  const created = users.filter((u) => u.createdAt !== null).sort((a, b) => a.pk - b.pk);
  if (created.length === 0) return Promise.resolve();
  return run(
    db,
    `INSERT INTO users (project_pk, pk, user_id, user_name, user_data, profile_at, first_seen, last_seen,
       sessions, tool_calls, errors, events)
     SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[],
       $8::bigint[], $9::int[], $10::int[], $11::int[], $12::int[])`,
    [
      projectPk,
      created.map((u) => u.pk),
      created.map((u) => u.userId),
      created.map((u) => u.userName),
      created.map((u) => (u.userData === null ? null : JSON.stringify(u.userData))),
      created.map((u) => u.profileAt),
      created.map((u) => Math.min(u.createdAt as number, u.firstSeen)),
      created.map((u) => Math.max(u.createdAt as number, u.lastSeen)),
      created.map((u) => u.sessions),
      created.map((u) => u.toolCalls),
      created.map((u) => u.errors),
      created.map((u) => u.events),
    ],
  );
}

/**
 * Adds the batch's per-user deltas (counters, first/last seen) to stored users and writes changed
 * profiles. Rows are locked in key order first so concurrent batches touching the same users
 * cannot deadlock.
 */
export function saveUsers(db: Sql, users: UserState[]): Promise<unknown>[] {
  const touched = users
    .filter((u) => u.createdAt === null && (u.profileChanged || u.events > 0 || u.sessions > 0))
    .sort((a, b) => a.pk - b.pk);
  if (touched.length === 0) return [];
  const pks = touched.map((u) => u.pk);
  return [
    run(db, "SELECT 1 FROM users WHERE pk = ANY($1::bigint[]) ORDER BY pk FOR UPDATE", [pks]),
    run(
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
    ),
  ];
}

/**
 * Last event time and the drop/duplicate counters; last in the batch to keep the hot row's lock
 * short, and skipped (row not locked) when the batch changes none of them.
 */
export function saveProject(
  db: Sql,
  projectPk: number,
  newest: number | null,
  dropped: number,
  duplicates: number,
): Promise<unknown> {
  if (newest === null && dropped === 0 && duplicates === 0) return Promise.resolve();
  return run(
    db,
    `UPDATE projects SET last_event_at = GREATEST(coalesce(last_event_at, 0), coalesce($2::bigint, 0)),
       dropped_events = dropped_events + $3, duplicate_events = duplicate_events + $4
     WHERE pk = $1 AND (last_event_at IS NULL OR last_event_at < $2::bigint OR $3 > 0 OR $4 > 0)`,
    [projectPk, newest, dropped, duplicates],
  );
}
