/**
 * Response bodies of the query API (docs/API.md), as the routes send them: defined in the
 * protocol package, which the dashboard reads too, so the two cannot drift apart.
 */
export type {
  ClientsResponse,
  CreateTokenResponse,
  DeleteUserResponse,
  ErrorsResponse,
  Freshness,
  HealthResponse,
  IntentsResponse,
  MembersResponse,
  MeResponse,
  OverviewResponse,
  ProjectItem,
  PublicAccount,
  PutMemberResponse,
  RangeEcho,
  SessionsResponse,
  SessionTimelineResponse,
  TokensResponse,
  ToolsResponse,
  UserProfileResponse,
  UsersResponse,
} from "@mcpsight/protocol";
