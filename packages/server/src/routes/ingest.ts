import { gunzip } from "node:zlib";
import { LIMITS, PATHS } from "@mcpsight/protocol";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { AppError } from "../errors.js";
import { ingestBatch, ingestMcpcatEvent } from "../services/ingest.js";
import type { IngestRate } from "../services/ingest-rate.js";
import type { Storage } from "../storage/index.js";

const inflate = (body: Buffer): Promise<Buffer> =>
  new Promise((resolve, reject) =>
    gunzip(body, { maxOutputLength: LIMITS.batchBytes }, (error, result) => {
      if (!error) return resolve(result);
      if (error instanceof RangeError || (error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE")
        return reject(
          new AppError("payload_too_large", `The decompressed body exceeds ${LIMITS.batchBytes} bytes.`),
        );
      reject(
        new AppError("invalid_body", "The body is not valid gzip.", [
          { field: "(root)", reason: error.message },
        ]),
      );
    }),
  );

/** JSON bodies, plain or `Content-Encoding: gzip`, up to the protocol's batch limit. */
async function parseJsonBody(request: FastifyRequest, raw: Buffer): Promise<unknown> {
  const encoding = String(request.headers["content-encoding"] ?? "identity").toLowerCase();
  if (encoding !== "gzip" && encoding !== "identity")
    throw new AppError(
      "unsupported_media_type",
      `Content-Encoding "${encoding}" is not supported; use gzip or none.`,
    );
  const text = (encoding === "gzip" ? await inflate(raw) : raw).toString("utf8");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AppError("invalid_body", "The body is not valid JSON.", [
      { field: "(root)", reason: (error as Error).message },
    ]);
  }
}

/** Ingest: SDK batches and MCPcat events. Writes need only a valid project id. */
export async function ingestRoutes(
  app: FastifyInstance,
  options: { storage: Storage; rate?: IngestRate },
): Promise<void> {
  const { storage, rate } = options;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    "application/json",
    { parseAs: "buffer", bodyLimit: LIMITS.batchBytes },
    (request: FastifyRequest, body: Buffer) => parseJsonBody(request, body),
  );

  app.post(PATHS.batch, async (request, reply) => {
    const result = await ingestBatch(storage, request.body);
    rate?.add(result.accepted);
    request.log.debug({ ...result }, "batch stored");
    return reply.status(200).send(result);
  });

  // MCPcat's client expects 202 with {"status"}; it sends one event per request.
  app.post(PATHS.mcpcatEvent, async (request, reply) => {
    const result = await ingestMcpcatEvent(storage, request.body);
    rate?.add(result.accepted);
    return reply.status(202).send({ status: "accepted", ...result });
  });
}
