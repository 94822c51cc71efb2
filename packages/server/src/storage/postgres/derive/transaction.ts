import type pg from "pg";
import { type ChunkEvent, type ChunkResult, deriveChunk, type PassTransaction } from "../../derive/pass.js";
import { profileTime } from "../../derive/profile.js";
import type { SketchRow, UserTotals } from "../../derive/recompute.js";
import type {
  LinkedEvent,
  Links,
  LoadedState,
  ProfileClock,
  StateRequest,
  UserState,
  WriteSet,
} from "../../derive/types.js";
import {
  DERIVE_COLUMNS,
  type DeriveRow,
  toDeriveEvent,
  toUserEvent,
  USER_EVENT_FROM,
  type UserEventRow,
} from "../../shared/derive-event.js";
import { type SessionTableRow, toSessionState } from "../../shared/rows.js";
import { tombstoneKey } from "../../shared/tombstone.js";
import type { JsonObject } from "../../types.js";
import { writeInt8 } from "../binary-array.js";
import { all, fromJson, get, run, type Sql } from "../db.js";
import { arrayLiteral } from "../text.js";
import { recordErrors } from "./errors.js";
import { copyIn } from "./pass-copy.js";
import { readChunk } from "./read-chunk.js";
import { writeRollups } from "./rollups.js";

const noClock = (): ProfileClock => ({ name: null, data: {} });

type SessionRow = SessionTableRow<boolean> & { user_id: string | null };

/** The columns of a stored session the pass loads (not its tools). */
const SESSION_STATE = `s.pk, s.project_pk, s.session_id, s.user_pk, s.client_name, s.client_version, s.server_name,
  s.server_version, s.first_seen, s.last_seen, s.events, s.tool_calls, s.errors, s.stateless, s.group_key`;

/** Where the pass stands: the last derived event's (transaction, key). */
export interface Cursor {
  txid: string;
  pk: number;
}

export const readCursor = async (db: Sql): Promise<Cursor & { reindex: Cursor | null }> => {
  const row = (await get<{
    cursor_txid: string;
    cursor_pk: number;
    reindex_txid: string | null;
    reindex_pk: number | null;
  }>(db, "SELECT cursor_txid, cursor_pk, reindex_txid, reindex_pk FROM derivation")) as {
    cursor_txid: string;
    cursor_pk: number;
    reindex_txid: string | null;
    reindex_pk: number | null;
  };
  return {
    txid: row.cursor_txid,
    pk: row.cursor_pk,
    reindex: row.reindex_txid === null ? null : { txid: row.reindex_txid, pk: row.reindex_pk as number },
  };
};

/** COPY's binary format: its signature, flags and header extension length, then rows. */
const COPY_HEADER = Buffer.from("PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0", "latin1");

/**
 * Inserts the links of events derived the first time with COPY, the cheapest insert per row, in
 * its binary format: four `bigint`s a row, written straight into one buffer.
 */
async function copyLinks(client: pg.PoolClient, links: Links): Promise<void> {
  const n = links.eventPks.length;
  if (n === 0) return;
  const data = Buffer.allocUnsafe(COPY_HEADER.length + n * (2 + 4 * 12) + 2);
  COPY_HEADER.copy(data, 0);
  let at = COPY_HEADER.length;
  const int8 = (value: number | null) => {
    if (value === null) {
      data.writeInt32BE(-1, at);
      at += 4;
      return;
    }
    data.writeInt32BE(8, at);
    writeInt8(data, value, at + 4);
    at += 12;
  };
  for (let i = 0; i < n; i++) {
    data.writeInt16BE(4, at);
    at += 2;
    int8(links.eventPks[i] as number);
    int8(links.sessionPks[i] as number);
    int8(links.userPks[i] as number | null);
    int8(links.ts[i] as number);
  }
  data.writeInt16BE(-1, at);
  at += 2;
  await copyIn(
    client,
    "COPY event_links (event_pk, session_pk, user_pk, ts) FROM STDIN (FORMAT binary)",
    data.subarray(0, at),
  );
}

