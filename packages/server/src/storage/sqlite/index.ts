import { join } from "node:path";
import { waitUntil } from "../derive/wait.js";
import { classifyIngestError } from "../errors.js";
import type { DerivationStatus, Storage } from "../index.js";
import { wellFormedEvent } from "../shared/index.js";
import { PENDING_EXACT, pendingFrom } from "../shared/pending.js";
import * as access from "./admin/access.js";
import * as accounts from "./admin/accounts.js";
import { deleteUser } from "./admin/erasure.js";
import { completeFirstStart } from "./admin/first-start.js";
import * as projects from "./admin/projects.js";
import { deleteOlderThan } from "./admin/retention.js";
import { type Db, get, immediate, openDatabase, projectPk } from "./db.js";
import { prepareRows } from "./events/append.js";
import { securePaths } from "./files.js";
import { listErrorGroups, listIntents } from "./queries/errors.js";
import { countSessions, getOverview } from "./queries/overview.js";
import { getSessionTimeline, listSessions } from "./queries/sessions.js";
import { listClientStats, listToolStats } from "./queries/tools.js";
import { getUserProfile, listUsers } from "./queries/users.js";
import { migrate, resetDerived } from "./schema.js";
import { sqliteUnavailable } from "./unavailable.js";
import { type IngestWriter, threadWriter, WorkerWriter } from "./writer/index.js";

export interface SqliteOptions {
  dataDir: string;
  /** Database file; default `<dataDir>/mcpsight.db`. `:memory:` for throwaway stores. */
  path?: string | undefined;
  /** Run the derivation pass in this process (default true). */
  derive?: boolean | undefined;
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
  // Ingest and the pass write on a writer thread with its own connection; an in-memory database
  // exists only on this connection, so there they write here. MCPSIGHT_SQLITE_WRITER=inline also
  // writes here (one thread, one commit per batch: what the benchmark compares against).
  const inline = path === ":memory:" || process.env.MCPSIGHT_SQLITE_WRITER === "inline";
  const derive = options.derive ?? true;
  const writer = inline ? threadWriter(db, derive) : new WorkerWriter(path, derive);
  return createSqliteStorage(db, writer);
}

/** Resolves a project id inside a backend call; unknown projects read as empty. */
function withProject<T>(db: Db, projectId: string, empty: T, fn: (pk: number) => T): T {
  const pk = projectPk(db, projectId);
  return pk === undefined ? empty : fn(pk);
}

