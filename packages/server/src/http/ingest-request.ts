import { HEADERS, LIMITS } from "@mcpsight/protocol";
import type { FastifyReply, FastifyRequest } from "fastify";
import { AppError } from "../errors.js";
import type { IngestBudget, Reservation } from "./ingest-budget.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The request's share of the ingest memory budget (ingest routes only). */
    ingestReservation?: Reservation;
  }
}

/** What an ingest handler returns: its answer, and the first error the database gave, for the log. */
export interface Handled<T> {
  body: T;
  storageError: unknown;
}

/**
 * The ingest routes' use of the memory budget: a request's share is taken from its Content-Length
 * before the body is read (`reserveBody`, an onRequest hook), grows while the handler decompresses
 * and parses it, and is returned when the request is answered (`withReservation`), or when its
 * connection closes before the handler ran.
 */
export function budgetedRequests(budget: IngestBudget) {
  /** Requests whose handler runs: it returns their share when done, whenever the connection closes. */
  const handling = new WeakSet<FastifyRequest>();

  /** Takes the request's share for its announced body; refuses it (503) before reading when it does not fit. */
  const reserveBody = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const reservation = budget.reserve();
    request.ingestReservation = reservation;
    reply.raw.once("close", () => {
      if (!handling.has(request)) reservation.release();
    });
    reservation.take(Number(request.headers["content-length"]) || 0);
  };

  /** Runs an ingest handler holding the request's share of the budget until it is done. */
  const withReservation = async <T>(
    request: FastifyRequest,
    handle: (reservation: Reservation, receivedAt: number) => Promise<Handled<T>>,
  ): Promise<T> => {
    handling.add(request);
    const reservation = request.ingestReservation as Reservation;
    try {
      const { body, storageError } = await handle(reservation, Date.now());
      if (storageError)
        request.log.warn({ err: storageError }, "events refused by the database were answered not_stored");
      return body;
    } finally {
      handling.delete(request);
      reservation.release();
    }
  };

  return { reserveBody, withReservation };
}

/**
 * The project named by `X-MCPSight-Project`, or undefined without the header; a malformed value
 * is a 400 with `code`.
 */
export function headerProject(
  request: FastifyRequest,
  code: "invalid_batch" | "invalid_body",
): string | undefined {
  const value = request.headers[HEADERS.project];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.length === 0 || value.length > LIMITS.projectIdLength)
    throw new AppError(code, `${HEADERS.project} must be one project id of 1 to 128 characters.`, [
      { field: `header ${HEADERS.project}`, reason: "must be one project id of 1 to 128 characters" },
    ]);
  return value;
}
