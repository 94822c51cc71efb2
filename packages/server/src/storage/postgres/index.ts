import type { Event } from "@mcpsight/protocol";
import type pg from "pg";
import { waitUntil } from "../derive/wait.js";
import { classifyIngestError } from "../errors.js";
import type { DerivationStatus, Storage } from "../index.js";
import { PENDING_EXACT, pendingFrom } from "../shared/pending.js";
import type { IngestResult, RetentionResult } from "../types.js";
import * as access from "./admin/access.js";
import * as accounts from "./admin/accounts.js";
import { deleteUser } from "./admin/erasure.js";
import { completeFirstStart } from "./admin/first-start.js";
import * as projects from "./admin/projects.js";
import { deleteOlderThan } from "./admin/retention.js";
import { all, createPool, get, parsePostgresUrl, run, transaction } from "./db.js";
import { PassThread } from "./derive/pass-thread.js";
import { chunkLock, readCursor } from "./derive/transaction.js";
import { appendEvents } from "./events/append.js";
import { listErrorGroups, listIntents } from "./queries/errors.js";
import { countSessions, getOverview } from "./queries/overview.js";
import { getSessionTimeline, listSessions } from "./queries/sessions.js";
import { listClientStats, listToolStats } from "./queries/tools.js";
import { getUserProfile, listUsers } from "./queries/users.js";
import { migrate, resetDerived } from "./schema.js";
import { storableEvent } from "./text.js";
import { postgresUnavailable } from "./unavailable.js";

export interface PostgresOptions {
  /** `postgres://user:pass@host:port/db`, optionally `?schema=name` (default `public`). */
  url: string;
  /** Pool size per collector process (default 10). */
  poolSize?: number | undefined;
  /** Run the derivation pass in this process (default true). */
  derive?: boolean | undefined;
}

/**
 * Opens the PostgreSQL store: a connection pool, migrations run under an advisory lock (several
 * collectors may start at once), then the `Storage` implementation. Safe to run several
 * collector processes against one database: see ARCHITECTURE.md, "PostgreSQL".
 */
export async function openPostgresStorage(options: PostgresOptions): Promise<Storage> {
  const url = parsePostgresUrl(options.url);
  const pool = createPool(url, options.poolSize);
  try {
    await migrate(pool, url.schema);
  } catch (error) {
    await pool.end();
    throw error;
  }
  return createPostgresStorage(pool, url.schema, (options.derive ?? true) ? options.url : null);
}

/** Project keys by public id, cached: projects are never deleted or renumbered. */
function projectKeys(pool: pg.Pool) {
  const cache = new Map<string, number>();
  return async (ids: string[]): Promise<Map<string, number>> => {
    const missing = ids.filter((id) => !cache.has(id));
    if (missing.length > 0)
      for (const row of await all<{ id: string; pk: number }>(
        pool,
        "SELECT id, pk FROM projects WHERE id = ANY($1::text[])",
        [missing],
      ))
        cache.set(row.id, row.pk);
    return new Map(ids.flatMap((id) => (cache.has(id) ? [[id, cache.get(id) as number] as const] : [])));
  };
}

