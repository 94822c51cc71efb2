// The event pipeline after a handler returns: build the event, wait for identity, run
// eventTags/eventProperties, redact, fit to the size limit, enqueue. It runs off the request path (in bounded
// chunks on later event-loop turns), every stage catches its own failure, and a failed event is
// dropped and counted, never sent half-redacted. Events that need nothing asynchronous (no identify
// in flight, no callbacks, no user redaction) go through synchronously, without a promise each.
import type { Event } from "@mcpsight/protocol";
import { type Delivery, RingQueue } from "./delivery/index.js";
import { withIdentity } from "./event.js";
import type { SdkLogger } from "./log.js";
import type { ResolvedOptions } from "./options.js";
import { type PreparingEpoch, preparingDone, preparingStarted } from "./preparing.js";
import { fitEventSize, redactEvent, type SanitizedEvent, sanitizeOwnEvent } from "./redact.js";
import type { RequestView } from "./request-view.js";
import type { SessionState } from "./session-id.js";
import { validateTags } from "./tags.js";
import type { McpRequest, UserIdentity } from "./types.js";

/** An event waiting for the pipeline, with what is needed to finish it. */
export interface PendingEvent {
  /**
   * Builds the event; called on the pipeline's turn, so the request path only records raw facts.
   * The pipeline owns the object returned (it sanitizes it in place); its content is only read.
   */
  build(): Event;
  /** Stateful: the identity is read from the session once its identify has settled. */
  session?: SessionState | undefined;
  /** Stateless (or explicit): the identity of this one request. */
  identity?: Promise<UserIdentity | undefined> | UserIdentity | undefined;
  /** Present for request events: the arguments of eventTags/eventProperties. */
  request?: McpRequest | undefined;
  view?: RequestView | undefined;
  /** Set by the pipeline: the epoch the event is counted in while it is prepared, for flush(). */
  epoch?: PreparingEpoch | undefined;
}

/** A pending event around an event that is already built. */
export function readyEvent(event: Event, rest: Omit<PendingEvent, "build"> = {}): PendingEvent {
  return { ...rest, build: () => event };
}

/**
 * Events processed per event-loop turn. A client calling in a tight loop (in memory, no turn
 * between calls) submits faster than one turn should absorb; the rest waits for the next turn.
 */
export const DRAIN_CHUNK = 256;
/** Waiting events that start processing on the next turn; fewer wait up to {@link DRAIN_DELAY_MS}. */
export const DRAIN_BATCH = 64;
export const DRAIN_DELAY_MS = 5;

const TIMED_OUT = Symbol("timed out");

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as PromiseLike<unknown> | undefined)?.then === "function";

