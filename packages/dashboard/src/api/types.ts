/**
 * Response shapes of the query API (docs/API.md): the protocol package's types, which the
 * collector's routes are typed with too, under the names the dashboard uses. Type-only.
 */
import type {
  ClientStats,
  CreateTokenResponse,
  RangeEcho as Echo,
  ErrorGroup as ErrorGroupItem,
  IntentItem,
  MembersResponse,
  MeResponse,
  OverviewResponse,
  Page as PageOf,
  SeriesPoint as Point,
  ProjectItem,
  ProjectMember,
  ProjectRole,
  ProjectToken,
  PublicAccount,
  PutMemberResponse,
  SessionSummary,
  SessionTimelineResponse,
  StoredEvent,
  TokensResponse,
  ToolStats,
  ToolsResponse,
  UserListItem,
  UserProfileResponse,
  UserSummary,
  UsersResponse,
} from "@mcpsight/protocol";

export type IsoTime = string;
export type Page<T> = PageOf<T>;
export type RangeEcho = Echo;
export type Account = PublicAccount;
export type Project = ProjectItem;
export type SeriesPoint = Point;
export type Overview = OverviewResponse;
export type UserData = NonNullable<UserSummary["userData"]>;
export type UserRow = UserSummary;
/** A client (name, version) a user was seen with; either may be null when the client did not say. */
export type ClientRef = UserListItem["clients"][number];
/** A users-list row: the user plus up to 5 clients, most recently seen first. */
export type UserListRow = UserListItem;
export type UsersPage = UsersResponse;
export type SessionRow = SessionSummary;
export type ReplayEvent = StoredEvent;
export type EventError = NonNullable<StoredEvent["error"]>;
export type IntentRow = IntentItem;
export type UserProfile = UserProfileResponse;
export type SessionReplay = SessionTimelineResponse;
export type ToolRow = ToolStats;
export type ToolsPage = ToolsResponse;
export type ClientRow = ClientStats;
export type ErrorGroup = ErrorGroupItem;
export type ListPage<T> = RangeEcho & Page<T>;
export type Me = MeResponse;
export type Role = ProjectRole;
export type Member = ProjectMember;
export type Members = MembersResponse;
export type PutMember = PutMemberResponse;
export type Token = ProjectToken;
export type Tokens = TokensResponse;
export type CreatedToken = CreateTokenResponse;
