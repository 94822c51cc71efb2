/** The derivation pass's engine: backend-agnostic, written once (see ARCHITECTURE.md). */
export { deriveProject, type ProjectRef } from "./engine.js";
export { byOrder, compareIds, components } from "./order.js";
export { groupKeyOf, placementOf, statelessSessionId } from "./placement.js";
export { emptyProfile, mergeProfile, profileTime } from "./profile.js";
export { recomputeSketches, recomputeUsers, type SketchRow, type UserTotals } from "./recompute.js";
export type {
  DeriveEvent,
  DeriveSource,
  ErrorKey,
  ErrorOccurrence,
  LinkedEvent,
  LoadedState,
  Profile,
  ProfileClock,
  RecomputeSource,
  SessionRow,
  SessionState,
  Stamp,
  StateRequest,
  UserDelta,
  UserRow,
  UserState,
  WriteSet,
} from "./types.js";