/** Recounts error groups' distinct sessions or users from their link rows. */
async function recountGroups(db: Sql, groupPks: number[], counter: "sessions" | "users"): Promise<void> {
  if (groupPks.length === 0) return;
  const table = counter === "sessions" ? "error_group_sessions" : "error_group_users";
  await run(
    db,
    `UPDATE error_groups g SET ${counter} = (SELECT count(*) FROM ${table} WHERE group_pk = g.pk)
     WHERE pk = ANY($1::bigint[])`,
    [[...new Set(groupPks)]],
  );
}

/**
 * The pass's reads and writes on PostgreSQL (one chunk, inside the caller's transaction, which
 * holds the chunk lock: `postgres/derive/leader.ts`). Writes are set-based, one statement per
 * table; nothing else writes derived rows meanwhile (erasure and retention take the same lock).
 */
export class PostgresPass implements PassTransaction {
  /** The transaction of the chunk's last event, for the cursor. */
  private lastTxid = "";

  constructor(private readonly db: Sql) {}

  async readAfter(limit: number): Promise<ChunkEvent[]> {
    const cursor = await readCursor(this.db);
    const chunk = await readChunk(this.db as pg.PoolClient, cursor, limit, async (pks) => {
      // The projects' public ids once per chunk, not once per event.
      const rows = await all<{ pk: number; id: string }>(
        this.db,
        "SELECT pk, id FROM projects WHERE pk = ANY($1::bigint[])",
        [pks],
      );
      return new Map(rows.map((project) => [project.pk, project.id]));
    });
    if (!chunk) return [];
    this.lastTxid = chunk.lastTxid;
    return chunk.events;
  }

  async loadState(projectPk: number, request: StateRequest): Promise<LoadedState> {
    const db = this.db;
    const userKeys = request.userIds.map(tombstoneKey);
    const sessionKeys = request.sessionIds.map(tombstoneKey);
    const [users, byId, byGroup, erasures] = await Promise.all([
      request.userIds.length === 0
        ? []
        : all<{
            pk: number;
            user_id: string;
            user_name: string | null;
            user_data: string | null;
            profile_clock: string | null;
          }>(
            db,
            `SELECT u.pk, u.user_id, u.user_name, u.user_data, u.profile_clock FROM unnest($2::text[]) AS k(id)
             CROSS JOIN LATERAL (SELECT * FROM users WHERE project_pk = $1 AND user_id = k.id LIMIT 1) u`,
            [projectPk, request.userIds],
          ),
      request.sessionIds.length === 0
        ? []
        : all<SessionRow>(
            db,
            `SELECT ${SESSION_STATE}, (SELECT user_id FROM users WHERE pk = s.user_pk) AS user_id FROM unnest($2::text[]) AS k(id)
             CROSS JOIN LATERAL (SELECT * FROM sessions WHERE project_pk = $1 AND session_id = k.id LIMIT 1) s`,
            [projectPk, request.sessionIds],
          ),
      request.groups.length === 0
        ? []
        : all<SessionRow>(
            db,
            `SELECT ${SESSION_STATE}, (SELECT user_id FROM users WHERE pk = s.user_pk) AS user_id
             FROM unnest($2::text[], $3::bigint[], $4::bigint[]) AS k(key, "from", "to")
             CROSS JOIN LATERAL (SELECT * FROM sessions WHERE project_pk = $1 AND group_key = k.key
               AND last_seen >= k."from" AND first_seen <= k."to" OFFSET 0) s`,
            [
              projectPk,
              request.groups.map((g) => g.key),
              request.groups.map((g) => g.from),
              request.groups.map((g) => g.to),
            ],
          ),
      request.userIds.length + request.sessionIds.length === 0
        ? []
        : all<{ kind: string; id: string; erased_at: number }>(
            db,
            `SELECT kind, id, erased_at FROM erasures WHERE project_pk = $1
               AND ((kind = 'user' AND id = ANY($2::text[])) OR (kind = 'session' AND id = ANY($3::text[])))`,
            [projectPk, userKeys, sessionKeys],
          ),
    ]);
    // The ids of the (rare) tombstones found.
    const keys = new Map<string, string>();
    if (erasures.length > 0) {
      for (let i = 0; i < userKeys.length; i++) keys.set(userKeys[i] as string, request.userIds[i] as string);
      for (let i = 0; i < sessionKeys.length; i++)
        keys.set(sessionKeys[i] as string, request.sessionIds[i] as string);
    }
    const erasedUsers = new Map<string, number>();
    const erasedSessions = new Map<string, number>();
    for (const row of erasures)
      (row.kind === "user" ? erasedUsers : erasedSessions).set(keys.get(row.id) as string, row.erased_at);
    return {
      users: users.map(
        (row): UserState => ({
          pk: row.pk,
          userId: row.user_id,
          userName: row.user_name,
          userData: fromJson<JsonObject>(row.user_data),
          clock: fromJson<ProfileClock>(row.profile_clock) ?? noClock(),
        }),
      ),
      sessions: [...byId, ...byGroup].map(toSessionState),
      erasedUsers,
      erasedSessions,
    };
  }

