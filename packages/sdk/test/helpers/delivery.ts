import type { Event } from "@mcpsight/protocol";
import { createDelivery, type Delivery, type DeliveryOptions } from "../../src/delivery/index.js";
import type { Logger } from "../../src/log.js";

/** A logger that keeps every line, so tests can assert on diagnostics without touching stdio. */
export interface RecordingLogger extends Logger {
  lines: { level: "debug" | "warn" | "error"; message: string }[];
  text(): string;
}

export function recordingLogger(): RecordingLogger {
  const lines: RecordingLogger["lines"] = [];
  return {
    lines,
    debug: (message) => lines.push({ level: "debug", message }),
    warn: (message) => lines.push({ level: "warn", message }),
    error: (message) => lines.push({ level: "error", message }),
    text: () => lines.map((line) => `${line.level}: ${line.message}`).join("\n"),
  };
}

/** A valid tools/call event with a unique id. */
export function makeEvent(index: number, overrides: Partial<Event> = {}): Event {
  return {
    id: `evt-${index}-${Math.random().toString(36).slice(2, 10)}`,
    projectId: "proj_test",
    sessionId: "sess_test",
    eventType: "mcp:tools/call",
    timestamp: new Date().toISOString(),
    duration: 1,
    resourceName: "echo",
    parameters: { text: `call ${index}` },
    ...overrides,
  };
}

/** Delivery with test-friendly defaults: fast retries, a long interval unless overridden. */
export function testDelivery(
  endpoint: string,
  overrides: Partial<DeliveryOptions> = {},
): { delivery: Delivery; logger: RecordingLogger } {
  const logger = recordingLogger();
  const delivery = createDelivery({
    endpoint,
    maxQueueSize: 10_000,
    maxBatchSize: 1000,
    flushIntervalMs: 60_000,
    maxConcurrency: 4,
    logger,
    sdkHeader: "typescript/0.0.0-test",
    retryBaseMs: 5,
    retryMaxMs: 50,
    ...overrides,
  });
  return { delivery, logger };
}
