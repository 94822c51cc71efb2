/** Response shapes of the query API, exactly as documented in docs/API.md. */

export type IsoTime = string;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface RangeEcho {
  range: { from: IsoTime; to: IsoTime };
}

export interface Account {
  username: string;
  role: "admin" | "member";
}

export interface Project {
  id: string;
  name: string;
  createdAt: IsoTime;
  lastEventAt: IsoTime | null;
  collectorUrl: string;
  snippet: string;
}

export interface SeriesPoint {
  t: IsoTime;
  toolCalls: number;
  errors: number;
}

export interface Overview extends RangeEcho {
  bucket: "hour" | "day";
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
  topTools: { name: string; calls: number; errors: number; errorRate: number }[];
  topClients: { name: string | null; version: string | null; sessions: number }[];
  newestUsers: { userId: string; userName: string | null; firstSeen: IsoTime }[];
}

export type UserData = Record<string, unknown>;

export interface UserRow {
  userId: string;
  userName: string | null;
  userData: UserData | null;
  firstSeen: IsoTime;
  lastSeen: IsoTime;
  sessions: number;
  toolCalls: number;
  errors: number;
  events: number;
}

/** A client (name, version) a user was seen with; either may be null when the client did not say. */
export interface ClientRef {
  name: string | null;
  version: string | null;
}

/** A users-list row: the user plus up to 5 clients, most recently seen first. */
export interface UserListRow extends UserRow {
  clients: ClientRef[];
}

export interface UsersPage extends RangeEcho, Page<UserListRow> {
  anonymousSessions: number;
}

export interface SessionRow {
  sessionId: string;
  userId: string | null;
  userName: string | null;
  clientName: string | null;
  clientVersion: string | null;
  serverName: string | null;
  serverVersion: string | null;
  firstSeen: IsoTime;
  lastSeen: IsoTime;
  durationMs: number;
  events: number;
  toolCalls: number;
  errors: number;
  stateless: boolean;
}

export interface EventError {
  message: string;
  type: string | null;
  stack: string | null;
}

export interface ReplayEvent {
  id: string;
  eventType: string;
  timestamp: IsoTime;
  offsetMs: number;
  duration: number | null;
  resourceName: string | null;
  parameters: unknown;
  response: unknown;
  userIntent: string | null;
  isError: boolean;
  error: EventError | null;
  userId: string | null;
  identify: { userId: string; userName: string | null; userData: UserData | null } | null;
  clientName: string | null;
  clientVersion: string | null;
  serverName: string | null;
  serverVersion: string | null;
  sdkLanguage: string | null;
  sdkVersion: string | null;
  tags: Record<string, string> | null;
  properties: unknown;
}

export interface IntentRow {
  eventId: string;
  type: "intent" | "missing_tool";
  timestamp: IsoTime;
  sessionId: string;
  userId: string | null;
  userName: string | null;
  tool: string | null;
  intent: string;
  parameters: unknown;
}

export interface UserProfile extends RangeEcho {
  user: UserRow;
  clients: { name: string | null; version: string | null; firstSeen: IsoTime; lastSeen: IsoTime }[];
  activity: SeriesPoint[];
  sessions: SessionRow[];
  topTools: { name: string; calls: number; errors: number; lastUsed: IsoTime }[];
  recentErrors: (ReplayEvent & { sessionId: string })[];
  intents: IntentRow[];
}

export interface SessionReplay {
  session: SessionRow;
  events: ReplayEvent[];
  nextCursor: string | null;
}

export interface ToolRow {
  name: string;
  calls: number;
  errors: number;
  errorRate: number;
  uniqueUsers: number;
  p50Ms: number | null;
  p95Ms: number | null;
  trend: { t: IsoTime; calls: number; errors: number }[];
}

export interface ToolsPage extends RangeEcho, Page<ToolRow> {
  bucket: "hour" | "day";
}

export interface ClientRow {
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
  firstSeen: IsoTime;
  lastSeen: IsoTime;
  sample: (ReplayEvent & { sessionId: string }) | null;
}

export type ListPage<T> = RangeEcho & Page<T>;
