import type { JsonObject } from "../types.js";

/** The part of a user's state the profile merge reads and rewrites. */
export interface Profile {
  userName: string | null;
  userData: JsonObject | null;
  profileAt: number;
}

/**
 * The profile merge rule: a non-empty name from a newer (by event timestamp) event replaces the
 * stored one; data objects are merged key by key, the newer event's values winning.
 */
export function mergeProfile(
  user: Profile,
  ts: number,
  name: string | undefined,
  data: JsonObject | undefined,
): void {
  const newer = ts >= user.profileAt;
  if (name && (newer || user.userName === null)) user.userName = name;
  if (data)
    user.userData = newer ? { ...(user.userData ?? {}), ...data } : { ...data, ...(user.userData ?? {}) };
  if (newer && (name || data)) user.profileAt = ts;
}