  async loadSessionEvents(sessionPks: number[]): Promise<LinkedEvent[]> {
    const rows = await all<DeriveRow & { session_pk: number; user_pk: number | null }>(
      this.db,
      `SELECT ${DERIVE_COLUMNS}, l.session_pk, l.user_pk FROM event_links l JOIN events e ON e.pk = l.event_pk
       WHERE l.session_pk = ANY($1::bigint[])`,
      [sessionPks],
    );
    return rows.map((row) =>
      Object.assign(toDeriveEvent(row), { sessionPk: row.session_pk, userPk: row.user_pk }),
    );
  }

  async allocate(users: number, sessions: number) {
    const [row] = await all<{ users: string[]; sessions: string[] }>(
      this.db,
      `SELECT ARRAY(SELECT nextval('users_pk_seq') FROM generate_series(1, $1)) AS users,
         ARRAY(SELECT nextval('sessions_pk_seq') FROM generate_series(1, $2)) AS sessions`,
      [users, sessions],
    );
    return { users: (row?.users ?? []).map(Number), sessions: (row?.sessions ?? []).map(Number) };
  }

  async write(ws: WriteSet): Promise<void> {
    const db = this.db;
    const p = ws.projectPk;
    if (ws.droppedEvents.length > 0)
      await Promise.all([
        run(db, "DELETE FROM events WHERE pk = ANY($1::bigint[])", [ws.droppedEvents]),
        run(db, "DELETE FROM event_links WHERE event_pk = ANY($1::bigint[])", [ws.droppedEvents]),
      ]);
    if (ws.sessions.delete.length > 0) {
      const groups = await all<{ group_pk: number }>(
        db,
        "DELETE FROM error_group_sessions WHERE session_pk = ANY($1::bigint[]) RETURNING group_pk",
        [ws.sessions.delete],
      );
      await Promise.all([
        run(db, "DELETE FROM sessions WHERE pk = ANY($1::bigint[])", [ws.sessions.delete]),
        recountGroups(
          db,
          groups.map((g) => g.group_pk),
          "sessions",
        ),
      ]);
    }
    // An event derived the first time has no link yet (the cursor passes each event once, and
    // its link goes with the cursor in this transaction): its link is copied in, one row per
    // event, before the statements below go out pipelined.
    await copyLinks(db as pg.PoolClient, ws.links.fresh);
    const statements: Promise<unknown>[] = [];
    // The tools a session gains, written with its row (an array literal each: `unnest` flattens arrays).
    const gained = new Map<number, string[]>();
    for (const { sessionPk, tool } of ws.sessionTools) {
      const list = gained.get(sessionPk);
      if (list) list.push(tool);
      else gained.set(sessionPk, [tool]);
    }
    const columns = (list: WriteSet["sessions"]["insert"]) => [
      list.map((s) => s.pk),
      list.map((s) => s.sessionId),
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
      list.map((s) => s.stateless),
      list.map((s) => s.groupKey),
      list.map((s) => arrayLiteral(gained.get(s.pk) ?? [])),
    ];
    const unnestSessions = `unnest($2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[],
      $8::text[], $9::bigint[], $10::bigint[], $11::int[], $12::int[], $13::int[], $14::bool[], $15::text[], $16::text[])
      AS d(pk, session_id, user_pk, client_name, client_version, server_name, server_version, first_seen,
        last_seen, events, tool_calls, errors, stateless, group_key, tools)`;
    if (ws.sessions.update.length > 0)
      statements.push(
        run(
          db,
          `UPDATE sessions s SET session_id = d.session_id, user_pk = d.user_pk, client_name = d.client_name,
             client_version = d.client_version, server_name = d.server_name, server_version = d.server_version,
             first_seen = d.first_seen, last_seen = d.last_seen, events = d.events, tool_calls = d.tool_calls,
             errors = d.errors,
             tools = CASE WHEN d.tools = '{}' THEN s.tools
               ELSE ARRAY(SELECT DISTINCT t FROM unnest(s.tools || d.tools::text[]) AS t) END
           FROM ${unnestSessions} WHERE s.pk = d.pk AND s.project_pk = $1`,
          [p, ...columns(ws.sessions.update)],
        ),
      );
    if (ws.sessions.insert.length > 0)
      statements.push(
        run(
          db,
          `INSERT INTO sessions (project_pk, pk, session_id, user_pk, client_name, client_version, server_name,
             server_version, first_seen, last_seen, events, tool_calls, errors, stateless, group_key, tools)
           SELECT $1, pk, session_id, user_pk, client_name, client_version, server_name, server_version, first_seen,
             last_seen, events, tool_calls, errors, stateless, group_key, tools::text[] FROM ${unnestSessions}`,
          [p, ...columns(ws.sessions.insert)],
        ),
      );
    // A rebuilt session's events have stored links: upserted.
    const moved = ws.links.moved;
    if (moved.eventPks.length > 0)
      statements.push(
        run(
          db,
          `INSERT INTO event_links (event_pk, session_pk, user_pk, ts)
           SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[])
           ON CONFLICT (event_pk) DO UPDATE SET session_pk = excluded.session_pk, user_pk = excluded.user_pk`,
          [moved.eventPks, moved.sessionPks, moved.userPks, moved.ts],
        ),
      );
    const inserted = ws.users.insert;
    if (inserted.length > 0)
      statements.push(
        run(
          db,
          `INSERT INTO users (project_pk, pk, user_id, user_name, user_data, profile_at, profile_clock, first_seen,
             last_seen, sessions, tool_calls, errors, events)
           SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[],
             $8::bigint[], $9::bigint[], $10::int[], $11::int[], $12::int[], $13::int[])`,
          [
            p,
            inserted.map((u) => u.pk),
            inserted.map((u) => u.userId),
            inserted.map((u) => u.userName),
            inserted.map((u) => (u.userData === null ? null : JSON.stringify(u.userData))),
            inserted.map((u) => profileTime(u, u.firstSeen)),
            inserted.map((u) => JSON.stringify(u.clock)),
            inserted.map((u) => u.firstSeen),
            inserted.map((u) => u.lastSeen),
            inserted.map((u) => u.sessions),
            inserted.map((u) => u.toolCalls),
            inserted.map((u) => u.errors),
            inserted.map((u) => u.events),
          ],
        ),
      );
    const updated = ws.users.update;
    if (updated.length > 0)
      statements.push(
        run(
          db,
          `UPDATE users u SET
             user_name = CASE WHEN d.profile THEN d.user_name ELSE u.user_name END,
             user_data = CASE WHEN d.profile THEN d.user_data ELSE u.user_data END,
             profile_at = CASE WHEN d.profile THEN d.profile_at ELSE u.profile_at END,
             profile_clock = CASE WHEN d.profile THEN d.profile_clock ELSE u.profile_clock END,
             first_seen = LEAST(u.first_seen, coalesce(d.first_seen, u.first_seen)),
             last_seen = GREATEST(u.last_seen, coalesce(d.last_seen, u.last_seen)),
             sessions = u.sessions + d.sessions, tool_calls = u.tool_calls + d.tool_calls,
             errors = u.errors + d.errors, events = u.events + d.events
           FROM unnest($1::bigint[], $2::bool[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::bigint[],
             $8::bigint[], $9::int[], $10::int[], $11::int[], $12::int[])
             AS d(pk, profile, user_name, user_data, profile_at, profile_clock, first_seen, last_seen, sessions,
               tool_calls, errors, events)
           WHERE u.pk = d.pk`,
          [
            updated.map((u) => u.pk),
            updated.map((u) => u.profile !== null),
            updated.map((u) => u.profile?.userName ?? null),
            updated.map((u) => (u.profile?.userData ? JSON.stringify(u.profile.userData) : null)),
            updated.map((u) => (u.profile ? profileTime(u.profile, 0) : null)),
            updated.map((u) => (u.profile ? JSON.stringify(u.profile.clock) : null)),
            updated.map((u) => u.firstSeen),
            updated.map((u) => u.lastSeen),
            updated.map((u) => u.sessions),
            updated.map((u) => u.toolCalls),
            updated.map((u) => u.errors),
            updated.map((u) => u.events),
          ],
        ),
      );
    // Error groups after the sessions and users they link to exist.
    await Promise.all(statements);
    await Promise.all([
      writeRollups(db, p, ws.rollups),
      ...recordErrors(db, p, ws.errors.occurrences, ws.errors.userLinks, ws.errors.sessionLinks),
      ws.lastEventAt === null
        ? null
        : run(
            db,
            `UPDATE projects SET last_event_at = $2 WHERE pk = $1 AND (last_event_at IS NULL OR last_event_at < $2)`,
            [p, ws.lastEventAt],
          ),
    ]);
  }

