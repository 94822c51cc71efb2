import type { JsonObject } from "../types.js";
import { byOrder, type Ordered } from "./order.js";
import type { Profile, Stamp } from "./types.js";

const newer = (stamp: Ordered, than: Stamp | null | undefined): boolean =>
  !than || byOrder(stamp, { ts: than[0], id: than[1] }) > 0;

/**
 * Merges one event's name and data into a profile: the newest non-empty name wins, and each
 * data key takes the value of the newest event that set it (newest by timestamp, then id). Every
 * field remembers the event that set it, so any arrival order gives the same profile. Returns
 * whether anything changed; `profile` is updated in place (its data object is replaced).
 */
export function mergeProfile(
  profile: Profile,
  event: Ordered,
  name: string | null,
  data: JsonObject | null,
): boolean {
  let changed = false;
  const stamp: Stamp = [event.ts, event.id];
  if (name && newer(event, profile.clock.name)) {
    profile.userName = name;
    profile.clock = { ...profile.clock, name: stamp };
    changed = true;
  }
  if (data) {
    let merged: JsonObject | null = null;
    let clock: Record<string, Stamp> | null = null;
    for (const key of Object.keys(data)) {
      if (!newer(event, profile.clock.data[key])) continue;
      merged ??= { ...(profile.userData ?? {}) };
      clock ??= { ...profile.clock.data };
      merged[key] = data[key] as JsonObject[string];
      clock[key] = stamp;
    }
    if (merged && clock) {
      profile.userData = merged;
      profile.clock = { ...profile.clock, data: clock };
      changed = true;
    }
  }
  return changed;
}

export const emptyProfile = (): Profile => ({
  userName: null,
  userData: null,
  clock: { name: null, data: {} },
});

/** The time of the newest field of a profile (the `profile_at` column), or `fallback`. */
export function profileTime(profile: Profile, fallback: number): number {
  let at = profile.clock.name?.[0] ?? Number.NEGATIVE_INFINITY;
  for (const stamp of Object.values(profile.clock.data)) at = Math.max(at, stamp[0]);
  return Number.isFinite(at) ? at : fallback;
}
