import { LIMITS } from "@mcpsight/protocol/constants";

/** One batch body ready to compress, with how many events it carries. */
export interface SerializedBatch {
  json: string;
  count: number;
  droppedEvents: number;
}

/**
 * Joins queued events' JSON (each serialized when it was queued) into
 * `{"events":[...],"droppedEvents"?:n}`. A body over the collector's size limit is split in halves
 * (rare: it needs very large events).
 */
export function serializeBatch(events: string[], droppedEvents: number): SerializedBatch[] {
  const bodies: SerializedBatch[] = [];
  serializeInto(events, droppedEvents, bodies);
  return bodies;
}

function serializeInto(events: string[], droppedEvents: number, bodies: SerializedBatch[]): void {
  if (events.length === 0) return;
  const json = `{"events":[${events.join(",")}]${droppedEvents > 0 ? `,"droppedEvents":${droppedEvents}` : ""}}`;
  // String length is a lower bound on UTF-8 bytes; only measure bytes when close to the limit.
  const tooBig =
    json.length > LIMITS.batchBytes ||
    (json.length * 3 > LIMITS.batchBytes && Buffer.byteLength(json) > LIMITS.batchBytes);
  if (tooBig && events.length > 1) {
    const half = Math.ceil(events.length / 2);
    serializeInto(events.slice(0, half), droppedEvents, bodies);
    serializeInto(events.slice(half), 0, bodies);
    return;
  }
  bodies.push({ json, count: events.length, droppedEvents });
}
