import type { Event } from "@mcpsight/protocol";
import { LIMITS } from "@mcpsight/protocol/constants";

/** One batch body ready to compress, with how many events it carries. */
export interface SerializedBatch {
  json: string;
  count: number;
  droppedEvents: number;
}

export interface SerializeResult {
  bodies: SerializedBatch[];
  /** Events that could not be serialized (e.g. a BigInt slipped through) and were dropped. */
  unserializable: number;
}

/**
 * Serializes events once into `{"events":[...],"droppedEvents"?:n}`. A body over the collector's
 * size limit is split in halves (rare: it needs very large events), and an event that cannot be
 * stringified is dropped alone instead of losing the whole batch.
 */
export function serializeBatch(events: Event[], droppedEvents: number): SerializeResult {
  const result: SerializeResult = { bodies: [], unserializable: 0 };
  serializeInto(events, droppedEvents, result);
  return result;
}

function serializeInto(events: Event[], droppedEvents: number, result: SerializeResult): void {
  if (events.length === 0) return;
  let json: string;
  try {
    json = JSON.stringify(droppedEvents > 0 ? { events, droppedEvents } : { events });
  } catch {
    const good = events.filter(isSerializable);
    result.unserializable += events.length - good.length;
    // If every event stringifies alone yet the batch does not, nothing can be salvaged.
    if (good.length === events.length) result.unserializable += events.length;
    else serializeInto(good, droppedEvents, result);
    return;
  }
  // String length is a lower bound on UTF-8 bytes; only measure bytes when close to the limit.
  const tooBig =
    json.length > LIMITS.batchBytes ||
    (json.length * 3 > LIMITS.batchBytes && Buffer.byteLength(json) > LIMITS.batchBytes);
  if (tooBig && events.length > 1) {
    const half = Math.ceil(events.length / 2);
    serializeInto(events.slice(0, half), droppedEvents, result);
    serializeInto(events.slice(half), 0, result);
    return;
  }
  result.bodies.push({ json, count: events.length, droppedEvents });
}

function isSerializable(event: Event): boolean {
  try {
    JSON.stringify(event);
    return true;
  } catch {
    return false;
  }
}
