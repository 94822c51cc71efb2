import { LIMITS } from "@mcpsight/protocol";
import type { Handled } from "../../http/ingest-request.js";
import type { IngestService } from "../ingest/index.js";
import type { OtlpResourceSpans, PartialSuccess } from "./decode.js";
import { spansToEvents } from "./map.js";

export {
  decodeJsonTraces,
  decodeProtobufTraces,
  type OtlpResourceSpans,
  type PartialSuccess,
  traceResponseJson,
  traceResponseProtobuf,
} from "./decode.js";

export interface OtlpIngestResult {
  /** Spans in the request. */
  spans: number;
  /** Events stored (new) and already stored (a re-exported span). */
  accepted: number;
  duplicates: number;
  /** Spans that are not MCP server requests. */
  ignored: number;
  /** MCP server spans that could not be stored. */
  rejected: number;
  /** For the OTLP response: set when any span was not stored. */
  partialSuccess: PartialSuccess | null;
}

/**
 * Stores the MCP server spans of an OTLP export request as events of `projectId`, through the same
 * validation and storage as `POST /v1/batch` (in batches of its size limit); per-event rejections
 * (invalid, too old, refused by the database) are counted as rejected spans.
 */
export async function ingestOtlpTraces(
  ingest: IngestService,
  projectId: string,
  resources: OtlpResourceSpans[],
  receivedAt: number,
): Promise<Handled<OtlpIngestResult>> {
  const mapped = spansToEvents(projectId, resources);
  let accepted = 0;
  let duplicates = 0;
  let rejected = mapped.invalid;
  let storageError: unknown;
  for (let i = 0; i < mapped.events.length; i += LIMITS.batchEvents) {
    const events = mapped.events.slice(i, i + LIMITS.batchEvents);
    const result = await ingest.ingestBatch({ events }, { receivedAt, project: projectId });
    accepted += result.body.accepted;
    duplicates += result.body.duplicates;
    rejected += new Set(result.body.rejected.map((r) => r.index)).size;
    storageError ??= result.storageError;
  }
  const spans = resources.reduce((n, r) => n + r.spans.length, 0);
  const notStored = mapped.ignored + rejected;
  const reasons = [
    mapped.ignored > 0 &&
      `${mapped.ignored} span(s) ignored: not MCP server spans (SERVER kind with mcp.method.name; pings and notifications are not recorded)`,
    rejected > 0 &&
      `${rejected} MCP server span(s) rejected: an invalid trace or span id, method or event, too old, or refused by the database`,
  ].filter(Boolean);
  return {
    body: {
      spans,
      accepted,
      duplicates,
      ignored: mapped.ignored,
      rejected,
      partialSuccess: notStored > 0 ? { rejectedSpans: notStored, errorMessage: reasons.join("; ") } : null,
    },
    storageError,
  };
}
