// Delivery: the in-memory queue and batched, retried POSTs to the collector.
import type { Event } from "@mcpsight/protocol";
import type { Logger } from "../log.js";
import { BatchDelivery } from "./batch-delivery.js";

export { DELIVERY_DEFAULTS } from "./batch-delivery.js";
export { RingQueue } from "./ring-queue.js";

export interface DeliveryOptions {
  /** Collector base URL, e.g. http://127.0.0.1:4747 (no trailing /v1/batch). */
  endpoint: string;
  /** Most events held in memory (queued, in flight or awaiting a retry); beyond it the oldest are dropped and counted. */
  maxQueueSize: number;
  /** Most bytes of event JSON held in memory, counted like `maxQueueSize`. Default 32 MiB. */
  maxQueueBytes?: number;
  /** Events per batch (≤ 1000). */
  maxBatchSize: number;
  /** Most bytes of JSON in one batch body, before gzip. Default 1 MiB. */
  maxBatchBytes?: number;
  /** How often queued events are sent, in ms. */
  flushIntervalMs: number;
  /** Batches in flight at once. */
  maxConcurrency: number;
  logger: Logger;
  /** Sent as X-MCPSight-SDK, e.g. "typescript/0.1.0". */
  sdkHeader: string;
  /** Per-request timeout in ms. Default 10,000. */
  requestTimeoutMs?: number;
  /** First retry waits up to this many ms (full jitter, doubling per failure). Default 500. */
  retryBaseMs?: number | undefined;
  /** Longest backoff between retries in ms (a Retry-After is honoured up to 30 s). Default 5,000. */
  retryMaxMs?: number | undefined;
}

export interface DeliveryStats {
  /** Events waiting in the queue. */
  queued: number;
  /** Bytes of JSON of the events queued, in flight or awaiting a retry: what counts toward maxQueueBytes. */
  queuedBytes: number;
  /** Events in batches being sent or waiting to be retried (they count toward maxQueueSize). */
  inFlight: number;
  /** Events the collector stored (or already had). */
  sent: number;
  /** Events dropped by the SDK: queue full, batch refused as a whole (4xx), or shut down undelivered. */
  dropped: number;
  /** Events the collector refused one by one (listed in `rejected` of its answer); the rest of their batch was stored. */
  rejected: number;
  /** Batches given up on: rejected by the collector, evicted while awaiting retry, or abandoned. */
  failedBatches: number;
  /** Times a batch was sent again after a retryable failure. */
  retriedBatches: number;
}

/** Accepts finished, redacted events and delivers them in batches, one project per batch. Never throws. */
export interface Delivery {
  enqueue(event: Event): void;
  /** Events queued or in flight: what counts toward `maxQueueSize`. */
  backlog(): number;
  /** Drops the oldest queued events (a batch awaiting retry, else one event) to free room; false if none. */
  dropOldest(): boolean;
  /** Counts events dropped before they reached the queue; reported like queue-full drops. */
  reportDropped(count: number): void;
  /** Sends everything queued; resolves when done or after timeoutMs. Never rejects. */
  flush(timeoutMs?: number): Promise<void>;
  /** Flushes with a deadline, then stops timers and refuses new events. Never rejects. */
  shutdown(timeoutMs?: number): Promise<void>;
  stats(): DeliveryStats;
}

/**
 * Creates the batched delivery pipeline. Enqueue is synchronous and O(1); sending happens in the
 * background, and a slow or failing collector never reaches the caller.
 *
 * @example
 * const delivery = createDelivery({
 *   endpoint: "http://127.0.0.1:4747", maxQueueSize: 100_000, maxBatchSize: 500,
 *   flushIntervalMs: 1000, maxConcurrency: 4, logger, sdkHeader: "typescript/0.1.0",
 * });
 * delivery.enqueue(event);
 * await delivery.shutdown(5000);
 */
export function createDelivery(options: DeliveryOptions): Delivery {
  return new BatchDelivery(options);
}
