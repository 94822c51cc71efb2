import { LIMITS, PATHS } from "@mcpsight/protocol";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { bodyText, parseJson } from "../http/ingest-body.js";
import type { IngestBudget } from "../http/ingest-budget.js";
import { budgetedRequests, headerProject } from "../http/ingest-request.js";
import type { Ingested, IngestService } from "../services/ingest/index.js";

/** MCPcat sends one event per request, each key twice (camelCase and snake_case). */
const MCPCAT_BODY_BYTES = 4 * LIMITS.eventBytes;

/** A body's text (for checks before parsing) and its parse, which first takes the memory it may need. */
interface Parse {
  text: string;
  parse: () => unknown;
}

/**
 * Ingest: SDK batches and MCPcat events. Writes need only a valid project id. Bodies are taken as
 * bytes and decompressed and parsed in the handler, within the ingest memory budget: a request's
 * share is taken from its Content-Length before the body is read, grows as it is decompressed,
 * and is returned when it is answered (or its connection closes before the handler ran).
 */
export async function ingestRoutes(
  app: FastifyInstance,
  options: { ingest: IngestService; budget: IngestBudget },
): Promise<void> {
  const { ingest, budget } = options;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    "application/json",
    { parseAs: "buffer", bodyLimit: LIMITS.batchBytes },
    (_request: FastifyRequest, body: Buffer, done: (error: null, body: Buffer) => void) => done(null, body),
  );

  const { reserveBody, withReservation } = budgetedRequests(budget);

  /** Runs an ingest handler on the request's JSON body, within its share of the budget. */
  const withBody = <T>(
    request: FastifyRequest,
    handle: (body: Parse, receivedAt: number) => Promise<Ingested<T>>,
  ): Promise<T> =>
    withReservation(request, async (reservation, receivedAt) => {
      const { text, parseCost } = await bodyText(request, request.body as Buffer, reservation);
      const parse = () => {
        reservation.take(parseCost);
        return parseJson(text);
      };
      return handle({ text, parse }, receivedAt);
    });

  app.post(
    PATHS.batch,
    {
      onRequest: async (request, reply) => {
        // An unknown project is refused before its body is read, let alone decompressed.
        const project = headerProject(request, "invalid_batch");
        if (project !== undefined) await ingest.assertProject(project);
        await reserveBody(request, reply);
      },
    },
    async (request, reply) => {
      const project = headerProject(request, "invalid_batch");
      const result = await withBody(request, async ({ text, parse }, receivedAt) => {
        if (project === undefined) await ingest.refuseUnknownProjects(text);
        return ingest.ingestBatch(parse(), { receivedAt, project });
      });
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
      return reply.status(202).send(result);
    },
  );
}
