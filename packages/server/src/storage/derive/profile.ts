import type { JsonObject } from "../types.js";
import { compareIds, type Ordered } from "./order.js";
import type { Profile, Stamp } from "./types.js";

const newer = (event: Ordered, than: Stamp | null | undefined): boolean =>
  !than || event.ts - than[0] > 0 || (event.ts === than[0] && compareIds(event.id, than[1]) > 0);

/**
 * Data and clock objects `mergeProfile` made (copies nobody else holds), which later merges
 * into the same profile change in place rather than copy again: one copy per profile, not one
 * per event.
 */
const owned = new WeakSet<object>();

/**
 * Merges one event's name and data into a profile: the newest non-empty name wins, and each
 * data key takes the value of the newest event that set it (newest by timestamp, then id). Every
 * field remembers the event that set it, so any arrival order gives the same profile. Returns
 * whether anything changed; `profile` is updated in place (its data and clock objects are
 * replaced by copies on its first change, which later merges change in place).
 */
export function mergeProfile(
  profile: Profile,
  event: Ordered,
  name: string | null,
  data: JsonObject | null,
): boolean {
  let changed = false;
  let stamp: Stamp | null = null;
  if (name && newer(event, profile.clock.name)) {
    stamp = [event.ts, event.id];
    ownClock(profile).name = stamp;
    profile.userName = name;
    changed = true;
  }
  if (data) {
    for (const key in data) {
      if (!Object.hasOwn(data, key) || !newer(event, profile.clock.data[key])) continue;
      stamp ??= [event.ts, event.id];
      const clock = ownClock(profile);
      if (!owned.has(clock.data)) {
        clock.data = { ...clock.data };
        owned.add(clock.data);
      }
      if (profile.userData === null || !owned.has(profile.userData)) {
        profile.userData = { ...(profile.userData ?? {}) };
        owned.add(profile.userData);
      }
      profile.userData[key] = data[key] as JsonObject[string];
      clock.data[key] = stamp;
      changed = true;
    }
  }
  return changed;
}

function ownClock(profile: Profile): Profile["clock"] {
  if (!owned.has(profile.clock)) {
    profile.clock = { ...profile.clock };
    owned.add(profile.clock);
  }
  return profile.clock;
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
