import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { AppError } from "../errors.js";
import { InvalidCursorError } from "../storage/cursor.js";

/** Maps framework errors onto our codes, so every error leaves in one shape. */
function toAppError(error: FastifyError | Error): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof InvalidCursorError)
    return new AppError("invalid_query", error.message, [{ field: "cursor", reason: "is malformed" }]);
  const code = "code" in error ? error.code : undefined;
  const status = "statusCode" in error ? error.statusCode : undefined;
  if (code === "FST_ERR_CTP_BODY_TOO_LARGE" || status === 413)
    return new AppError(
      "payload_too_large",
      "The request body is too large (ingest: send fewer events per batch; elsewhere the limit is 64 KiB).",
    );
  if (code === "FST_ERR_CTP_INVALID_MEDIA_TYPE" || status === 415)
    return new AppError(
      "unsupported_media_type",
      "Send the body as JSON with Content-Type: application/json.",
    );
  if (status === 429) return new AppError("rate_limited", "Too many attempts. Wait a minute and try again.");
  if (
    code === "FST_ERR_CTP_EMPTY_JSON_BODY" ||
    code === "FST_ERR_CTP_INVALID_JSON_BODY" ||
    error instanceof SyntaxError
  )
    return new AppError("invalid_body", "The body is not valid JSON.", [
      { field: "(root)", reason: error.message },
    ]);
  if (status !== undefined && status >= 400 && status < 500)
    return new AppError("invalid_body", error.message);
  return new AppError("internal", "Something went wrong on the collector; its log has the details.");
}

/** The router's own errors, raised before any route or hook: a path it cannot decode or match. */
export function frameworkError(error: FastifyError): AppError {
  if (error.code === "FST_ERR_BAD_URL")
    return new AppError("invalid_path", "The path is not valid percent-encoded UTF-8.");
  if (error.code === "FST_ERR_MAX_PARAM_LENGTH")
    return new AppError("invalid_path", "A part of the path is longer than any id mcpsight stores.");
  return toAppError(error);
}

/** Sends an error in the collector's one shape. */
export function sendError(reply: FastifyReply, error: AppError): FastifyReply {
  if (error.retryAfter !== undefined) reply.header("retry-after", String(error.retryAfter));
  return reply
    .status(error.status)
    .send({ error: { code: error.code, message: error.message, details: error.details } });
}

const NON_PAGE_PREFIXES = ["/api/", "/v1/", "/healthz"];

/** The one place errors become responses; `spaFallback` serves index.html for client routes. */
export function registerErrorHandling(app: FastifyInstance, spaFallback: boolean): void {
  const notFound = (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split("?")[0] ?? "/";
    const isPage = request.method === "GET" && !NON_PAGE_PREFIXES.some((prefix) => path.startsWith(prefix));
    if (spaFallback && isPage) return reply.type("text/html").sendFile("index.html");
    return reply
      .status(404)
      .send({ error: { code: "not_found", message: `No route ${request.method} ${path}.`, details: null } });
  };
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    // Fastify parses the body before its not-found handler runs: a body it cannot parse (a gzip
    // batch sent to the wrong base URL) on a path no route matches is still not found.
    if (request.is404 && String(error.code).startsWith("FST_ERR_CTP_")) return notFound(request, reply);
    const appError = toAppError(error);
    if (appError.status >= 500) request.log.error({ err: error }, "request failed");
    else request.log.warn({ code: appError.code, reason: appError.message }, "request rejected");
    if (appError.code === "rate_limited" && reply.getHeader("retry-after") === undefined)
      reply.header("retry-after", "60");
    return sendError(reply, appError);
  });
  app.setNotFoundHandler(notFound);
}
