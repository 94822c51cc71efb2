import fastifyCookie from "@fastify/cookie";
import fastifyRateLimit from "@fastify/rate-limit";
import { LIMITS } from "@mcpsight/protocol";
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from "fastify";
import { frameworkError, registerErrorHandling, sendError } from "./http/error-handler.js";
import { authRoutes, registerAuthentication } from "./routes/auth.js";
import { registerDashboard } from "./routes/dashboard.js";
import { ingestRoutes } from "./routes/ingest.js";
import { queryRoutes } from "./routes/query.js";
import { IngestRate } from "./services/ingest-rate.js";
import type { Storage } from "./storage/index.js";

export interface AppOptions {
  storage: Storage;
  logger?: FastifyServerOptions["logger"];
  /** Public base URL shown in the track() snippet; derived from requests when unset. */
  publicUrl?: string | undefined;
  /** Directory of the built dashboard; served at / when it has an index.html. */
  dashboardDir?: string | null;
  /** Trust X-Forwarded-* from a reverse proxy (client IP for rate limits, protocol). */
  trustProxy?: boolean;
  loginLimit?: { max: number; timeWindow: number };
  /** Set `draining` when shutting down: /healthz then answers 503. */
  health?: { draining: boolean };
}

/** Builds the collector's HTTP app: ingest, auth, query API, health and dashboard. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    trustProxy: options.trustProxy ?? false,
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
  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, { global: false });
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
  await app.register(ingestRoutes, { storage, rate });
  await app.register(authRoutes, {
    storage,
    loginLimit: options.loginLimit ?? { max: 10, timeWindow: 60_000 },
  });
  await app.register(queryRoutes, { storage, publicUrl: options.publicUrl });
  return app;
}
