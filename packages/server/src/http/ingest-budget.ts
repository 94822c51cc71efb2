import { AppError } from "../errors.js";

/**
 * What one decompressed byte of an ingest body may cost in memory until the request is answered:
 * the decompressed buffer, its text, and the parsed JSON, which takes up to ~21 bytes per byte of
 * text in the worst case (`[{},{},…]`; typical events take 1–2).
 */
export const BYTES_PER_DECOMPRESSED_BYTE = 24;

/** How long an overloaded collector asks senders to wait. */
export const OVERLOADED_RETRY_AFTER_S = 2;

export const overloaded = () =>
  new AppError(
    "overloaded",
    "The collector is at its ingest memory budget; nothing was stored. Retry after the Retry-After seconds.",
    null,
    OVERLOADED_RETRY_AFTER_S,
  );

/**
 * Bounds the memory that ingest requests in flight may hold: compressed bodies as they arrive,
 * plus `BYTES_PER_DECOMPRESSED_BYTE` per decompressed byte, until each request is answered. A
 * request that does not fit is refused (503, `Retry-After`), unless nothing else holds any of the
 * budget: then it runs alone, so the protocol's largest batch is taken even when it alone exceeds
 * the budget.
 */
export class IngestBudget {
  private used = 0;

  constructor(readonly limit: number) {}

  /** Bytes held by requests in flight. */
  get inUse(): number {
    return this.used;
  }

  /** A request's share of the budget. */
  reserve(): Reservation {
    return new Reservation(this);
  }

  /** Takes `bytes` for a request already holding `held`; false when they do not fit. */
  take(bytes: number, held: number): boolean {
    if (this.used - held > 0 && this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.used -= bytes;
  }
}

/** One request's share: grows as its body is read and decompressed, returned once when it is done. */
export class Reservation {
  private held = 0;
  private released = false;

  constructor(private readonly budget: IngestBudget) {}

  /** Takes `bytes` more, or throws the 503 that refuses the request. */
  take(bytes: number): void {
    if (this.released) return;
    if (!this.budget.take(bytes, this.held)) throw overloaded();
    this.held += bytes;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.budget.give(this.held);
    this.held = 0;
  }
}