export class Pipeline {
  /** Events waiting for their turn; with the delivery's backlog, bounded by `maxQueueSize`. */
  private readonly waiting: RingQueue<PendingEvent>;
  private readonly maxQueueSize: number;
  private scheduled = false;
  /** Events dropped because a pipeline stage failed. */
  dropped = 0;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly log: SdkLogger,
    private readonly delivery: Delivery,
  ) {
    this.maxQueueSize = Math.max(1, Math.floor(options.maxQueueSize));
    this.waiting = new RingQueue(this.maxQueueSize);
  }

  /** Queues an event for processing after the current handler has answered. Never throws. */
  submit(pending: PendingEvent): void {
    try {
      if (this.waiting.length + this.delivery.backlog() >= this.maxQueueSize) this.makeRoom();
      if (!this.waiting.push(pending)) throw new Error("no room in the pipeline");
      pending.epoch = preparingStarted();
      this.schedule();
    } catch (error) {
      this.drop(`the event pipeline failed (${describe(error)})`);
    }
  }

  /** Events waiting for the pipeline's next turn. */
  get waitingCount(): number {
    return this.waiting.length;
  }

  /**
   * Frees one slot, dropping the oldest event: queued in the delivery if it holds any (those were
   * submitted first), else the oldest waiting here. Drops are reported to the collector either way.
   */
  private makeRoom(): void {
    if (this.waiting.length < this.maxQueueSize && this.delivery.dropOldest()) return;
    const dropped = this.waiting.shift();
    if (dropped === undefined) return;
    preparingDone(dropped.epoch);
    this.delivery.reportDropped(1);
  }

  /**
   * Processing waits for a batch: the next turn once {@link DRAIN_BATCH} events are waiting, else a
   * short timer, so a server answering one request per turn pays one scheduled callback per batch
   * rather than one per call. The timer is not unref'd: waiting events are processed before exit.
   */
  private schedule(): void {
    if (this.scheduled) return;
    if (this.waiting.length >= DRAIN_BATCH) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.scheduled = true;
      setImmediate(this.drain);
    } else if (this.timer === undefined) {
      this.timer = setTimeout(this.drain, DRAIN_DELAY_MS);
    }
  }

  private timer: NodeJS.Timeout | undefined;

  private readonly drain = (): void => {
    this.scheduled = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    const count = Math.min(this.waiting.length, DRAIN_CHUNK);
    for (let i = 0; i < count; i++) {
      const pending = this.waiting.shift();
      if (pending) this.process(pending);
    }
    if (this.waiting.length > 0 && !this.scheduled) {
      // A backlog continues on the next turn, whatever its size.
      this.scheduled = true;
      setImmediate(this.drain);
    }
  };

  /**
   * Processes an event at once, ahead of the events waiting for their turn: an identify event,
   * which must reach the delivery before the events parked behind its identify. Returns a promise
   * that settles once it is queued for delivery (or dropped) if that takes asynchronous work, else
   * undefined. Never throws, never rejects.
   */
  submitNow(pending: PendingEvent): Promise<void> | undefined {
    pending.epoch = preparingStarted();
    return this.process(pending);
  }

  /** Builds and finishes one event; the promise (never rejecting) when that goes asynchronous. */
  private process(pending: PendingEvent): Promise<void> | undefined {
    let sync = false;
    let later: Promise<void> | undefined;
    try {
      const event = pending.build();
      const { session, identity } = pending;
      const { eventTags, eventProperties, redact } = this.options;
      const callbacks = (eventTags || eventProperties) && pending.request && pending.view;
      if (!redact && !callbacks && !session?.pending && !isThenable(identity)) {
        sync = true;
        withIdentity(event, session ? session.identity : (identity as UserIdentity | undefined));
        this.delivery.enqueue(fitEventSize(sanitizeOwnEvent(event)));
      } else {
        later = this.processAsync(pending, event);
      }
    } catch (error) {
      sync = true;
      this.drop(`the event pipeline failed (${describe(error)})`);
    }
    if (sync) preparingDone(pending.epoch);
    return later;
  }

  /** Never rejects: a failure drops the event; either way the event stops counting as prepared. */
  private async processAsync(pending: PendingEvent, event: Event): Promise<void> {
    try {
      const { session } = pending;
      if (session) {
        if (session.pending) await session.pending;
        withIdentity(event, session.identity);
      } else if (pending.identity) {
        withIdentity(event, await pending.identity);
      }
      if (pending.request && pending.view) await this.addCallbackData(event, pending.request, pending.view);
      let safe: SanitizedEvent;
      try {
        const redact = this.options.redact;
        safe = redact
          ? await this.bounded(redactEvent(event, redact), "redactSensitiveInformation")
          : sanitizeOwnEvent(event);
      } catch (error) {
        this.drop(
          `redactSensitiveInformation failed (${describe(error)}); the event was dropped, not sent unredacted`,
        );
        return;
      }
      this.delivery.enqueue(fitEventSize(safe));
    } catch (error) {
      this.drop(`the event pipeline failed (${describe(error)})`);
    } finally {
      preparingDone(pending.epoch);
    }
  }

  private async addCallbackData(event: Event, request: McpRequest, view: RequestView): Promise<void> {
    const { eventTags, eventProperties } = this.options;
    if (eventTags) {
      const value = await this.callback("eventTags", () => eventTags(request, view.forCallbacks()));
      const { tags, problems } = validateTags(value);
      if (problems.length > 0)
        this.log.warnOnce("eventTags:invalid", `eventTags: ${problems.join("; ")}; dropped.`);
      if (tags) event.tags = tags;
    }
    if (eventProperties) {
      const value = await this.callback("eventProperties", () =>
        eventProperties(request, view.forCallbacks()),
      );
      if (typeof value === "object" && value !== null && !Array.isArray(value)) {
        event.properties = value as Record<string, unknown>;
      } else if (value !== undefined && value !== null) {
        this.log.warnOnce(
          "eventProperties:invalid",
          `eventProperties returned ${typeof value}, not an object; omitted.`,
        );
      }
    }
  }

  /** Runs a user callback with the identify timeout; failures become undefined and one warning. */
  private async callback(name: string, call: () => unknown): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
        timer = setTimeout(resolve, this.options.identifyTimeoutMs, TIMED_OUT);
        timer.unref?.();
      });
      const value = await Promise.race([Promise.resolve().then(call), timeout]);
      if (value === TIMED_OUT) {
        this.log.warnOnce(
          `${name}:timeout`,
          `${name} timed out after ${this.options.identifyTimeoutMs} ms; omitted.`,
        );
        return undefined;
      }
      return value;
    } catch (error) {
      this.log.warnOnce(`${name}:threw`, `${name} threw (${describe(error)}); omitted.`);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * `work`, rejected if it takes longer than the identify timeout: a user function that never
   * settles would otherwise hold its event (and flush) forever.
   */
  private async bounded<T>(work: Promise<T>, name: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${name} timed out after ${this.options.identifyTimeoutMs} ms`)),
        this.options.identifyTimeoutMs,
      );
      timer.unref?.();
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private drop(reason: string): void {
    this.dropped += 1;
    this.log.warnOnce(`pipeline:${reason.split(" ")[0]}`, `${reason} (${this.dropped} dropped so far).`);
  }
}
