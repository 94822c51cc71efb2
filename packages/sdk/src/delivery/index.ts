// Interface contract between the tracking pipeline and delivery. Implementation pending.
import type { Event } from "@mcpsight/protocol";
import type { Logger } from "../log.js";

export interface DeliveryOptions {
  /** Collector base URL, e.g. http://127.0.0.1:4747 (no trailing /v1/batch). */
  endpoint: string;
  /** Most events held in memory; when full the oldest are dropped and counted. Default 10,000. */
  maxQueueSize: number;
  /** Events per batch (≤ 1000). */
  maxBatchSize: number;
  /** How often queued events are sent, in ms. */
  flushIntervalMs: number;
  /** Batches in flight at once. */
  maxConcurrency: number;
  logger: Logger;
  /** Sent as X-MCPSight-SDK, e.g. "typescript/0.1.0". */
  sdkHeader: string;
}

export interface DeliveryStats {
  queued: number;
  sent: number;
  dropped: number;
  failedBatches: number;
}

/** Accepts finished, redacted events and delivers them in batches. Never throws. */
export interface Delivery {
  enqueue(event: Event): void;
  /** Sends everything queued; resolves when done or after timeoutMs. Never rejects. */
  flush(timeoutMs?: number): Promise<void>;
  /** Flushes with a deadline, then stops timers and refuses new events. Never rejects. */
  shutdown(timeoutMs?: number): Promise<void>;
  stats(): DeliveryStats;
}