/** `deriveUrl`: the database URL the pass thread connects with, or null for no pass here. */
function createPostgresStorage(pool: pg.Pool, schema: string, deriveUrl: string | null): Storage {
  const emptyPage = { items: [], nextCursor: null };
  const keys = projectKeys(pool);
  const withProject = async <T>(projectId: string, empty: T, fn: (pk: number) => Promise<T>): Promise<T> => {
    const pk = (await keys([projectId])).get(projectId);
    return pk === undefined ? empty : fn(pk);
  };

  const pass = deriveUrl === null ? null : new PassThread(deriveUrl);

  const ingestEvents = (batch: Event[], droppedEvents = 0): Promise<IngestResult> =>
    writeEvents(batch, droppedEvents).catch((error: unknown) =>
      classifyIngestError(error, postgresUnavailable),
    );

  const writeEvents = async (batch: Event[], droppedEvents: number): Promise<IngestResult> => {
    const events = batch.map(storableEvent);
    const pks = await keys([...new Set(events.map((e) => e.projectId))]);
    for (const event of events)
      if (!pks.has(event.projectId)) throw new Error(`unknown project ${event.projectId}`);
    const result = await appendEvents(pool, events, pks, droppedEvents);
    pass?.wake(result.accepted);
    return result;
  };

  const status = async (): Promise<DerivationStatus> => {
    const cursor = await readCursor(pool);
    const after = [cursor.txid, cursor.pk];
    const [counted, oldest, done, total] = await Promise.all([
      get<{ n: number }>(
        pool,
        "SELECT count(*) AS n FROM (SELECT 1 FROM events WHERE (txid, pk) > ($1::xid8, $2::bigint) LIMIT $3) x",
        [...after, PENDING_EXACT + 1],
      ),
      get<{ pk: number; received_at: number }>(
        pool,
        "SELECT pk, received_at FROM events WHERE (txid, pk) > ($1::xid8, $2::bigint) ORDER BY txid, pk LIMIT 1",
        after,
      ),
      cursor.reindex
        ? get<{ n: number }>(
            pool,
            "SELECT count(*) AS n FROM events WHERE (txid, pk) <= ($1::xid8, $2::bigint)",
            after,
          )
        : undefined,
      cursor.reindex
        ? get<{ n: number }>(
            pool,
            "SELECT count(*) AS n FROM events WHERE (txid, pk) <= ($1::xid8, $2::bigint)",
            [cursor.reindex.txid, cursor.reindex.pk],
          )
        : undefined,
    ]);
    let pending = counted?.n ?? 0;
    if (pending > PENDING_EXACT) {
      const last = await get<{ pk: number }>(pool, "SELECT max(pk) AS pk FROM events");
      pending = pendingFrom(pending, oldest?.pk, last?.pk);
    }
    const now = Date.now();
    const asOf = Math.min(now, oldest?.received_at ?? now);
    const report = pass?.report() ?? null;
    return {
      pending,
      dataAsOf: new Date(asOf).toISOString(),
      lagMs: now - asOf,
      recent: report?.lag ?? null,
      reindex: cursor.reindex ? { done: done?.n ?? 0, total: total?.n ?? 0 } : null,
      lastError: pass?.lastError?.message ?? null,
    };
  };

  /** One retention run at a time across every collector on this database. */
  const retention = async (cutoff: number): Promise<RetentionResult> => {
    const client = await pool.connect();
    const key = `mcpsight.retention.${schema}`;
    try {
      const { rows } = await client.query<{ locked: boolean }>(
        "SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked",
        [key],
      );
      if (!rows[0]?.locked) return { events: 0, sessions: 0, users: 0 };
      try {
        return await deleteOlderThan(pool, schema, cutoff);
      } finally {
        await client.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [key]);
      }
    } finally {
      client.release();
    }
  };

  return {
    close: async () => {
      await pass?.close();
      await pool.end();
    },
    getSetting: (key) => projects.getSetting(pool, key),
    setSetting: (key, value) => projects.setSetting(pool, key, value),
    completeFirstStart: (setup) => completeFirstStart(pool, setup),
    createProject: (input) => projects.createProject(pool, input),
    getProject: (id) => projects.getProject(pool, id),
    listProjects: (ids) => projects.listProjects(pool, ids),

    createAccount: (input) => accounts.createAccount(pool, input),
    getAccountByUsername: (username) => accounts.getAccountByUsername(pool, username),
    listAccounts: () => accounts.listAccounts(pool),
    setAccountPassword: (id, hash, keep) => accounts.setAccountPassword(pool, id, hash, keep),
    setMembership: (accountId, projectId, role) => access.setMembership(pool, accountId, projectId, role),
    removeMembership: (accountId, projectId) => access.removeMembership(pool, accountId, projectId),
    listMemberships: (accountId) => access.listMemberships(pool, accountId),
    listProjectMembers: (projectId) => access.listProjectMembers(pool, projectId),
    createApiToken: (input) => accounts.createApiToken(pool, input),
    getAccountByTokenHash: (hash) => accounts.getAccountByTokenHash(pool, hash),
    createProjectToken: (input) => access.createProjectToken(pool, input),
    listProjectTokens: (projectId) => access.listProjectTokens(pool, projectId),
    getProjectTokenByHash: (hash) => access.getProjectTokenByHash(pool, hash),
    deleteProjectToken: (projectId, id) => access.deleteProjectToken(pool, projectId, id),
    createAuthSession: (input) => accounts.createAuthSession(pool, input),
    getAccountByAuthSession: (hash, now) => accounts.getAccountByAuthSession(pool, hash, now),
    deleteAuthSession: (hash) => accounts.deleteAuthSession(pool, hash),

    ingestEvents,

    getOverview: async (projectId, range, bucket) =>
      // An unknown project reads as an empty one (key -1 matches no row).
      getOverview(pool, (await keys([projectId])).get(projectId) ?? -1, range, bucket),
    listUsers: (projectId, query) => withProject(projectId, emptyPage, (pk) => listUsers(pool, pk, query)),
    countAnonymousSessions: (projectId, range) =>
      withProject(projectId, 0, async (pk) => {
        const { sessions, identified } = await countSessions(pool, pk, range);
        return sessions - identified;
      }),
    getUserProfile: (projectId, userId, range) =>
      withProject(projectId, null, (pk) => getUserProfile(pool, pk, userId, range)),
    listSessions: (projectId, query) =>
      withProject(projectId, emptyPage, (pk) => listSessions(pool, pk, query)),
    getSessionTimeline: (projectId, sessionId, page) =>
      withProject(projectId, null, (pk) => getSessionTimeline(pool, pk, sessionId, page)),
    listToolStats: (projectId, range, bucket) =>
      withProject(projectId, [], (pk) => listToolStats(pool, pk, range, bucket)),
    listClientStats: (projectId, range) =>
      withProject(projectId, [], (pk) => listClientStats(pool, pk, range)),
    listErrorGroups: (projectId, range, page) =>
      withProject(projectId, emptyPage, (pk) => listErrorGroups(pool, pk, range, page)),
    listIntents: (projectId, query) =>
      withProject(projectId, emptyPage, (pk) => listIntents(pool, pk, query)),

    deleteUser: (projectId, userId) =>
      withProject(projectId, null, (pk) => deleteUser(pool, schema, pk, userId)),
    deleteOlderThan: retention,

    getDerivationStatus: status,
    waitForDerivation: async (timeoutMs = 30_000) => {
      const target = await get<{ txid: string; pk: number }>(
        pool,
        "SELECT txid, pk FROM events ORDER BY txid DESC, pk DESC LIMIT 1",
      );
      if (!target) return;
      pass?.wake();
      await waitUntil(
        async () =>
          (
            (await get<{ done: boolean }>(
              pool,
              "SELECT (cursor_txid, cursor_pk) >= ($1::xid8, $2::bigint) AS done FROM derivation",
              [target.txid, target.pk],
            )) as { done: boolean }
          ).done,
        {
          subscribe: pass ? (listener) => pass.onDerived(listener) : undefined,
          timeoutMs,
          describe: async () => {
            const error = (await status()).lastError;
            return error ? `; the pass fails: ${error}` : "";
          },
        },
      );
    },
    reindex: async (options = {}) => {
      const result = await transaction(pool, async (db) => {
        // Under the chunk lock: no chunk is half way through when the tables are emptied.
        await run(db, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [chunkLock(schema)]);
        const cursor = await readCursor(db);
        const count = (after: { txid: string; pk: number }) =>
          get<{ n: number }>(
            db,
            "SELECT count(*) AS n FROM events WHERE (txid, pk) <= ($1::xid8, $2::bigint)",
            [after.txid, after.pk],
          );
        if (cursor.reindex && !options.restart)
          return { resumed: true, total: (await count(cursor.reindex))?.n ?? 0 };
        await resetDerived(db);
        const target = (await readCursor(db)).reindex;
        return { resumed: false, total: target ? ((await count(target))?.n ?? 0) : 0 };
      });
      pass?.wake();
      return result;
    },
  };
}
