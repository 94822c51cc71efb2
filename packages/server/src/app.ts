import fastifyCookie from "@fastify/cookie";
import { LIMITS } from "@mcpsight/protocol";
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from "fastify";
import { frameworkError, registerErrorHandling, sendError } from "./http/error-handler.js";
import { IngestBudget } from "./http/ingest-budget.js";
import { registerSecurity } from "./http/security.js";
import { accessRoutes } from "./routes/access.js";
import { authRoutes, registerAuthentication } from "./routes/auth.js";
import { registerDashboard } from "./routes/dashboard.js";
import { ingestRoutes } from "./routes/ingest.js";
import { otlpRoutes } from "./routes/otlp.js";
import { queryRoutes } from "./routes/query.js";
import { IngestService } from "./services/ingest/index.js";
import { IngestRate } from "./services/ingest-rate.js";
import type { LoginLimitOptions } from "./services/login-limit.js";
import type { Storage } from "./storage/index.js";

export interface AppOptions {
  storage: Storage;
  logger?: FastifyServerOptions["logger"];
  /** Public base URL shown in the track() snippets; derived from requests when unset. */
  publicUrl?: string | undefined;
  /** Directory of the built dashboard; served at / when it has an index.html. */
  dashboardDir?: string | null;
  /**
   * Trust X-Forwarded-* from reverse proxies in front: `true` for one, a number for a chain of
   * that many. The client's address is then the right-most X-Forwarded-For entry those proxies
   * did not add themselves (what the outermost proxy saw), never one the client wrote.
   */
  trustProxy?: boolean | number;
  loginLimit?: LoginLimitOptions;
  /** Set `draining` when shutting down: /healthz then answers 503. */
  health?: { draining: boolean };
  /** Events older than this many days when received are refused (`too_old`); default 90. */
  retentionDays?: number;
  /** Memory ingest requests in flight may hold, in bytes (`--ingest-memory-mb`); default 256 MiB. */
  ingestMemoryBytes?: number;
}

/** Default of `--ingest-memory-mb`. */
export const DEFAULT_INGEST_MEMORY_MB = 256;

/** Builds the collector's HTTP app: ingest, auth, query API, health and dashboard. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    // A hop count, never Fastify's `true`, which trusts every hop and takes the left-most address.
    trustProxy: trustedHops(options.trustProxy),
    bodyLimit: 64 * 1024,
    // A path parameter may be a user id, which the protocol allows up to 512 characters long.
    routerOptions: {
      ignoreTrailingSlash: true,
      ignoreDuplicateSlashes: true,
      maxParamLength: LIMITS.nameLength,
    },
    // A path the router cannot decode is answered in the collector's one error shape too.
    frameworkErrors: (error, _request, reply) => sendError(reply, frameworkError(error)),
    // One debug line per request comes from the onResponse hook below instead.
    logController: new LogController({ disableRequestLogging: true }),
  });
  const health = options.health ?? { draining: false };
  const { storage } = options;

  app.addHook("onResponse", async (request, reply) => {
    request.log.debug(
      {
        method: request.method,
        url: request.url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      "request",
    );
  });
  registerSecurity(app, { publicUrl: options.publicUrl });
  await app.register(fastifyCookie);
  const spa = await registerDashboard(app, options.dashboardDir ?? null);
  registerErrorHandling(app, spa);
  registerAuthentication(app, storage);

  // Health, plus what an operator watches: the ingest rate and how far derivation is behind.
  const rate = new IngestRate();
  app.get("/healthz", async (request, reply) => {
    if (health.draining) return reply.status(503).send({ status: "shutting_down" });
    try {
      const derivation = await storage.getDerivationStatus();
      return { status: "ok", ingest: { eventsPerSecond: rate.perSecond() }, derivation };
    } catch (error) {
      request.log.error({ err: error }, "health check could not read the database");
      return reply.status(503).send({ status: "unavailable" });
    }
  });
  // Every route that stores events (SDK batches, MCPcat, OTLP) counts what was accepted.
  const counted: Storage = {
    ...storage,
    ingestEvents: async (events, droppedEvents) => {
      const result = await storage.ingestEvents(events, droppedEvents);
      rate.add(result.accepted);
      return result;
    },
  };
  const ingest = new IngestService(counted, { retentionDays: options.retentionDays ?? 90 });
  const budget = new IngestBudget(options.ingestMemoryBytes ?? DEFAULT_INGEST_MEMORY_MB * 1024 * 1024);
  await app.register(ingestRoutes, { ingest, budget });
  await app.register(otlpRoutes, { ingest, budget });
  await app.register(authRoutes, { storage, loginLimit: options.loginLimit });
  await app.register(queryRoutes, { storage, publicUrl: options.publicUrl });
  await app.register(accessRoutes, { storage });
  return app;
}

/**
 * Fastify's trustProxy for `hops` proxies in front: the peer and the X-Forwarded-For entries the
 * inner proxies added are trusted (proxy-addr numbers them from the peer, 0, leftwards), so the
 * client's address is the first entry from the right that is not theirs.
 */
function trustedHops(
  trust: boolean | number | undefined,
): ((address: string, hop: number) => boolean) | false {
  const hops = trust === true ? 1 : typeof trust === "number" ? trust : 0;
  return hops > 0 ? (_address, hop) => hop < hops : false;
}
