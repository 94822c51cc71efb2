/**
 * The query API's request-independent shapes (docs/API.md): what the collector answers and the
 * dashboard and other clients read. Types only, so a client depends on the protocol package, not
 * on the collector and its native modules.
 */

/** JSON as stored and returned (parameters, response, userData, tags, properties). */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export type JsonObject = { [key: string]: Json };

/** An account's role everywhere: `admin` reads and manages every project; `member` only its own. */
export type Role = "admin" | "member";

/** A member's role in one project: `viewer` reads it; `admin` also manages its members and tokens. */
export type ProjectRole = "viewer" | "admin";

export type Bucket = "hour" | "day";

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Project {
  id: string;
  name: string;
  createdAt: string;
  lastEventAt: string | null;
}

export interface Account {
  id: string;
  username: string;
  role: Role;
}

/** A project an account belongs to, and its role there. */
export interface Membership {
  projectId: string;
  role: ProjectRole;
}

/** An account as a member of one project. */
export interface ProjectMember {
  username: string;
  role: ProjectRole;
  /** The account's role everywhere (an `admin` manages every project anyway). */
  accountRole: Role;
}

/** A read-only API token for one project (its secret is stored only as a hash). */
export interface ProjectToken {
  id: string;
  projectId: string;
  name: string;
  createdAt: string;
  /** Username of the account that created it; null when made with the CLI. */
  createdBy: string | null;
}

/**
 * How far derivation is behind ingest. Events are acknowledged once stored; the pass then
 * derives users, sessions and rollups from them.
 */
export interface DerivationStatus {
  /** Events stored but not derived yet. */
  pending: number;
  /** Every event acknowledged before this time is derived (now, when nothing is pending). */
  dataAsOf: string;
  /** Now minus `dataAsOf`, in milliseconds. */
  lagMs: number;
  /**
   * Lag (acknowledged → derived) of the events derived in the last minute, where this collector
   * runs the pass; null where it does not.
   */
  recent: { p50Ms: number; p99Ms: number; maxMs: number; events: number } | null;
  /** A reindex in progress: events derived of those stored when it started. */
  reindex: { done: number; total: number } | null;
  /** The pass's last failure, while it keeps failing. */
  lastError: string | null;
}

export interface UserSummary {
  userId: string;
  userName: string | null;
  userData: JsonObject | null;
  firstSeen: string;
  lastSeen: string;
  sessions: number;
  toolCalls: number;
  errors: number;
  events: number;
}

/** A row of the users list: the summary plus the clients the user was seen with. */
export interface UserListItem extends UserSummary {
  /** Up to 5 (name, version) pairs, most recently seen first. */
  clients: { name: string | null; version: string | null }[];
}

export interface SessionSummary {
  sessionId: string;
  userId: string | null;
  userName: string | null;
  clientName: string | null;
  clientVersion: string | null;
  serverName: string | null;
  serverVersion: string | null;
  firstSeen: string;
  lastSeen: string;
  durationMs: number;
  events: number;
  toolCalls: number;
  errors: number;
  stateless: boolean;
}

export interface StoredEvent {
  id: string;
  eventType: string;
  timestamp: string;
  offsetMs: number;
  duration: number | null;
  resourceName: string | null;
  parameters: Json | null;
  response: Json | null;
  userIntent: string | null;
  isError: boolean;
  error: { message: string; type: string | null; stack: string | null } | null;
  userId: string | null;
  identify: { userId: string; userName: string | null; userData: JsonObject | null } | null;
  clientName: string | null;
  clientVersion: string | null;
  serverName: string | null;
  serverVersion: string | null;
  sdkLanguage: string | null;
  sdkVersion: string | null;
  tags: Record<string, string> | null;
  properties: JsonObject | null;
  /** W3C trace and span id of the request, when the SDK or the OTLP span had them. */
  traceId: string | null;
  spanId: string | null;
}

/** A session with one page of its events, oldest first (the replay). */
export interface SessionTimeline {
  session: SessionSummary;
  events: StoredEvent[];
  nextCursor: string | null;
}

export interface IntentItem {
  eventId: string;
  type: "intent" | "missing_tool";
  timestamp: string;
  sessionId: string;
  userId: string | null;
  userName: string | null;
  tool: string | null;
  intent: string | null;
  parameters: Json | null;
}

export interface SeriesPoint {
  t: string;
  toolCalls: number;
  errors: number;
}

