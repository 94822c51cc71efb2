// Process-wide state: one delivery queue per collector URL (however many servers are tracked);
// flush() first waits for the events still being prepared (preparing.ts), then for their delivery.
import { createDelivery, type Delivery } from "./delivery/index.js";
import type { Logger } from "./log.js";
import type { ResolvedOptions } from "./options.js";
import { preparedSoFar } from "./preparing.js";
import { SDK_LANGUAGE, SDK_VERSION } from "./version.js";

const deliveries = new Map<string, Delivery>();

/** The delivery for the options' collector; the first tracker's queue settings win. */
export function deliveryFor(options: ResolvedOptions, logger: Logger): Delivery {
  let delivery = deliveries.get(options.apiBaseUrl);
  if (!delivery) {
    delivery = createDelivery({
      endpoint: options.apiBaseUrl,
      maxQueueSize: options.maxQueueSize,
      maxQueueBytes: options.maxQueueBytes,
      maxBatchSize: 500,
      flushIntervalMs: options.flushIntervalMs,
      maxConcurrency: 4,
      logger,
      sdkHeader: `${SDK_LANGUAGE}/${SDK_VERSION}`,
    });
    deliveries.set(options.apiBaseUrl, delivery);
  }
  return delivery;
}

/**
 * Resolves when the events recorded before the call are no longer being prepared (each reached a
 * delivery queue or was dropped), or after `timeoutMs`. Events recorded meanwhile are not waited for.
 */
function preparedOrTimeout(timeoutMs: number): Promise<void> {
  const prepared = preparedSoFar();
  if (prepared === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    timer.unref?.();
    void prepared.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Sends every event recorded so far. Resolves when they are delivered or after `timeoutMs`;
 * never rejects.
 *
 * @example
 * await flush();
 */
export async function flush(timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await preparedOrTimeout(timeoutMs);
  // Each delivery's flush waits for the events it accepted before this point: those prepared
  // above, and any queued since (already there, they cost no wait for preparation).
  const left = Math.max(0, deadline - Date.now());
  await Promise.all([...deliveries.values()].map((delivery) => delivery.flush(left)));
}

/**
 * Flushes with a deadline (default 5 s), then stops the delivery timers. Call it when the server
 * shuts down; events recorded afterwards are dropped. Never rejects.
 *
 * @example
 * process.on("SIGTERM", async () => { await shutdown(); process.exit(0); });
 */
export async function shutdown(timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await preparedOrTimeout(timeoutMs);
  const all = [...deliveries.values()];
  deliveries.clear();
  await Promise.all(all.map((delivery) => delivery.shutdown(Math.max(0, deadline - Date.now()))));
}
