import { join } from "node:path";
import { classifyIngestError } from "../errors.js";
import type { Storage } from "../index.js";
import { wellFormedEvent } from "../shared/index.js";
import * as access from "./admin/access.js";
import * as accounts from "./admin/accounts.js";
import { deleteUser } from "./admin/erasure.js";
import { completeFirstStart } from "./admin/first-start.js";
import * as projects from "./admin/projects.js";
import { deleteOlderThan } from "./admin/retention.js";
import { type Db, openDatabase, projectPk } from "./db.js";
import { securePaths } from "./files.js";
import { listErrorGroups, listIntents } from "./queries/errors.js";
import { countSessions, getOverview } from "./queries/overview.js";
import { getSessionTimeline, listSessions } from "./queries/sessions.js";
import { listClientStats, listToolStats } from "./queries/tools.js";
import { getUserProfile, listUsers } from "./queries/users.js";
import { migrate } from "./schema.js";
import { sqliteUnavailable } from "./unavailable.js";
import { type IngestWriter, threadWriter, WorkerWriter } from "./writer/index.js";

export interface SqliteOptions {
  dataDir: string;
  /** Database file; default `<dataDir>/mcpsight.db`. `:memory:` for throwaway stores. */
  path?: string | undefined;
  /** Told each permission it had to tighten on the data directory or database files. */
  onNotice?: ((message: string) => void) | undefined;
}

/** Opens (creating and migrating if needed) the embedded SQLite store. */
export function openSqliteStorage(options: SqliteOptions): Storage {
  const path = options.path ?? join(options.dataDir, "mcpsight.db");
  if (path !== ":memory:")
    for (const notice of securePaths(path, options.path === undefined)) options.onNotice?.(notice);
  const db = openDatabase(path);
  migrate(db);
  // Ingest writes on a writer thread with its own connection; an in-memory database exists only
  // on this connection, so there it writes here. MCPSIGHT_SQLITE_WRITER=inline also writes here
  // (one thread, one commit per batch: what the benchmark compares against).
  const inline = path === ":memory:" || process.env.MCPSIGHT_SQLITE_WRITER === "inline";
  const writer = inline ? threadWriter(db) : new WorkerWriter(path);
  return createSqliteStorage(db, writer);
}

/** Resolves a project id inside a backend call; unknown projects read as empty. */
function withProject<T>(db: Db, projectId: string, empty: T, fn: (pk: number) => T): T {
  const pk = projectPk(db, projectId);
  return pk === undefined ? empty : fn(pk);
}

function createSqliteStorage(db: Db, writer: IngestWriter): Storage {
  const emptyPage = { items: [], nextCursor: null };
  return {
    close: async () => {
      await writer.close();
      db.pragma("wal_checkpoint(TRUNCATE)");
      db.close();
    },
    getSetting: async (key) => projects.getSetting(db, key),
    setSetting: async (key, value) => projects.setSetting(db, key, value),
    completeFirstStart: async (setup) => completeFirstStart(db, setup),
    createProject: async (input) => projects.createProject(db, input),
    getProject: async (id) => projects.getProject(db, id),
    listProjects: async (ids) => projects.listProjects(db, ids),

    createAccount: async (input) => accounts.createAccount(db, input),
    getAccountByUsername: async (username) => accounts.getAccountByUsername(db, username),
    listAccounts: async () => accounts.listAccounts(db),
    setAccountPassword: async (id, hash, keep) => accounts.setAccountPassword(db, id, hash, keep),
    setMembership: async (accountId, projectId, role) => access.setMembership(db, accountId, projectId, role),
    removeMembership: async (accountId, projectId) => access.removeMembership(db, accountId, projectId),
    listMemberships: async (accountId) => access.listMemberships(db, accountId),
    listProjectMembers: async (projectId) => access.listProjectMembers(db, projectId),
    createApiToken: async (input) => accounts.createApiToken(db, input),
    getAccountByTokenHash: async (hash) => accounts.getAccountByTokenHash(db, hash),
    createProjectToken: async (input) => access.createProjectToken(db, input),
    listProjectTokens: async (projectId) => access.listProjectTokens(db, projectId),
    getProjectTokenByHash: async (hash) => access.getProjectTokenByHash(db, hash),
    deleteProjectToken: async (projectId, id) => access.deleteProjectToken(db, projectId, id),
    createAuthSession: async (input) => accounts.createAuthSession(db, input),
    getAccountByAuthSession: async (hash, now) => accounts.getAccountByAuthSession(db, hash, now),
    deleteAuthSession: async (hash) => accounts.deleteAuthSession(db, hash),

    // Text is stored well-formed (shared/event-text.ts), and ids are looked up the same way.
    ingestEvents: (events, droppedEvents = 0) =>
      writer
        .ingest(events.map(wellFormedEvent), droppedEvents)
        .catch((error: unknown) => classifyIngestError(error, sqliteUnavailable)),

    // An unknown project reads as an empty overview: the same query on a key no row has.
    getOverview: async (projectId, range, bucket) =>
      getOverview(db, projectPk(db, projectId) ?? -1, range, bucket),
    listUsers: async (projectId, query) =>
      withProject(db, projectId, emptyPage, (pk) =>
        listUsers(db, pk, { ...query, search: query.search?.toWellFormed() ?? null }),
      ),
    countAnonymousSessions: async (projectId, range) =>
      withProject(db, projectId, 0, (pk) => {
        const { sessions, identified } = countSessions(db, pk, range);
        return sessions - identified;
      }),
    getUserProfile: async (projectId, userId, range) =>
      withProject(db, projectId, null, (pk) => getUserProfile(db, pk, userId.toWellFormed(), range)),
    listSessions: async (projectId, query) =>
      withProject(db, projectId, emptyPage, (pk) =>
        listSessions(db, pk, {
          ...query,
          userId: query.userId?.toWellFormed() ?? null,
          client: query.client?.toWellFormed() ?? null,
          tool: query.tool?.toWellFormed() ?? null,
        }),
      ),
    getSessionTimeline: async (projectId, sessionId, page) =>
      withProject(db, projectId, null, (pk) => getSessionTimeline(db, pk, sessionId.toWellFormed(), page)),
    listToolStats: async (projectId, range, bucket) =>
      withProject(db, projectId, [], (pk) => listToolStats(db, pk, range, bucket)),
    listClientStats: async (projectId, range) =>
      withProject(db, projectId, [], (pk) => listClientStats(db, pk, range)),
    listErrorGroups: async (projectId, range, page) =>
      withProject(db, projectId, emptyPage, (pk) => listErrorGroups(db, pk, range, page)),
    listIntents: async (projectId, query) =>
      withProject(db, projectId, emptyPage, (pk) => listIntents(db, pk, query)),

    // IMMEDIATE: erasure reads before it writes; with the write lock taken first, a commit by the
    // ingest writer in between cannot turn its first write into SQLITE_BUSY.
    deleteUser: async (projectId, userId) =>
      db
        .transaction(() =>
          withProject(db, projectId, null, (pk) => deleteUser(db, pk, userId.toWellFormed())),
        )
        .immediate(),
    deleteOlderThan: async (cutoff) => deleteOlderThan(db, cutoff),
  };
}
