import type {
  Account,
  AccountWithSecret,
  Bucket,
  ClientStats,
  DerivationStatus,
  ErasureResult,
  ErrorGroup,
  ErrorListQuery,
  Event,
  FirstStartSetup,
  IngestResult,
  IntentItem,
  IntentListQuery,
  Membership,
  Overview,
  Page,
  PageRequest,
  Project,
  ProjectMember,
  ProjectRole,
  ProjectToken,
  RetentionResult,
  Role,
  SessionListQuery,
  SessionSummary,
  SessionTimeline,
  TimeRange,
  ToolStats,
  UserListItem,
  UserListQuery,
  UserProfile,
} from "./types.js";

export { StorageUnavailableError } from "./errors.js";
export type * from "./types.js";

/**
 * The event store: ingest appends events and nothing else. An event id already stored in its
 * project is skipped and counted; every `projectId` must exist; all or nothing per call. The
 * derivation pass (storage/derive/) reads what was appended and builds the derived store.
 */
export interface EventStore {
  /**
   * Rejects with a `StorageUnavailableError` when the database cannot take writes at all
   * (unreachable, full, locked); any other rejection is about these events, and nothing of them
   * was stored.
   */
  ingestEvents(events: Event[], droppedEvents?: number): Promise<IngestResult>;
}

/**
 * The derived store as the query API reads it: users, sessions, rollups and the replay, as far
 * as the pass has derived (`getDerivationStatus`).
 */
export interface DerivedStore {
  getOverview(projectId: string, range: TimeRange, bucket: Bucket): Promise<Overview>;
  listUsers(projectId: string, query: UserListQuery): Promise<Page<UserListItem>>;
  countAnonymousSessions(projectId: string, range: TimeRange): Promise<number>;
  getUserProfile(projectId: string, userId: string, range: TimeRange): Promise<UserProfile | null>;
  listSessions(projectId: string, query: SessionListQuery): Promise<Page<SessionSummary>>;
  getSessionTimeline(
    projectId: string,
    sessionId: string,
    page: PageRequest,
  ): Promise<SessionTimeline | null>;
  listToolStats(projectId: string, range: TimeRange, bucket: Bucket): Promise<ToolStats[]>;
  listClientStats(projectId: string, range: TimeRange): Promise<ClientStats[]>;
  /** Error groups with occurrences in the range; `page.tool` keeps one tool's groups. */
  listErrorGroups(projectId: string, range: TimeRange, page: ErrorListQuery): Promise<Page<ErrorGroup>>;
  listIntents(projectId: string, query: IntentListQuery): Promise<Page<IntentItem>>;

  getDerivationStatus(): Promise<DerivationStatus>;
  /**
   * Resolves once every event acknowledged before the call is derived (by whichever collector
   * runs the pass); rejects after `timeoutMs` (default 30 s) naming the pass's last error.
   */
  waitForDerivation(timeoutMs?: number): Promise<void>;
  /**
   * Rebuilds every derived table from the stored events: empties them and sets the pass's cursor
   * to the start, or continues a rebuild already in progress (`restart` starts over). Ingest and
   * queries go on meanwhile (queries see the rebuilt part).
   */
  reindex(options?: { restart?: boolean }): Promise<{ resumed: boolean; total: number }>;
}

/** Settings, projects, accounts and access, and the deletions an operator asks for. */
export interface AdminStore {
  // settings (first-start marker and similar)
  getSetting(key: string): Promise<string | null>;
  setSetting(key: string, value: string): Promise<void>;
  /**
   * The first start, in one transaction and at most once: unless `setup.marker` is set, creates
   * the project and the admin account with its token (an admin that exists gets the new password
   * and token) and sets the marker. Resolves to the project when this call did the first start,
   * null when it had been done. Collectors starting together wait for each other; a process killed
   * part-way leaves nothing behind, so the next start does it all.
   */
  completeFirstStart(setup: FirstStartSetup): Promise<Project | null>;

  // projects
  createProject(input: { id: string; name: string }): Promise<Project>;
  getProject(projectId: string): Promise<Project | null>;
  /** All projects, or only those in `ids`, oldest first. */
  listProjects(ids?: string[]): Promise<Project[]>;