  async writeUserTotals(projectPk: number, totals: UserTotals[]): Promise<void> {
    if (totals.length === 0) return;
    const db = this.db;
    const pks = totals.map((t) => t.pk);
    const tools = totals.flatMap((t) => t.tools.map((r) => ({ ...r, u: t.pk })));
    const clients = totals.flatMap((t) => t.clients.map((r) => ({ ...r, u: t.pk })));
    const keys = totals.flatMap((t) => t.errorKeys.map((k) => ({ ...k, u: t.pk })));
    const [, , , oldGroups] = await Promise.all([
      run(
        db,
        `UPDATE users u SET first_seen = d.first_seen, last_seen = d.last_seen, sessions = d.sessions,
           tool_calls = d.tool_calls, errors = d.errors, events = d.events
         FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::int[], $5::int[], $6::int[], $7::int[])
           AS d(pk, first_seen, last_seen, sessions, tool_calls, errors, events)
         WHERE u.pk = d.pk`,
        [
          pks,
          totals.map((t) => t.firstSeen),
          totals.map((t) => t.lastSeen),
          totals.map((t) => t.sessions),
          totals.map((t) => t.toolCalls),
          totals.map((t) => t.errors),
          totals.map((t) => t.events),
        ],
      ),
      run(db, "DELETE FROM user_tools WHERE user_pk = ANY($1::bigint[])", [pks]),
      run(db, "DELETE FROM user_clients WHERE user_pk = ANY($1::bigint[])", [pks]),
      all<{ group_pk: number }>(
        db,
        "DELETE FROM error_group_users WHERE user_pk = ANY($1::bigint[]) RETURNING group_pk",
        [pks],
      ),
    ]);
    const [, , newGroups] = await Promise.all([
      run(
        db,
        `INSERT INTO user_tools (user_pk, tool, project_pk, calls, errors, first_at, last_at)
         SELECT u, tool, $1, calls, errors, first, last
         FROM unnest($2::bigint[], $3::text[], $4::int[], $5::int[], $6::bigint[], $7::bigint[])
           AS x(u, tool, calls, errors, first, last)`,
        [
          projectPk,
          tools.map((r) => r.u),
          tools.map((r) => r.tool),
          tools.map((r) => r.calls),
          tools.map((r) => r.errors),
          tools.map((r) => r.first),
          tools.map((r) => r.last),
        ],
      ),
      run(
        db,
        `INSERT INTO user_clients (user_pk, client_name, client_version, project_pk, first_at, last_at)
         SELECT u, name, version, $1, first, last
         FROM unnest($2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[]) AS x(u, name, version, first, last)`,
        [
          projectPk,
          clients.map((r) => r.u),
          clients.map((r) => r.name),
          clients.map((r) => r.version),
          clients.map((r) => r.first),
          clients.map((r) => r.last),
        ],
      ),
      all<{ group_pk: number }>(
        db,
        `INSERT INTO error_group_users (group_pk, user_pk)
         SELECT g.pk, x.u FROM unnest($2::bigint[], $3::text[], $4::text[]) AS x(u, tool, message)
         JOIN error_groups g ON g.project_pk = $1 AND g.tool = x.tool AND md5(g.message) = md5(x.message)
           AND g.message = x.message
         ON CONFLICT DO NOTHING RETURNING group_pk`,
        [projectPk, keys.map((k) => k.u), keys.map((k) => k.tool), keys.map((k) => k.message)],
      ),
    ]);
    await recountGroups(
      db,
      [...oldGroups, ...newGroups].map((g) => g.group_pk),
      "users",
    );
  }

