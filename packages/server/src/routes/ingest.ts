import { HEADERS, LIMITS, PATHS } from "@mcpsight/protocol";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { AppError } from "../errors.js";
import { bodyText, parseJson } from "../http/ingest-body.js";
import type { IngestBudget, Reservation } from "../http/ingest-budget.js";
import type { Ingested, IngestService } from "../services/ingest/index.js";
import type { IngestRate } from "../services/ingest-rate.js";

/** MCPcat sends one event per request, each key twice (camelCase and snake_case). */
const MCPCAT_BODY_BYTES = 4 * LIMITS.eventBytes;

/** A body's text (for checks before parsing) and its parse, which first takes the memory it may need. */
interface Parse {
  text: string;
  parse: () => unknown;
}

declare module "fastify" {
  interface FastifyRequest {
    /** The request's share of the ingest memory budget (ingest routes only). */
    ingestReservation?: Reservation;
  }
}

/** The batch's project from `X-MCPSight-Project`, or undefined without the header. */
function headerProject(request: FastifyRequest): string | undefined {
  const value = request.headers[HEADERS.project];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.length === 0 || value.length > LIMITS.projectIdLength)
    throw new AppError("invalid_batch", `${HEADERS.project} must be one project id of 1 to 128 characters.`, [
      { field: `header ${HEADERS.project}`, reason: "must be one project id of 1 to 128 characters" },
    ]);
  return value;
}

/**
 * Ingest: SDK batches and MCPcat events. Writes need only a valid project id. Bodies are taken as
 * bytes and decompressed and parsed in the handler, within the ingest memory budget: a request's
 * share is taken from its Content-Length before the body is read, grows as it is decompressed,
 * and is returned when it is answered (or its connection closes before the handler ran).
 */
export async function ingestRoutes(
  app: FastifyInstance,
  options: { ingest: IngestService; budget: IngestBudget; rate?: IngestRate },
): Promise<void> {
  const { ingest, budget, rate } = options;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    "application/json",
    { parseAs: "buffer", bodyLimit: LIMITS.batchBytes },
    (_request: FastifyRequest, body: Buffer, done: (error: null, body: Buffer) => void) => done(null, body),
  );

  /** Requests whose handler runs: it returns their share when done, whenever the connection closes. */
  const handling = new WeakSet<FastifyRequest>();
  /** Takes the request's share for its announced body; refuses it (503) before reading when it does not fit. */
  const reserveBody = async (request: FastifyRequest, reply: FastifyReply) => {
    const reservation = budget.reserve();
    request.ingestReservation = reservation;
    reply.raw.once("close", () => {
      if (!handling.has(request)) reservation.release();
    });
    reservation.take(Number(request.headers["content-length"]) || 0);
  };

  /** Runs an ingest handler holding the request's share of the budget until it is done. */
  const withBody = async <T>(
    request: FastifyRequest,
    handle: (body: Parse, receivedAt: number) => Promise<Ingested<T>>,
  ): Promise<T> => {
    handling.add(request);
    const reservation = request.ingestReservation as Reservation;
    try {
      const { text, parseCost } = await bodyText(request, request.body as Buffer, reservation);
      const parse = () => {
        reservation.take(parseCost);
        return parseJson(text);
      };
      const { body, storageError } = await handle({ text, parse }, Date.now());
      if (storageError)
        request.log.warn({ err: storageError }, "events refused by the database were answered not_stored");
      return body;
    } finally {
      handling.delete(request);
      reservation.release();
    }
  };

  app.post(
    PATHS.batch,
    {
      onRequest: async (request, reply) => {
        // An unknown project is refused before its body is read, let alone decompressed.
        const project = headerProject(request);
        if (project !== undefined) await ingest.assertProject(project);
        await reserveBody(request, reply);
      },
    },
    async (request, reply) => {
      const project = headerProject(request);
      const result = await withBody(request, async ({ text, parse }, receivedAt) => {
        if (project === undefined) await ingest.refuseUnknownProjects(text);
        return ingest.ingestBatch(parse(), { receivedAt, project });
      });
      rate?.add(result.accepted);
      request.log.debug({ ...result, rejected: result.rejected.length }, "batch stored");
      return reply.status(200).send(result);
    },
  );

  // MCPcat's client expects 202 with {"status"}; it sends one event per request.
  app.post(
    PATHS.mcpcatEvent,
    { bodyLimit: MCPCAT_BODY_BYTES, onRequest: reserveBody },
    async (request, reply) => {
      const result = await withBody(request, async ({ text, parse }, receivedAt) => {
        await ingest.refuseUnknownProjects(text);
        return ingest.ingestMcpcatEvent(parse(), { receivedAt });
      });
      rate?.add(result.accepted);
      return reply.status(202).send(result);
    },
  );
}
