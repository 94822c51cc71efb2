import { isCanonicalTimestamp, MAX_CLOCK_AHEAD_MS, parseTimestamp, type Rejection } from "@mcpsight/protocol";
import type { Event } from "../../storage/index.js";
import { DAY_MS, iso } from "../../storage/time.js";

/** The key, in an event's `properties`, of what the collector notes about the event. */
const COLLECTOR_NOTE = "$mcpsight";

/**
 * Places a validated event in time (PROTOCOL.md, "Timestamps"): an event older than the
 * retention is refused (`too_old`, it would be deleted at once); one more than five minutes ahead
 * of the collector's clock is stored at the time it was received, with the time it was sent
 * noted in `properties.$mcpsight.sentTimestamp`. Other forms than `YYYY-MM-DDTHH:MM:SS.sssZ`
 * are rewritten to it, so storage reads every event's time the same way.
 */
export function placeInTime(
  event: Event,
  index: number,
  receivedAt: number,
  retentionDays: number,
): Rejection | null {
  const time = parseTimestamp(event.timestamp) as number; // validation parsed it already
  if (time < receivedAt - retentionDays * DAY_MS)
    return {
      index,
      code: "too_old",
      field: "timestamp",
      reason: `is more than ${retentionDays} days before the collector received it (its retention); it would be deleted at once`,
    };
  if (time > receivedAt + MAX_CLOCK_AHEAD_MS) {
    event.properties = { ...event.properties, [COLLECTOR_NOTE]: { sentTimestamp: event.timestamp } };
    event.timestamp = iso(receivedAt);
  } else if (!isCanonicalTimestamp(event.timestamp)) event.timestamp = iso(time);
  return null;
}
