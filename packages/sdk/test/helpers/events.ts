import { type Event, validateEvent } from "@mcpsight/protocol";
import { expect } from "vitest";
import { flush } from "../../src/index.js";
import type { Sink } from "./sink.js";

/** Flushes the SDK, then returns what the sink holds, every event checked against the protocol. */
export async function receivedEvents(sink: Sink): Promise<Event[]> {
  await flush();
  const events = sink.events;
  for (const event of events) {
    const verdict = validateEvent(event);
    expect(verdict.ok ? [] : verdict.issues, `invalid ${event.eventType} event`).toEqual([]);
  }
  return events;
}

/** Everything the sink received, as raw JSON text, to search for leaked secrets. */
export function rawReceived(sink: Sink): string {
  return JSON.stringify(sink.batches.map((batch) => batch.body));
}

export const ofType = (events: Event[], type: string): Event[] => events.filter((e) => e.eventType === type);

/** A logger that records warnings, for asserting "exactly one warning". */
export function recordingLogger(): {
  warnings: string[];
  debug(m: string): void;
  warn(m: string): void;
  error(m: string): void;
} {
  const warnings: string[] = [];
  return { warnings, debug() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
}
