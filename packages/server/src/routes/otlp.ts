import { LIMITS, PATHS } from "@mcpsight/protocol";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { AppError } from "../errors.js";
import { bodyBytes, decodeCost } from "../http/ingest-body.js";
import type { IngestBudget } from "../http/ingest-budget.js";
import { budgetedRequests, headerProject } from "../http/ingest-request.js";
import type { IngestService } from "../services/ingest/index.js";
import {
  decodeJsonTraces,
  decodeProtobufTraces,
  ingestOtlpTraces,
  traceResponseJson,
  traceResponseProtobuf,
} from "../services/otlp/index.js";

const isProtobuf = (request: FastifyRequest) =>
  String(request.headers["content-type"] ?? "")
    .toLowerCase()
    .startsWith("application/x-protobuf");

/** The project a request's spans belong to (docs/OPENTELEMETRY.md): the X-MCPSight-Project header. */
function requiredProject(request: FastifyRequest): string {
  const projectId = headerProject(request, "invalid_body");
  if (projectId === undefined)
    throw new AppError(
      "invalid_body",
      "Name the project in the X-MCPSight-Project header (OTEL_EXPORTER_OTLP_HEADERS=x-mcpsight-project=<projectId>).",
      [{ field: "X-MCPSight-Project", reason: "is required" }],
    );
  return projectId;
}

/**
 * OTLP/HTTP traces in: `POST /v1/traces`, protobuf or JSON, gzip or not. As for `/v1/batch`,
 * writing needs only a valid project id, checked before the body is read, and the body is
 * decompressed and decoded within the ingest memory budget.
 */
export async function otlpRoutes(
  app: FastifyInstance,
  options: { ingest: IngestService; budget: IngestBudget },
): Promise<void> {
  const { ingest, budget } = options;
  const { reserveBody, withReservation } = budgetedRequests(budget);
  app.removeAllContentTypeParsers();
  for (const type of ["application/x-protobuf", "application/json"])
    app.addContentTypeParser(
      type,
      { parseAs: "buffer", bodyLimit: LIMITS.batchBytes },
      (_request: FastifyRequest, body: Buffer, done: (error: null, body: Buffer) => void) => done(null, body),
    );
  app.addContentTypeParser("*", async (request: FastifyRequest) => {
    throw new AppError(
      "unsupported_media_type",
      `Content-Type "${request.headers["content-type"] ?? ""}" is not OTLP/HTTP; send application/x-protobuf or application/json.`,
    );
  });

  app.post(
    PATHS.otlpTraces,
    {
      onRequest: async (request, reply) => {
        await ingest.assertProject(requiredProject(request));
        await reserveBody(request, reply);
      },
    },
    async (request, reply) => {
      const projectId = requiredProject(request);
      const result = await withReservation(request, async (reservation, receivedAt) => {
        const body = await bodyBytes(request, request.body as Buffer, reservation);
        reservation.take(decodeCost(body.length));
        const resources = isProtobuf(request)
          ? decodeProtobufTraces(body)
          : decodeJsonTraces(body.toString("utf8"));
        return ingestOtlpTraces(ingest, projectId, resources, receivedAt);
      });
      const { partialSuccess, ...counts } = result;
      request.log.debug({ projectId, ...counts }, "otlp spans");
      if (isProtobuf(request))
        return reply.status(200).type("application/x-protobuf").send(traceResponseProtobuf(partialSuccess));
      return reply.status(200).send(traceResponseJson(partialSuccess));
    },
  );
}
