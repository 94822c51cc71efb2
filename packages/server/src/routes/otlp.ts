import { LIMITS, PATHS } from "@mcpsight/protocol";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { AppError, projectNotFound } from "../errors.js";
import {
  decodeJsonTraces,
  decodeProtobufTraces,
  ingestOtlpTraces,
  type OtlpResourceSpans,
  traceResponseJson,
  traceResponseProtobuf,
} from "../services/otlp/index.js";
import type { Storage } from "../storage/index.js";
import { inflate } from "./ingest.js";

/** The project a request's spans belong to (docs/OPENTELEMETRY.md). */
const PROJECT_HEADER = "x-mcpsight-project";

const isProtobuf = (request: FastifyRequest) =>
  String(request.headers["content-type"] ?? "")
    .toLowerCase()
    .startsWith("application/x-protobuf");

async function decodeBody(request: FastifyRequest, raw: Buffer): Promise<OtlpResourceSpans[]> {
  const encoding = String(request.headers["content-encoding"] ?? "identity").toLowerCase();
  if (encoding !== "gzip" && encoding !== "identity")
    throw new AppError(
      "unsupported_media_type",
      `Content-Encoding "${encoding}" is not supported; use gzip or none.`,
    );
  const body = encoding === "gzip" ? await inflate(raw) : raw;
  return isProtobuf(request) ? decodeProtobufTraces(body) : decodeJsonTraces(body.toString("utf8"));
}

/**
 * OTLP/HTTP traces in: `POST /v1/traces`, protobuf or JSON, gzip or not. The project comes from
 * the `X-MCPSight-Project` header and, as for `/v1/batch`, writing needs only a valid project id.
 */
export async function otlpRoutes(app: FastifyInstance, options: { storage: Storage }): Promise<void> {
  const { storage } = options;
  app.removeAllContentTypeParsers();
  for (const type of ["application/x-protobuf", "application/json"])
    app.addContentTypeParser(
      type,
      { parseAs: "buffer", bodyLimit: LIMITS.batchBytes },
      (request: FastifyRequest, body: Buffer) => decodeBody(request, body),
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
      // The project is checked before the body is read or decompressed.
      onRequest: async (request) => {
        const projectId = request.headers[PROJECT_HEADER];
        if (typeof projectId !== "string" || projectId === "")
          throw new AppError(
            "invalid_body",
            "Name the project in the X-MCPSight-Project header (OTEL_EXPORTER_OTLP_HEADERS=x-mcpsight-project=<projectId>).",
            [{ field: "X-MCPSight-Project", reason: "is required" }],
          );
        if (!(await storage.getProject(projectId))) throw projectNotFound(projectId);
      },
    },
    async (request, reply) => {
      const projectId = request.headers[PROJECT_HEADER] as string;
      const result = await ingestOtlpTraces(storage, projectId, request.body as OtlpResourceSpans[]);
      const { partialSuccess, ...counts } = result;
      request.log.debug({ projectId, ...counts }, "otlp spans");
      if (isProtobuf(request))
        return reply.status(200).type("application/x-protobuf").send(traceResponseProtobuf(partialSuccess));
      return reply.status(200).send(traceResponseJson(partialSuccess));
    },
  );
}