export interface ToolCount {
  name: string;
  calls: number;
  errors: number;
  errorRate: number;
}

export interface Overview {
  totals: {
    activeUsers: number;
    sessions: number;
    identifiedSessions: number;
    anonymousSessions: number;
    toolCalls: number;
    errors: number;
    errorRate: number;
  };
  series: SeriesPoint[];
  topTools: ToolCount[];
  topClients: { name: string | null; version: string | null; sessions: number }[];
  newestUsers: { userId: string; userName: string | null; firstSeen: string }[];
}

export interface UserProfile {
  user: UserSummary;
  clients: { name: string | null; version: string | null; firstSeen: string; lastSeen: string }[];
  activity: SeriesPoint[];
  sessions: SessionSummary[];
  topTools: { name: string; calls: number; errors: number; lastUsed: string }[];
  recentErrors: (StoredEvent & { sessionId: string })[];
  intents: IntentItem[];
}

export interface ToolStats extends ToolCount {
  uniqueUsers: number;
  p50Ms: number | null;
  p95Ms: number | null;
  trend: { t: string; calls: number; errors: number }[];
}

export interface ClientStats {
  name: string | null;
  version: string | null;
  users: number;
  sessions: number;
}

export interface ErrorGroup {
  tool: string;
  message: string;
  count: number;
  users: number;
  sessions: number;
  firstSeen: string;
  lastSeen: string;
  sample: (StoredEvent & { sessionId: string }) | null;
}

export interface ErasureResult {
  users: number;
  sessions: number;
  events: number;
}

/**
 * How current a response's data is: every event acknowledged before `dataAsOf` is in it;
 * `pending` events were stored but not derived yet (docs/API.md, "Freshness").
 */
export interface Freshness {
  dataAsOf: string;
  lagMs: number;
  pending: number;
}

/** The range a range-filtered response covers, as ISO 8601 times, and its freshness. */
export interface RangeEcho {
  range: { from: string; to: string };
  freshness: Freshness;
}

/** An account as the API shows it (never its id or secret). */
export type PublicAccount = Pick<Account, "username" | "role">;

/** `GET /auth/me`: the signed-in account, or the project token the request carried. */
export interface MeResponse {
  account: PublicAccount | null;
  token: Pick<ProjectToken, "id" | "name" | "projectId"> | null;
}

/** A project with what its owner needs to send events to it. */
export type SdkLanguage = "typescript" | "python" | "go";

/** One SDK's setup: shell commands (one a line) and the code that wraps the server. */
export interface SdkSnippet {
  language: SdkLanguage;
  /** "TypeScript", "Python", "Go". */
  label: string;
  install: string;
  code: string;
}

export interface ProjectItem extends Project {
  collectorUrl: string;
  /** The TypeScript `track()` call for this project and collector (kept for older clients). */
  snippet: string;
  /** How to instrument a server in TypeScript, Python and Go: install commands and code. */
  snippets: SdkSnippet[];
  /** The caller's role here: `admin` may manage members and tokens, `viewer` only reads. */
  access: ProjectRole;
}

export type MembersResponse = Page<ProjectMember>;
/** `PUT …/members/:username`: `password` is set (once) when the account was created for it. */
export interface PutMemberResponse {
  member: ProjectMember;
  password: string | null;
}
export type TokensResponse = Page<ProjectToken>;
/** `POST …/tokens`: `secret` is shown only in this response. */
export interface CreateTokenResponse {
  token: ProjectToken;
  secret: string;
}

export type OverviewResponse = RangeEcho & Overview & { bucket: Bucket };
export type UsersResponse = RangeEcho & Page<UserListItem> & { anonymousSessions: number };
export type UserProfileResponse = RangeEcho & UserProfile;
export type SessionTimelineResponse = SessionTimeline & { freshness: Freshness };
export type SessionsResponse = RangeEcho & Page<SessionSummary>;
export type ToolsResponse = RangeEcho & Page<ToolStats> & { bucket: Bucket };
export type ClientsResponse = RangeEcho & Page<ClientStats>;
export type ErrorsResponse = RangeEcho & Page<ErrorGroup>;
export type IntentsResponse = RangeEcho & Page<IntentItem>;
export interface DeleteUserResponse {
  deleted: ErasureResult;
}

/** `GET /healthz`: health, the ingest rate and how far derivation is behind (docs/API.md). */
export interface HealthResponse {
  status: "ok";
  ingest: { eventsPerSecond: number };
  derivation: DerivationStatus;
}
