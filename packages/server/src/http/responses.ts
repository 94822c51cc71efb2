import type {
  Account,
  Bucket,
  ClientStats,
  ErasureResult,
  ErrorGroup,
  IntentItem,
  Overview,
  Page,
  Project,
  ProjectMember,
  ProjectRole,
  ProjectToken,
  SessionSummary,
  SessionTimeline,
  ToolStats,
  UserListItem,
  UserProfile,
} from "../storage/index.js";

/**
 * Response bodies of the query API (docs/API.md), as the routes send them. The routes are typed
 * with these, and the dashboard reads the same types, so the two cannot drift apart.
 */

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
export interface ProjectItem extends Project {
  collectorUrl: string;
  /** The `track()` call for this project and collector. */
  snippet: string;
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
