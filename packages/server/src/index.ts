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
export type { SdkLanguage, SdkSnippet } from "./services/snippets.js";
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
export { PASS_APPLICATION_NAME } from "./storage/postgres/derive/pass-messages.js";
export { eventsTable as postgresEventsTable } from "./storage/postgres/events-table.js";
/**
 * How events are stored: their columns and values in order, and PostgreSQL's events table — for
 * benchmarks that compare ingest with a raw insert of the same rows.
 */
export { EVENT_FIELDS as EVENT_COLUMNS, eventValues } from "./storage/shared/derive-event.js";
