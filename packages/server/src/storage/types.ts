import type { Account, Event } from "@mcpsight/protocol";

// The shapes the query API answers with live in the protocol package (api.ts), so clients such as
// the dashboard read them without depending on the collector; storage re-exports them.
export type {
  Account,
  Bucket,
  ClientStats,
  DerivationStatus,
  ErasureResult,
  ErrorGroup,
  IntentItem,
  Json,
  JsonObject,
  Membership,
  Overview,
  Page,
  Project,
  ProjectMember,
  ProjectRole,
  ProjectToken,
  Role,
  SeriesPoint,
  SessionSummary,
  SessionTimeline,
  StoredEvent,
  ToolCount,
  ToolStats,
  UserListItem,
  UserProfile,
  UserSummary,
} from "@mcpsight/protocol";

/** A time range in epoch milliseconds: `from` inclusive, `to` exclusive. */
export interface TimeRange {
  from: number;
  to: number;
}

export interface PageRequest {
  limit: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor: string | null;
}

export interface AccountWithSecret extends Account {
  passwordHash: string;
}

/**
 * What the first start creates (`Storage.completeFirstStart`): the default project and the admin
 * account with its API token, secrets given as hashes.
 */
export interface FirstStartSetup {
  /** The setting that marks the first start done, stored in the same transaction. */
  marker: { key: string; value: string };
  /**
   * The setting an earlier version stored when it began a first start (and left behind if it was
   * killed): when present, a project and an admin it may have created are taken over.
   */
  legacyClaim: string;
  project: { id: string; name: string };
  admin: { username: string; passwordHash: string; tokenHash: string; tokenName: string };
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
}

export type UserSort = "lastSeen" | "sessions" | "toolCalls" | "errors";

export interface UserListQuery extends PageRequest {
  range: TimeRange;
  search: string | null;
  sort: UserSort;
}

export interface SessionListQuery extends PageRequest {
  range: TimeRange;
  userId: string | null;
  client: string | null;
  tool: string | null;
  hasError: boolean | null;
  stateless: boolean | null;
  anonymous: boolean | null;
}

export interface ErrorListQuery extends PageRequest {
  /** Only groups of this tool (`resourceName`, or the event type for errors without one). */
  tool?: string | null;
}

export interface IntentListQuery extends PageRequest {
  range: TimeRange;
  type: "all" | "intent" | "missing_tool";
}

export interface RetentionResult {
  events: number;
  sessions: number;
  users: number;
}

export type { Event };
