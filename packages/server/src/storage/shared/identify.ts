import { EVENT_TYPES, type Event } from "@mcpsight/protocol";

/** What an identify event stores in its `identify` column; undefined for every other event. */
export const identifyRecordOf = (
  e: Event,
): { userId: string; userName: string | null; userData: Event["identifyActorData"] | null } | undefined =>
  e.eventType === EVENT_TYPES.identify && e.identifyActorGivenId
    ? {
        userId: e.identifyActorGivenId,
        userName: e.identifyActorName ?? null,
        userData: e.identifyActorData ?? null,
      }
    : undefined;
