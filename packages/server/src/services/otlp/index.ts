import { LIMITS } from "@mcpsight/protocol";
import type { Storage } from "../../storage/index.js";
import { ingestBatch } from "../ingest.js";
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
 * validation and storage as `POST /v1/batch` (in batches of its size limit).
 */
export async function ingestOtlpTraces(
  storage: Storage,
  projectId: string,
  resources: OtlpResourceSpans[],
): Promise<OtlpIngestResult> {
  const mapped = spansToEvents(projectId, resources);
  let accepted = 0;
  let duplicates = 0;
  let rejected = mapped.invalid;
  for (let i = 0; i < mapped.events.length; i += LIMITS.batchEvents) {
    const result = await ingestBatch(storage, { events: mapped.events.slice(i, i + LIMITS.batchEvents) });
    accepted += result.accepted;
    duplicates += result.duplicates;
    // Per-event rejections, where the batch ingest reports them, are spans that were not stored.
    const perEvent = (result as { rejected?: { index: number }[] }).rejected;
    if (Array.isArray(perEvent)) rejected += new Set(perEvent.map((r) => r.index)).size;
  }
  const spans = resources.reduce((n, r) => n + r.spans.length, 0);
  const notStored = mapped.ignored + rejected;
  const reasons = [
    mapped.ignored > 0 &&
      `${mapped.ignored} span(s) ignored: not MCP server spans (SERVER kind with mcp.method.name; pings and notifications are not recorded)`,
    rejected > 0 && `${rejected} MCP server span(s) rejected: invalid trace or span id, method or event`,
  ].filter(Boolean);
  return {
    spans,
    accepted,
    duplicates,
    ignored: mapped.ignored,
    rejected,
    partialSuccess: notStored > 0 ? { rejectedSpans: notStored, errorMessage: reasons.join("; ") } : null,
  };
}