  // accounts and access
  createAccount(input: { username: string; passwordHash: string; role: Role }): Promise<Account>;
  getAccountByUsername(username: string): Promise<AccountWithSecret | null>;
  /** Every account, by username. */
  listAccounts(): Promise<Account[]>;
  /**
   * Replaces the password hash and, in the same transaction, ends every login session of the
   * account except `keepSession` (a session id hash), so a changed password locks out old logins.
   */
  setAccountPassword(accountId: string, passwordHash: string, keepSession?: string | null): Promise<void>;
  /** Adds the account to the project with `role`, or changes its role there. */
  setMembership(accountId: string, projectId: string, role: ProjectRole): Promise<void>;
  /** True when the account was a member. */
  removeMembership(accountId: string, projectId: string): Promise<boolean>;
  /** The account's projects and roles, oldest project first. */
  listMemberships(accountId: string): Promise<Membership[]>;
  /** The project's members, by username. */
  listProjectMembers(projectId: string): Promise<ProjectMember[]>;
  /** Stores a token by its hash; `replace` removes the account's other tokens of the same name. */
  createApiToken(input: {
    accountId: string;
    tokenHash: string;
    name: string;
    replace?: boolean;
  }): Promise<void>;
  getAccountByTokenHash(tokenHash: string): Promise<Account | null>;
  /** Stores a project's read token by its hash; `createdBy` is an account id. */
  createProjectToken(input: {
    id: string;
    projectId: string;
    tokenHash: string;
    name: string;
    createdBy: string | null;
  }): Promise<ProjectToken>;
  /** The project's tokens, oldest first. */
  listProjectTokens(projectId: string): Promise<ProjectToken[]>;
  getProjectTokenByHash(tokenHash: string): Promise<ProjectToken | null>;
  /** Revokes a token of the project; true when it existed. */
  deleteProjectToken(projectId: string, tokenId: string): Promise<boolean>;
  createAuthSession(input: { idHash: string; accountId: string; expiresAt: number }): Promise<void>;
  /** The account of an unexpired login session. */
  getAccountByAuthSession(idHash: string, now: number): Promise<Account | null>;
  deleteAuthSession(idHash: string): Promise<void>;

  // erasure and retention
  /**
   * Erases a user: identity, sessions and events (derived or not), and their share of every
   * aggregate; events of theirs that still arrive with an earlier timestamp are dropped.
   */
  deleteUser(projectId: string, userId: string): Promise<ErasureResult | null>;
  /** Deletes events older than `cutoff` (epoch ms) and what only they kept alive. */
  deleteOlderThan(cutoff: number): Promise<RetentionResult>;
}

/**
 * Everything the collector persists, in three parts by concern. Backends live in one folder each
 * (`sqlite/`, `postgres/`) and all run `test/storage.suite.ts`. Methods are async so that
 * network databases fit; ids are the public string ids, never backend keys.
 */
export interface Storage extends EventStore, DerivedStore, AdminStore {
  close(): Promise<void>;
}

export interface StorageOptions {
  /** Directory for the embedded database (SQLite), created if missing. */
  dataDir: string;
  /** A database URL selecting another backend (e.g. `postgres://…`); unset = SQLite in dataDir. */
  databaseUrl?: string | undefined;
  /**
   * Whether this process runs the derivation pass (default true; one-off commands that do not
   * ingest pass false). On PostgreSQL one collector at a time runs it.
   */
  derive?: boolean;
  /** Told each file permission SQLite's store had to tighten (for a log line). */
  onNotice?: ((message: string) => void) | undefined;
}

/**
 * The file a `sqlite:` or `file:` database URL names (relative to the working directory);
 * undefined for any other URL.
 */
export function sqliteUrlPath(url: string): string | undefined {
  const scheme = /^(sqlite|file):(\/\/)?/.exec(url);
  return scheme ? url.slice(scheme[0].length) : undefined;
}

/** A database URL of a backend mcpsight does not have. */
export class UnsupportedDatabaseUrlError extends Error {}

/** Opens the backend selected by the options. */
export async function openStorage(options: StorageOptions): Promise<Storage> {
  const url = options.databaseUrl;
  if (url && /^postgres(ql)?:\/\//.test(url)) {
    const { openPostgresStorage } = await import("./postgres/index.js");
    return openPostgresStorage({ url, derive: options.derive });
  }
  const path = url ? sqliteUrlPath(url) : undefined;
  if (url && path === undefined) {
    throw new UnsupportedDatabaseUrlError(
      `Unsupported database URL scheme in "${url.split(":")[0]}:…"; use postgres://user:password@host/db, sqlite:<path>, or leave --database-url unset for SQLite in the data directory.`,
    );
  }
  const { openSqliteStorage } = await import("./sqlite/index.js");
  return openSqliteStorage({
    dataDir: options.dataDir,
    path,
    derive: options.derive,
    onNotice: options.onNotice,
  });
}