  async writeSketches(projectPk: number, sketches: { hours: SketchRow[]; days: SketchRow[] }): Promise<void> {
    const statements: Promise<unknown>[] = [];
    for (const [table, column, rows] of [
      ["tool_hour_users", "hour", sketches.hours],
      ["tool_day_users", "day", sketches.days],
    ] as const) {
      const gone = rows.filter((r) => r.sketch === null);
      const kept = rows.filter((r) => r.sketch !== null);
      if (gone.length > 0)
        statements.push(
          run(
            this.db,
            `DELETE FROM ${table} t USING unnest($2::bigint[], $3::text[]) AS x(start, tool)
             WHERE t.project_pk = $1 AND t.${column} = x.start AND t.tool = x.tool`,
            [projectPk, gone.map((r) => r.start), gone.map((r) => r.tool)],
          ),
        );
      if (kept.length > 0)
        statements.push(
          run(
            this.db,
            `INSERT INTO ${table} (project_pk, ${column}, tool, sketch)
             SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::bytea[])
             ON CONFLICT (project_pk, ${column}, tool) DO UPDATE SET sketch = excluded.sketch`,
            [projectPk, kept.map((r) => r.start), kept.map((r) => r.tool), kept.map((r) => r.sketch)],
          ),
        );
    }
    await Promise.all(statements);
  }

