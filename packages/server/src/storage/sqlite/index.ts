import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import type { Storage } from "../index.js";
import * as accounts from "./admin/accounts.js";
import { deleteUser } from "./admin/erasure.js";
import * as projects from "./admin/projects.js";
import { deleteOlderThan } from "./admin/retention.js";
import { claimSetting } from "./admin/settings.js";
import { type Db, projectPk } from "./db.js";
import { BatchWriter } from "./ingest/index.js";
import { listErrorGroups, listIntents } from "./queries/errors.js";
import { countSessions, getOverview } from "./queries/overview.js";
import { getSessionTimeline, listSessions } from "./queries/sessions.js";
import { listClientStats, listToolStats } from "./queries/tools.js";
import { getUserProfile, listUsers } from "./queries/users.js";
import { migrate } from "./schema.js";

export interface SqliteOptions {
  dataDir: string;
  /** Database file; default `<dataDir>/mcpsight.db`. `:memory:` for throwaway stores. */
  path?: string | undefined;
}

/** Opens (creating and migrating if needed) the embedded SQLite store. */
export function openSqliteStorage(options: SqliteOptions): Storage {
  const path = options.path ?? join(options.dataDir, "mcpsight.db");
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  // FULL: a 2xx is only sent after a commit, and the commit must survive power loss too.
  // (NORMAL measured no faster here: the commit's fsync is not where ingest spends its time.)
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  db.pragma("cache_size = -65536");
  migrate(db);
  return createSqliteStorage(db);
}

/** Resolves a project id inside a backend call; unknown projects read as empty. */
function withProject<T>(db: Db, projectId: string, empty: T, fn: (pk: number) => T): T {
  const pk = projectPk(db, projectId);
  return pk === undefined ? empty : fn(pk);
}

function createSqliteStorage(db: Db): Storage {
  const emptyPage = { items: [], nextCursor: null };
  return {
    close: async () => {
      db.pragma("wal_checkpoint(TRUNCATE)");
      db.close();
    },
    getSetting: async (key) => projects.getSetting(db, key),
    setSetting: async (key, value) => projects.setSetting(db, key, value),
    claimSetting: async (key, value) => claimSetting(db, key, value),
    createProject: async (input) => projects.createProject(db, input),
    getProject: async (id) => projects.getProject(db, id),
    listProjects: async (ids) => projects.listProjects(db, ids),

    createAccount: async (input) => accounts.createAccount(db, input),
    getAccountByUsername: async (username) => accounts.getAccountByUsername(db, username),
    setAccountPassword: async (id, hash) => accounts.setAccountPassword(db, id, hash),
    addMembership: async (accountId, projectId) => accounts.addMembership(db, accountId, projectId),
    listMemberships: async (accountId) => accounts.listMemberships(db, accountId),
    createApiToken: async (input) => accounts.createApiToken(db, input),
    getAccountByTokenHash: async (hash) => accounts.getAccountByTokenHash(db, hash),
    createAuthSession: async (input) => accounts.createAuthSession(db, input),
    getAccountByAuthSession: async (hash, now) => accounts.getAccountByAuthSession(db, hash, now),
    deleteAuthSession: async (hash) => accounts.deleteAuthSession(db, hash),

    ingestEvents: async (events, droppedEvents = 0) =>
      db.transaction(() => {
        const byProject = new Map<string, typeof events>();
        for (const event of events) {
          const list = byProject.get(event.projectId);
          if (list) list.push(event);
          else byProject.set(event.projectId, [event]);
        }
        const total = { accepted: 0, duplicates: 0 };
        let dropped = droppedEvents;
        for (const [projectId, projectEvents] of byProject) {
          const pk = projectPk(db, projectId);
          if (pk === undefined) throw new Error(`unknown project ${projectId}`);
          const result = new BatchWriter(db, pk, projectId).write(projectEvents, dropped);
          dropped = 0;
          total.accepted += result.accepted;
          total.duplicates += result.duplicates;
        }
        return total;
      })(),

    getOverview: async (projectId, range, bucket) =>
      withProject(db, projectId, getOverview(db, -1, range, bucket), (pk) =>
        getOverview(db, pk, range, bucket),
      ),
    listUsers: async (projectId, query) =>
      withProject(db, projectId, emptyPage, (pk) => listUsers(db, pk, query)),
    countAnonymousSessions: async (projectId, range) =>
      withProject(db, projectId, 0, (pk) => {
        const { sessions, identified } = countSessions(db, pk, range);
        return sessions - identified;
      }),
    getUserProfile: async (projectId, userId, range) =>
      withProject(db, projectId, null, (pk) => getUserProfile(db, pk, userId, range)),
    listSessions: async (projectId, query) =>
      withProject(db, projectId, emptyPage, (pk) => listSessions(db, pk, query)),
    getSessionTimeline: async (projectId, sessionId, page) =>
      withProject(db, projectId, null, (pk) => getSessionTimeline(db, pk, sessionId, page)),
    listToolStats: async (projectId, range, bucket) =>
      withProject(db, projectId, [], (pk) => listToolStats(db, pk, range, bucket)),
    listClientStats: async (projectId, range) =>
      withProject(db, projectId, [], (pk) => listClientStats(db, pk, range)),
    listErrorGroups: async (projectId, range, page) =>
      withProject(db, projectId, emptyPage, (pk) => listErrorGroups(db, pk, range, page)),
    listIntents: async (projectId, query) =>
      withProject(db, projectId, emptyPage, (pk) => listIntents(db, pk, query)),

    deleteUser: async (projectId, userId) =>
      withProject(db, projectId, null, (pk) => deleteUser(db, pk, userId)),
    deleteOlderThan: async (cutoff) => deleteOlderThan(db, cutoff),
  };
}
