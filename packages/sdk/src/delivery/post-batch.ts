import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import { HEADERS, PATHS, PROTOCOL_VERSION } from "@mcpsight/protocol/constants";
import { parseRetryAfter } from "./backoff.js";

const gzip = promisify(gzipCallback);

/** One event the collector refused in a 2xx answer (a repeated index means several problems). */
export interface Rejection {
  index: number;
  code: string;
  field: string;
  reason: string;
}

/** What happened to one POST, decided from the status and, for a 2xx, the refused events it lists. */
export type PostOutcome =
  | { kind: "sent"; status: number; rejected: Rejection[] }
  | { kind: "retry"; reason: string; retryAfterMs?: number }
  | { kind: "refused"; status: number; message: string };

export interface PostTarget {
  url: string;
  sdkHeader: string;
  timeoutMs: number;
}

export function batchUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, "")}${PATHS.batch}`;
}

/**
 * Compresses off the main thread. Level 1: analytics JSON is repetitive enough that the fastest
 * level already shrinks it several-fold, and CPU is what the host process pays for.
 */
export function compress(json: string): Promise<Buffer> {
  return gzip(json, { level: 1 });
}

/** POSTs one gzipped batch of one project's events. Never throws: every failure becomes an outcome. */
export async function postBatch(target: PostTarget, project: string, body: Buffer): Promise<PostOutcome> {
  let response: Response;
  try {
    response = await fetch(target.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "content-encoding": "gzip",
        [HEADERS.protocol]: PROTOCOL_VERSION,
        [HEADERS.sdk]: target.sdkHeader,
        [HEADERS.project]: project,
      },
      body,
      signal: AbortSignal.timeout(target.timeoutMs),
    });
  } catch (error) {
    return { kind: "retry", reason: describe(error) };
  }
  // Read the (small) body so the keep-alive socket can be reused.
  const text = await response.text().catch(() => "");
  const status = response.status;
  if (status >= 200 && status < 300) return { kind: "sent", status, rejected: rejectionsIn(text) };
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
    return {
      kind: "retry",
      reason: `HTTP ${status}`,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }
  return { kind: "refused", status, message: text.slice(0, 500) };
}

/**
 * The `rejected` list of a 2xx answer (`{accepted, duplicates, rejected: [{index, code, field,
 * reason}]}`). An answer without one, from a collector older than per-event refusals, or one that
 * is not JSON, means every event was stored.
 */
function rejectionsIn(text: string): Rejection[] {
  if (!text.includes('"rejected"')) return [];
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return [];
  }
  const list = (body as { rejected?: unknown } | null)?.rejected;
  if (!Array.isArray(list)) return [];
  const rejections: Rejection[] = [];
  for (const item of list) {
    if (typeof item !== "object" || item === null) continue;
    const { index, code, field, reason } = item as Record<string, unknown>;
    if (typeof index !== "number" || !Number.isInteger(index)) continue;
    rejections.push({
      index,
      code: typeof code === "string" ? code : "rejected",
      field: typeof field === "string" ? field : "",
      reason: typeof reason === "string" ? reason : "",
    });
  }
  return rejections;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    const detail = cause instanceof Error ? `: ${cause.message}` : "";
    return `${error.name}: ${error.message}${detail}`;
  }
  return String(error);
}
