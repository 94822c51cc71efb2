import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import { HEADERS, PATHS, PROTOCOL_VERSION } from "@mcpsight/protocol/constants";
import { parseRetryAfter } from "./backoff.js";

const gzip = promisify(gzipCallback);

/** What happened to one POST, decided from the status alone. */
export type PostOutcome =
  | { kind: "sent"; status: number }
  | { kind: "retry"; reason: string; retryAfterMs?: number }
  | { kind: "rejected"; status: number; message: string };

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

/** POSTs one gzipped batch. Never throws: every failure becomes an outcome. */
export async function postBatch(target: PostTarget, body: Buffer): Promise<PostOutcome> {
  let response: Response;
  try {
    response = await fetch(target.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "content-encoding": "gzip",
        [HEADERS.protocol]: PROTOCOL_VERSION,
        [HEADERS.sdk]: target.sdkHeader,
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
  if (status >= 200 && status < 300) return { kind: "sent", status };
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
    return {
      kind: "retry",
      reason: `HTTP ${status}`,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }
  return { kind: "rejected", status, message: text.slice(0, 500) };
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    const detail = cause instanceof Error ? `: ${cause.message}` : "";
    return `${error.name}: ${error.message}${detail}`;
  }
  return String(error);
}