  async loadUserEvents(userPks: number[]) {
    const rows = await all<UserEventRow>(this.db, `${USER_EVENT_FROM} WHERE l.user_pk = ANY($1::bigint[])`, [
      userPks,
    ]);
    return rows.map(toUserEvent);
  }

  async loadToolCallUsers(projectPk: number, tool: string, from: number, to: number): Promise<string[]> {
    const rows = await all<{ user_id: string }>(
      this.db,
      `SELECT DISTINCT u.user_id FROM users u
       JOIN event_links l ON l.user_pk = u.pk AND l.ts >= $2 AND l.ts < $3
       JOIN events e ON e.pk = l.event_pk AND e.event_type = 'mcp:tools/call'
         AND coalesce(nullif(e.resource_name, ''), '(unknown)') = $4
       WHERE u.project_pk = $1 AND u.last_seen >= $2 AND u.first_seen < $3`,
      [projectPk, from, to, tool],
    );
    return rows.map((row) => row.user_id);
  }

  async advance(last: ChunkEvent): Promise<void> {
    const txid = this.lastTxid;
    await run(
      this.db,
      `UPDATE derivation SET cursor_txid = $1::xid8, cursor_pk = $2,
         reindex_txid = CASE WHEN (reindex_txid, reindex_pk) <= ($1::xid8, $2) THEN NULL ELSE reindex_txid END,
         reindex_pk = CASE WHEN (reindex_txid, reindex_pk) <= ($1::xid8, $2) THEN NULL ELSE reindex_pk END`,
      [txid, last.pk],
    );
  }
}

/** The transaction lock every chunk, erasure, retention run and reindex of a database takes. */
export const chunkLock = (schema: string) => `mcpsight.derive.${schema}`;

/**
 * One chunk of the pass on `client`, in one transaction holding the chunk lock: derived and
 * committed, or nothing. Its commit does not wait for the WAL flush: everything it writes is
 * derived from stored events and moves with the cursor, so a server crash that loses the last
 * chunks loses their cursor too, and the pass derives them again (events themselves are
 * committed durably by ingest).
 */
export async function postgresChunk(
  client: pg.PoolClient,
  schema: string,
  limit: number,
): Promise<ChunkResult> {
  await client.query("BEGIN; SET LOCAL synchronous_commit TO off");
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [chunkLock(schema)]);
    const result = await deriveChunk(new PostgresPass(client), limit);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}
