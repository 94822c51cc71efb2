import { AppError } from "../errors.js";

/**
 * Memory a decompressed body holds until its request is answered, per byte: the decompressed
 * buffer and its text (up to two bytes per character).
 */
export const TEXT_BYTES_PER_BYTE = 3;
/**
 * Memory the parsed JSON may take, per byte of text and per object or array in it: a bound of
 * V8's worst cases (`{"ab":0,…}` dictionaries ~6.4 bytes per byte, `[{},{},…]` 64 bytes per
 * object); typical events take 1–2 bytes per byte.
 */
export const PARSED_BYTES_PER_BYTE = 8;
export const PARSED_BYTES_PER_CONTAINER = 64;

/** How long an overloaded collector asks senders to wait. */
const OVERLOADED_RETRY_AFTER_S = 2;

const overloaded = () =>
  new AppError(
    "overloaded",
    "The collector is at its ingest memory budget; nothing was stored. Retry after the Retry-After seconds.",
    null,
    OVERLOADED_RETRY_AFTER_S,
  );

const overBudget = (limit: number) =>
  new AppError(
    "payload_too_large",
    `This body needs more memory than the collector's whole ingest budget (${Math.round(limit / 1048576)} MiB, --ingest-memory-mb) allows; send smaller batches.`,
  );

/**
 * Bounds the memory that ingest requests in flight hold: their bodies as received, plus what
 * decompressing and parsing them takes (the factors above), until each request is answered. A
 * request that does not fit now is refused with 503 and `Retry-After`; one that could never fit
 * (more than the whole budget) with 413.
 */
export class IngestBudget {
  private used = 0;

  constructor(readonly limit: number) {}

  /** A request's share of the budget, empty at first. */
  reserve(): Reservation {
    return new Reservation(this);
  }

  /** Takes `bytes` more for a request already holding `held`, or throws the 503 or 413 refusing it. */
  take(bytes: number, held: number): void {
    if (held + bytes > this.limit) throw overBudget(this.limit);
    if (this.used + bytes > this.limit) throw overloaded();
    this.used += bytes;
  }

  give(bytes: number): void {
    this.used -= bytes;
  }
}

/** One request's share: grows as its body is read, decompressed and parsed; returned once, when it is done. */
export class Reservation {
  private held = 0;
  private released = false;

  constructor(private readonly budget: IngestBudget) {}

  /** The most this request could ever take. */
  get limit(): number {
    return this.budget.limit;
  }

  /**
   * Takes `bytes` more, or throws the 503 (or 413) that refuses the request. A share already
   * given back (its connection closed) takes nothing more: the request stops there.
   */
  take(bytes: number): void {
    if (this.released)
      throw new AppError("overloaded", "The request's connection closed before its body was processed.");
    this.budget.take(bytes, this.held);
    this.held += bytes;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.budget.give(this.held);
    this.held = 0;
  }
}
