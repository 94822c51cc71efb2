export { type AppOptions, buildApp } from "./app.js";
/** The query API's response bodies (docs/API.md), for clients such as the dashboard. */
export type {
  ClientsResponse,
  CreateTokenResponse,
  DeleteUserResponse,
  ErrorsResponse,
  IntentsResponse,
  MembersResponse,
  MeResponse,
  OverviewResponse,
  ProjectItem,
  PublicAccount,
  PutMemberResponse,
  RangeEcho,
  SessionsResponse,
  TokensResponse,
  ToolsResponse,
  UserProfileResponse,
  UsersResponse,
} from "./http/responses.js";
export { PortInUseError, type RunningServer, type ServerConfig, startServer } from "./server.js";
export type {
  ClientStats,
  ErrorGroup,
  IntentItem,
  Json,
  JsonObject,
  Overview,
  Page,
  Project,
  ProjectMember,
  ProjectRole,
  ProjectToken,
  SeriesPoint,
  SessionSummary,
  SessionTimeline,
  StoredEvent,
  ToolStats,
  UserListItem,
  UserProfile,
  UserSummary,
} from "./storage/index.js";
export { openStorage, type Storage, type StorageOptions } from "./storage/index.js";