function createSqliteStorage(db: Db, writer: IngestWriter): Storage {
  const emptyPage = { items: [], nextCursor: null };
  /** Writes on this connection take their turn with the writer thread's (writer/turn.ts). */
  const write = <T>(fn: () => T | Promise<T>): Promise<T> => writer.exclusive(fn);
  return {
    close: async () => {
      await writer.close();
      db.pragma("wal_checkpoint(TRUNCATE)");
      db.close();
    },
    getSetting: async (key) => projects.getSetting(db, key),
    setSetting: (key, value) => write(() => projects.setSetting(db, key, value)),
    completeFirstStart: (setup) => write(() => completeFirstStart(db, setup)),
    createProject: (input) => write(() => projects.createProject(db, input)),
    getProject: async (id) => projects.getProject(db, id),
    listProjects: async (ids) => projects.listProjects(db, ids),

    createAccount: (input) => write(() => accounts.createAccount(db, input)),
    getAccountByUsername: async (username) => accounts.getAccountByUsername(db, username),
    listAccounts: async () => accounts.listAccounts(db),
    setAccountPassword: (id, hash, keep) => write(() => accounts.setAccountPassword(db, id, hash, keep)),
    setMembership: (accountId, projectId, role) =>
      write(() => access.setMembership(db, accountId, projectId, role)),
    removeMembership: (accountId, projectId) =>
      write(() => access.removeMembership(db, accountId, projectId)),
    listMemberships: async (accountId) => access.listMemberships(db, accountId),
    listProjectMembers: async (projectId) => access.listProjectMembers(db, projectId),
    createApiToken: (input) => write(() => accounts.createApiToken(db, input)),
    getAccountByTokenHash: async (hash) => accounts.getAccountByTokenHash(db, hash),
    createProjectToken: (input) => write(() => access.createProjectToken(db, input)),
    listProjectTokens: async (projectId) => access.listProjectTokens(db, projectId),
    getProjectTokenByHash: async (hash) => access.getProjectTokenByHash(db, hash),
    deleteProjectToken: (projectId, id) => write(() => access.deleteProjectToken(db, projectId, id)),
    createAuthSession: (input) => write(() => accounts.createAuthSession(db, input)),
    getAccountByAuthSession: async (hash, now) => accounts.getAccountByAuthSession(db, hash, now),
    deleteAuthSession: (hash) => write(() => accounts.deleteAuthSession(db, hash)),

    // Text is stored well-formed (shared/event-text.ts), and ids are looked up the same way.
    ingestEvents: (events, droppedEvents = 0) =>
      writer
        .ingest(prepareRows(events.map(wellFormedEvent)), droppedEvents)
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
    deleteUser: (projectId, userId) =>
      write(() =>
        immediate(db, async () => {
          const pk = projectPk(db, projectId);
          return pk === undefined ? null : deleteUser(db, pk, userId.toWellFormed());
        }),
      ),
    deleteOlderThan: (cutoff) => write(() => deleteOlderThan(db, cutoff)),

    getDerivationStatus: async () => derivationStatus(db, writer),
    waitForDerivation: async (timeoutMs = 30_000) => {
      const target = get<{ pk: number | null }>(db, "SELECT max(pk) AS pk FROM events")?.pk ?? 0;
      writer.derive();
      await waitUntil(async () => cursorOf(db).cursor >= target, {
        subscribe: (listener) => writer.onDerived(listener),
        timeoutMs,
        describe: async () => {
          const error = (await derivationStatus(db, writer)).lastError;
          return error ? `; the pass fails: ${error}` : "";
        },
      });
    },
    reindex: async (options = {}) => {
      const result = await write(() =>
        immediate(db, async () => {
          const { reindex_to } = cursorOf(db);
          if (reindex_to !== null && !options.restart) return { resumed: true, total: reindex_to };
          resetDerived(db);
          return { resumed: false, total: cursorOf(db).reindex_to ?? 0 };
        }),
      );
      writer.derive();
      return result;
    },
  };
}

const cursorOf = (db: Db) =>
  get<{ cursor: number; reindex_to: number | null }>(db, "SELECT cursor, reindex_to FROM derivation") as {
    cursor: number;
    reindex_to: number | null;
  };

function derivationStatus(db: Db, writer: IngestWriter): DerivationStatus {
  const { cursor, reindex_to } = cursorOf(db);
  const counted = (
    get<{ n: number }>(
      db,
      "SELECT count(*) AS n FROM (SELECT 1 FROM events WHERE pk > ? LIMIT ?)",
      cursor,
      PENDING_EXACT + 1,
    ) as { n: number }
  ).n;
  const first = get<{ pk: number; received_at: number }>(
    db,
    "SELECT pk, received_at FROM events WHERE pk > ? ORDER BY pk LIMIT 1",
    cursor,
  );
  const pending =
    counted > PENDING_EXACT
      ? pendingFrom(counted, first?.pk, get<{ pk: number }>(db, "SELECT max(pk) AS pk FROM events")?.pk)
      : counted;
  const oldest = first?.received_at;
  const now = Date.now();
  const asOf = Math.min(now, oldest ?? now);
  const report = writer.report();
  const derived =
    reindex_to === null
      ? null
      : (get<{ n: number }>(db, "SELECT count(*) AS n FROM events WHERE pk <= ?", cursor) as { n: number }).n;
  return {
    pending,
    dataAsOf: new Date(asOf).toISOString(),
    lagMs: now - asOf,
    recent: report?.lag ?? null,
    reindex:
      reindex_to === null
        ? null
        : {
            done: derived ?? 0,
            total: (
              get<{ n: number }>(db, "SELECT count(*) AS n FROM events WHERE pk <= ?", reindex_to) as {
                n: number;
              }
            ).n,
          },
    lastError: report?.lastError?.message ?? null,
  };
}
