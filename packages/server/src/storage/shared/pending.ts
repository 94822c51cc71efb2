/**
 * Events pending derivation are counted exactly up to this many; past it, `/healthz` and every
 * query's freshness report an estimate, so that reading the freshness costs the same with a
 * backlog of a million events (a reindex, a collector that was down) as with none.
 */
export const PENDING_EXACT = 1_000;

/**
 * Events pending, from a count capped at `PENDING_EXACT + 1` and, past the cap, the events'
 * sequence numbers: the first pending event's and the last stored one's. Sequence numbers skip
 * where events were deleted (retention, erasure) or a batch was refused, so past the cap this
 * may count a little high; it is never below the cap.
 */
export function pendingFrom(
  counted: number,
  firstPendingPk: number | undefined,
  lastPk: number | undefined,
): number {
  if (counted <= PENDING_EXACT || firstPendingPk === undefined || lastPk === undefined) return counted;
  return Math.max(counted, lastPk - firstPendingPk + 1);
}
