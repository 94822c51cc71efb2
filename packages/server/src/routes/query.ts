import type { FastifyInstance, FastifyRequest } from "fastify";
import {
  optional,
  parseBoolean,
  parseBucket,
  parseEnum,
  parsePage,
  parseRange,
  type Query,
} from "../http/params.js";
import type {
  ClientsResponse,
  DeleteUserResponse,
  ErrorsResponse,
  Freshness,
  IntentsResponse,
  OverviewResponse,
  ProjectItem,
  SessionsResponse,
  SessionTimelineResponse,
  ToolsResponse,
  UserProfileResponse,
  UsersResponse,
} from "../http/responses.js";
import { assertCanRead, readableProjects } from "../services/access.js";
import { requirePrincipal } from "../services/auth.js";
import { withSnippet } from "../services/projects.js";
import { deleteUser, getSessionTimeline, getUserProfile } from "../services/queries.js";
import type { Page, Storage } from "../storage/index.js";
import { iso } from "../storage/time.js";

type Params = { projectId: string; userId?: string; sessionId?: string };
type Req = FastifyRequest<{ Params: Params; Querystring: Query }>;

const USER_SORTS = ["lastSeen", "sessions", "toolCalls", "errors"] as const;
const INTENT_TYPES = ["all", "intent", "missing_tool"] as const;

/** The collector's public base URL as the caller sees it (for the track() snippets). */
function collectorUrl(request: FastifyRequest, publicUrl: string | undefined): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, "");
  const proto = String(request.headers["x-forwarded-proto"] ?? request.protocol)
    .split(",")[0]
    ?.trim();
  const host = String(request.headers["x-forwarded-host"] ?? request.headers.host ?? "127.0.0.1:4747").split(
    ",",
  )[0];
  return `${proto}://${host?.trim()}`;
}

/** The query API of docs/API.md: parse, authorise, call a service, shape. */
export async function queryRoutes(
  app: FastifyInstance,
  options: { storage: Storage; publicUrl?: string | undefined },
): Promise<void> {
  const { storage } = options;
  const base = "/api/v1/projects/:projectId";
  /** Read before the query: the data answered is at least this fresh. */
  const freshness = async (): Promise<Freshness> => {
    const { dataAsOf, lagMs, pending } = await storage.getDerivationStatus();
    return { dataAsOf, lagMs, pending };
  };
  /** Range-filtered handlers: authorise the project, parse the range, echo it with the freshness. */
  const scoped = async (request: Req) => {
    await assertCanRead(storage, request.principal, request.params.projectId);
    const range = parseRange(request.query);
    return {
      projectId: request.params.projectId,
      query: request.query,
      range,
      echo: { from: iso(range.from), to: iso(range.to) },
      freshness: await freshness(),
    };
  };

  app.get("/api/v1/projects", async (request): Promise<Page<ProjectItem>> => {
    const projects = await readableProjects(storage, requirePrincipal(request.principal));
    const url = collectorUrl(request, options.publicUrl);
    return { items: projects.map((project) => withSnippet(project, url)), nextCursor: null };
  });

  app.get(`${base}/overview`, async (request: Req): Promise<OverviewResponse> => {
    const { projectId, query, range, echo, freshness } = await scoped(request);
    const bucket = parseBucket(query, range);
    return { range: echo, freshness, bucket, ...(await storage.getOverview(projectId, range, bucket)) };
  });

  app.get(`${base}/users`, async (request: Req): Promise<UsersResponse> => {
    const { projectId, query, range, echo, freshness } = await scoped(request);
    const page = await storage.listUsers(projectId, {
      ...parsePage(query),
      range,
      search: optional(query, "search"),
      sort: parseEnum(query, "sort", USER_SORTS, "lastSeen"),
    });
    return {
      range: echo,
      freshness,
      anonymousSessions: await storage.countAnonymousSessions(projectId, range),
      ...page,
    };
  });

  app.get(`${base}/users/:userId`, async (request: Req): Promise<UserProfileResponse> => {
    const range = parseRange(request.query);
    const fresh = await freshness();
    const profile = await getUserProfile(
      storage,
      request.principal,
      request.params.projectId,
      request.params.userId ?? "",
      range,
    );
    return { range: { from: iso(range.from), to: iso(range.to) }, freshness: fresh, ...profile };
  });

  app.delete(
    `${base}/users/:userId`,
    async (request: Req): Promise<DeleteUserResponse> => ({
      deleted: await deleteUser(
        storage,
        request.principal,
        request.params.projectId,
        request.params.userId ?? "",
      ),
    }),
  );

  app.get(`${base}/sessions`, async (request: Req): Promise<SessionsResponse> => {
    const { projectId, query, range, echo, freshness } = await scoped(request);
    const page = await storage.listSessions(projectId, {
      ...parsePage(query),
      range,
      userId: optional(query, "userId"),
      client: optional(query, "client"),
      tool: optional(query, "tool"),
      hasError: parseBoolean(query, "hasError"),
      stateless: parseBoolean(query, "stateless"),
      anonymous: parseBoolean(query, "anonymous"),
    });
    return { range: echo, freshness, ...page };
  });

  app.get(`${base}/sessions/:sessionId`, async (request: Req): Promise<SessionTimelineResponse> => {
    const fresh = await freshness();
    const timeline = await getSessionTimeline(
      storage,
      request.principal,
      request.params.projectId,
      request.params.sessionId ?? "",
      parsePage(request.query, { limit: 500, max: 1000 }),
    );
    return { ...timeline, freshness: fresh };
  });

  app.get(`${base}/tools`, async (request: Req): Promise<ToolsResponse> => {
    const { projectId, query, range, echo, freshness } = await scoped(request);
    const bucket = parseBucket(query, range);
    return {
      range: echo,
      freshness,
      bucket,
      items: await storage.listToolStats(projectId, range, bucket),
      nextCursor: null,
    };
  });

  app.get(`${base}/clients`, async (request: Req): Promise<ClientsResponse> => {
    const { projectId, range, echo, freshness } = await scoped(request);
    return {
      range: echo,
      freshness,
      items: await storage.listClientStats(projectId, range),
      nextCursor: null,
    };
  });

  app.get(`${base}/errors`, async (request: Req): Promise<ErrorsResponse> => {
    const { projectId, query, range, echo, freshness } = await scoped(request);
    const page = { ...parsePage(query), tool: optional(query, "tool") };
    return { range: echo, freshness, ...(await storage.listErrorGroups(projectId, range, page)) };
  });

  app.get(`${base}/intents`, async (request: Req): Promise<IntentsResponse> => {
    const { projectId, query, range, echo, freshness } = await scoped(request);
    const page = await storage.listIntents(projectId, {
      ...parsePage(query),
      range,
      type: parseEnum(query, "type", INTENT_TYPES, "all"),
    });
    return { range: echo, freshness, ...page };
  });
}
