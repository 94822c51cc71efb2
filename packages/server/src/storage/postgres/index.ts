import type { Event } from "@mcpsight/protocol";
import type pg from "pg";
import type { Storage } from "../index.js";
import type { IngestResult, RetentionResult } from "../types.js";
import * as accounts from "./admin/accounts.js";
import { deleteUser } from "./admin/erasure.js";
import * as projects from "./admin/projects.js";
import { deleteOlderThan } from "./admin/retention.js";
import { all, createPool, parsePostgresUrl, transaction } from "./db.js";
import { BatchWriter, lockKeys, lockKeysOf } from "./ingest/index.js";
import { listErrorGroups, listIntents } from "./queries/errors.js";
import { countSessions, getOverview } from "./queries/overview.js";
import { getSessionTimeline, listSessions } from "./queries/sessions.js";
import { listClientStats, listToolStats } from "./queries/tools.js";
import { getUserProfile, listUsers } from "./queries/users.js";
import { migrate } from "./schema.js";
import { storableEvent } from "./text.js";

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
  return createPostgresStorage(pool, url.schema);
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

function createPostgresStorage(pool: pg.Pool, schema: string): Storage {
  const emptyPage = { items: [], nextCursor: null };
  const keys = projectKeys(pool);
  const withProject = async <T>(projectId: string, empty: T, fn: (pk: number) => Promise<T>): Promise<T> => {
    const pk = (await keys([projectId])).get(projectId);
    return pk === undefined ? empty : fn(pk);
  };

  const ingestEvents = async (batch: Event[], droppedEvents = 0): Promise<IngestResult> => {
    const events = batch.map(storableEvent);
    const byProject = new Map<string, Event[]>();
    for (const event of events) {
      const list = byProject.get(event.projectId) ?? [];
      list.push(event);
      byProject.set(event.projectId, list);
    }
    const pks = await keys([...byProject.keys()]);
    for (const projectId of byProject.keys())
      if (!pks.has(projectId)) throw new Error(`unknown project ${projectId}`);
    return transaction(pool, async (db, defer) => {
      // All of the batch's locks first, in one consistent order: no lock-order deadlocks. The
      // reads queued behind the lock run once it is granted.
      defer(lockKeys(db, events.flatMap(lockKeysOf)));
      const total = { accepted: 0, duplicates: 0 };
      let dropped = droppedEvents;
      for (const [projectId, projectEvents] of byProject) {
        const writer = new BatchWriter(db, pks.get(projectId) as number, projectId);
        const result = await writer.write(projectEvents, dropped, defer);
        dropped = 0;
        total.accepted += result.accepted;
        total.duplicates += result.duplicates;
      }
      return total;
    });
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
        return await deleteOlderThan(pool, cutoff);
      } finally {
        await client.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [key]);
      }
    } finally {
      client.release();
    }
  };

  return {
    close: () => pool.end(),
    getSetting: (key) => projects.getSetting(pool, key),
    setSetting: (key, value) => projects.setSetting(pool, key, value),
    claimSetting: (key, value) => projects.claimSetting(pool, key, value),
    createProject: (input) => projects.createProject(pool, input),
    getProject: (id) => projects.getProject(pool, id),
    listProjects: (ids) => projects.listProjects(pool, ids),

    createAccount: (input) => accounts.createAccount(pool, input),
    getAccountByUsername: (username) => accounts.getAccountByUsername(pool, username),
    setAccountPassword: (id, hash) => accounts.setAccountPassword(pool, id, hash),
    addMembership: (accountId, projectId) => accounts.addMembership(pool, accountId, projectId),
    listMemberships: (accountId) => accounts.listMemberships(pool, accountId),
    createApiToken: (input) => accounts.createApiToken(pool, input),
    getAccountByTokenHash: (hash) => accounts.getAccountByTokenHash(pool, hash),
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
      withProject(projectId, null, (pk) => deleteUser(pool, pk, projectId, userId)),
    deleteOlderThan: retention,

    // Derived at ingest, in the batch's transaction, until this backend's pass lands.
    getDerivationStatus: async () => ({
      pending: 0,
      dataAsOf: new Date().toISOString(),
      lagMs: 0,
      recent: null,
      reindex: null,
      lastError: null,
    }),
    waitForDerivation: async () => {},
    reindex: async () => {
      throw new Error("reindex is not available on PostgreSQL yet");
    },
  };
}
