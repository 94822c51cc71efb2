import type { Event } from "@mcpsight/protocol";
import { LIMITS } from "@mcpsight/protocol/constants";
import { Backoff } from "./backoff.js";
import { EventQueue } from "./event-queue.js";
import { ExitFlush } from "./exit-hook.js";
import type { Delivery, DeliveryOptions, DeliveryStats } from "./index.js";
import { batchUrl, compress, type PostOutcome, type PostTarget, postBatch } from "./post-batch.js";
import { Progress } from "./progress.js";
import { Refusals } from "./refusals.js";
import { safeLogger } from "./safe-logger.js";
import { serializeBatch } from "./serialize.js";

/** A batch taken from the queue: one project's events, serialized once, compressed once, re-sent as-is on retry. */
interface HeldBatch {
  project: string;
  /** The body before compression; dropped once compressed. */
  json: string | undefined;
  /** The compression, started once (when sent, or when parked during a backoff). */
  body: Promise<Buffer> | undefined;
  count: number;
  /**
   * What it counts toward `maxQueueBytes` until it settles: its events' JSON bytes, then, once
   * compressed, the compressed body's (what it really holds).
   */
  bytes: number;
  /** False once sent, dropped or given up on: a compression finishing later must not count it again. */
  held: boolean;
  /** Order taken from the queue: batches wait and are dropped oldest first. */
  seq: number;
  /** Queue-full drops this batch reports; handed back if the batch itself is lost. */
  droppedEvents: number;
  /** The numbers its events were accepted with. */
  numbers: number[];
}

/**
 * A flush's account of the events accepted before it, numbered below `goal`: `left` of them are
 * neither delivered nor dropped yet. Events settle in another order than they were accepted in
 * (parallel sends, a batch retried while later ones go out), so a flush counts its own events, not
 * how many settled.
 */
interface FlushWait {
  goal: number;
  left: number;
}

const MIB = 1024 * 1024;

export const DELIVERY_DEFAULTS = {
  maxQueueSize: 100_000,
  maxQueueBytes: 32 * MIB,
  maxBatchBytes: MIB,
  requestTimeoutMs: 10_000,
  flushTimeoutMs: 10_000,
} as const;

/** Room kept in a batch body for `{"events":[`, `]`, `,"droppedEvents":n` and `}`. */
const ENVELOPE_BYTES = 64;

const positiveInt = (value: number | undefined, fallback: number): number =>
  typeof value === "number" && Number.isFinite(value) && value >= 1 ? Math.floor(value) : fallback;

/** The queue → batch → POST pipeline behind {@link Delivery}. */
export class BatchDelivery implements Delivery {
  private readonly queue: EventQueue;
  private readonly maxQueueSize: number;
  private readonly maxQueueBytes: number;
  private readonly maxBatchBytes: number;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly target: PostTarget;
  private readonly backoff: Backoff;
  private readonly exitFlush = new ExitFlush(
    () => void this.flushInternal(DELIVERY_DEFAULTS.flushTimeoutMs, false),
  );

  /**
   * Batches waiting out a backoff, oldest first: ones that failed, and full ones formed while
   * backing off (parked). Their events count toward the queue bounds.
   */
  private readonly retries: HeldBatch[] = [];
  /** Events and bytes of batches in flight or waiting to be retried. */
  private heldEvents = 0;
  private heldBytes = 0;
  private batchSeq = 0;
  private inFlight = 0;
  private droppedSinceReport = 0;
  private loggedFull = false;
  private readonly refusals: Refusals;
  private pausedUntil = 0;
  private readonly flushes: FlushWait[] = [];
  private stopped = false;
  private shutdownPromise: Promise<void> | undefined;

  // Events accepted (each numbered in that order) and settled (delivered or dropped), for flush().
  private accepted = 0;
  private settled = 0;
  private counters = { sent: 0, dropped: 0, rejected: 0, failedBatches: 0, retriedBatches: 0 };

  private tickTimer: NodeJS.Timeout | undefined;
  private pauseTimer: NodeJS.Timeout | undefined;
  private pumpScheduled = false;
  private readonly progress = new Progress();

  private readonly options: DeliveryOptions;

  constructor(options: DeliveryOptions) {
    this.options = { ...options, logger: safeLogger(options.logger) };
    this.maxQueueSize = positiveInt(options.maxQueueSize, DELIVERY_DEFAULTS.maxQueueSize);
    this.maxQueueBytes = positiveInt(options.maxQueueBytes, DELIVERY_DEFAULTS.maxQueueBytes);
    this.maxBatchBytes = Math.max(
      ENVELOPE_BYTES + 1,
      positiveInt(options.maxBatchBytes, DELIVERY_DEFAULTS.maxBatchBytes),
    );
    // A batch larger than the queue could never fill up; cap it so full batches still go out early.
    this.batchSize = Math.min(LIMITS.batchEvents, this.maxQueueSize, positiveInt(options.maxBatchSize, 1));
    this.concurrency = positiveInt(options.maxConcurrency, 1);
    this.queue = new EventQueue(this.maxQueueSize);
    this.backoff = new Backoff(options.retryBaseMs, options.retryMaxMs);
    this.refusals = new Refusals(this.options.logger, options.endpoint);
    this.target = {
      url: batchUrl(options.endpoint),
      sdkHeader: options.sdkHeader,
      timeoutMs: options.requestTimeoutMs ?? DELIVERY_DEFAULTS.requestTimeoutMs,
    };
  }

  enqueue(event: Event): void {
    try {
      if (this.stopped) {
        this.counters.dropped += 1;
        return;
      }
      const number = this.accepted;
      this.accepted += 1;
      // Serialized now rather than per batch: a flat string held until its batch is sent costs
      // the garbage collector far less than the event's object graph (measured: latency ratio
      // 1.10 → 1.07, bench/README.md), though JSON per event costs more than one per batch.
      let json: string;
      try {
        json = JSON.stringify(event);
      } catch (error) {
        this.counters.dropped += 1;
        this.settleNumbers([number]);
        this.options.logger.warn(
          `mcpsight: dropped an event that could not be serialized to JSON (${String(error)})`,
        );
        return;
      }
      const bytes = Buffer.byteLength(json);
      if (!this.makeRoomFor(bytes)) {
        this.dropQueued([number]); // Too big for the budget, or everything held is in flight: the newest goes.
        return;
      }
      this.queue.push(event.projectId, json, bytes, number);
      if (this.queue.length >= this.batchSize || this.queue.bytes >= this.maxBatchBytes) this.schedulePump();
      else if (this.tickTimer === undefined) this.armTick();
      this.exitFlush.arm();
    } catch (error) {
      this.options.logger.error(`mcpsight: could not queue an event: ${String(error)}`);
    }
  }

  backlog(): number {
    return this.queue.length + this.heldEvents;
  }

  dropOldest(): boolean {
    try {
      return this.makeRoom();
    } catch {
      return false;
    }
  }

  reportDropped(count: number): void {
    if (count <= 0) return;
    this.counters.dropped += count;
    this.droppedSinceReport += count;
    this.logFull();
  }

  flush(timeoutMs = DELIVERY_DEFAULTS.flushTimeoutMs): Promise<void> {
    return this.flushInternal(timeoutMs, true);
  }

  shutdown(timeoutMs = DELIVERY_DEFAULTS.flushTimeoutMs): Promise<void> {
    this.shutdownPromise ??= this.flushInternal(timeoutMs, true).then(() => {
      try {
        this.stop();
      } catch (error) {
        this.options.logger.error(`mcpsight: shutdown failed: ${String(error)}`);
      }
    });
    return this.shutdownPromise;
  }

  stats(): DeliveryStats {
    return {
      queued: this.queue.length,
      queuedBytes: this.queue.bytes + this.heldBytes,
      inFlight: this.heldEvents,
      ...this.counters,
    };
  }

  /**
   * Waits until every event accepted before the call is sent or dropped, or the deadline passes.
   * `keepAlive` decides whether the deadline timer holds the process open: yes when a caller
   * awaits flush() (they asked to wait), no on beforeExit (only requests already in flight run).
   */
  private async flushInternal(timeoutMs: number, keepAlive: boolean): Promise<void> {
    const wait: FlushWait = { goal: this.accepted, left: this.accepted - this.settled };
    const deadline = Date.now() + timeoutMs;
    this.flushes.push(wait);
    try {
      while (wait.left > 0 && !this.isIdle()) {
        this.pump();
        const remaining = deadline - Date.now();
        if (remaining <= 0) break;
        await this.progress.wait(remaining, keepAlive);
      }
    } catch (error) {
      this.options.logger.error(`mcpsight: flush failed: ${String(error)}`);
    } finally {
      this.flushes.splice(this.flushes.indexOf(wait), 1);
    }
  }

  /** Records that the events with these numbers were delivered or dropped. */
  private settleNumbers(numbers: readonly number[]): void {
    this.settled += numbers.length;
    for (const wait of this.flushes) {
      for (const number of numbers) if (number < wait.goal) wait.left -= 1;
    }
  }

  /** Drops the oldest events until one more of `bytes` fits both bounds; false when it cannot. */
  private makeRoomFor(bytes: number): boolean {
    if (bytes > this.maxQueueBytes) return false;
    while (
      this.queue.length + this.heldEvents >= this.maxQueueSize ||
      this.queue.bytes + this.heldBytes + bytes > this.maxQueueBytes
    ) {
      if (!this.makeRoom()) return false;
    }
    return true;
  }

  /** Frees room by dropping the oldest events: a batch awaiting retry first, else the queue head. */
  private makeRoom(): boolean {
    const oldest = this.retries.shift();
    if (oldest) {
      this.release(oldest);
      this.droppedSinceReport += oldest.droppedEvents;
      this.counters.failedBatches += 1;
      this.dropQueued(oldest.numbers);
      return true;
    }
    const number = this.queue.dropOldest();
    if (number === undefined) return false;
    this.dropQueued([number]);
    return true;
  }

  private dropQueued(numbers: readonly number[]): void {
    this.counters.dropped += numbers.length;
    this.settleNumbers(numbers);
    this.droppedSinceReport += numbers.length;
    this.logFull();
  }

  private logFull(): void {
    if (!this.loggedFull) {
      this.loggedFull = true;
      this.options.logger.debug(
        `mcpsight: event queue full (${this.maxQueueSize} events or ${this.maxQueueBytes} bytes); dropping the oldest events until the collector catches up`,
      );
    }
  }

  /** Starts as many sends as concurrency and backoff allow. Full batches only, unless flushing or on a tick. */
  private pump(partial = this.flushes.length > 0): void {
    if (this.stopped) return;
    const wait = this.pausedUntil - Date.now();
    if (wait > 0) {
      this.park();
      this.armPause(wait);
      return;
    }
    while (this.inFlight < this.concurrency) {
      const retry = this.retries.shift();
      if (retry) {
        this.counters.retriedBatches += 1;
        this.launch(retry);
        continue;
      }
      if (this.queue.length === 0 || (!partial && !this.hasFullBatch())) break;
      for (const batch of this.takeBatches()) this.launch(batch);
    }
  }

  private hasFullBatch(): boolean {
    return this.queue.length >= this.batchSize || this.queue.bytes >= this.maxBatchBytes;
  }

  /**
   * While backing off, full batches are formed and compressed as they fill, and wait with the
   * failed ones: a batch holds its events gzipped, several times smaller than their JSON, so an
   * outage keeps that many times more events within `maxQueueBytes`. They are sent, oldest
   * first, once the backoff ends.
   */
  private park(): void {
    while (this.hasFullBatch()) {
      for (const batch of this.takeBatches()) {
        this.retries.push(batch);
        this.compressed(batch).catch(() => {}); // A failure is reported when the batch is sent.
      }
    }
  }

  /** Puts a failed batch back among the waiting ones, in the order it was taken (it may be older than parked ones). */
  private waitForRetry(batch: HeldBatch): void {
    let index = this.retries.length;
    while (index > 0 && (this.retries[index - 1]?.seq ?? -1) > batch.seq) index -= 1;
    this.retries.splice(index, 0, batch);
  }

  /** The oldest queued events as held batches, one per project; the first carries the drop count. */
  private takeBatches(): HeldBatch[] {
    const groups = this.queue.take(this.batchSize, this.maxBatchBytes - ENVELOPE_BYTES);
    const droppedEvents = this.droppedSinceReport;
    if (droppedEvents > 0) {
      this.options.logger.debug(`mcpsight: reporting ${droppedEvents} dropped events to the collector`);
      this.droppedSinceReport = 0;
      this.loggedFull = false;
    }
    return groups.map(({ project, texts, bytes, numbers }, i) => {
      const reported = i === 0 ? droppedEvents : 0;
      this.heldEvents += texts.length;
      this.heldBytes += bytes;
      return {
        project,
        json: serializeBatch(texts, reported),
        body: undefined,
        count: texts.length,
        bytes,
        held: true,
        seq: this.batchSeq++,
        droppedEvents: reported,
        numbers,
      };
    });
  }

  /** The batch's compressed body, compressed once; from then on it counts by its compressed size. */
  private compressed(batch: HeldBatch): Promise<Buffer> {
    batch.body ??= compress(batch.json ?? "").then((body) => {
      batch.json = undefined;
      if (batch.held) this.heldBytes += body.length - batch.bytes;
      batch.bytes = body.length;
      return body;
    });
    return batch.body;
  }

  private launch(batch: HeldBatch): void {
    this.inFlight += 1;
    this.send(batch)
      .catch((error: unknown) => this.options.logger.error(`mcpsight: batch send failed: ${String(error)}`))
      .finally(() => {
        this.inFlight -= 1;
        if (this.isIdle()) this.exitFlush.disarm();
        this.progress.notify();
        this.pump(this.flushes.length > 0 || this.retries.length > 0);
      });
  }

  private async send(batch: HeldBatch): Promise<void> {
    let outcome: PostOutcome;
    try {
      outcome = await postBatch(this.target, batch.project, await this.compressed(batch));
    } catch (error) {
      outcome = { kind: "refused", status: 0, message: `could not compress the batch: ${String(error)}` };
    }
    this.settle(batch, outcome);
  }

  private settle(batch: HeldBatch, outcome: PostOutcome): void {
    const { logger } = this.options;
    if (outcome.kind === "retry" && !this.stopped) {
      const delay = this.backoff.failed(outcome.retryAfterMs);
      this.pausedUntil = Math.max(this.pausedUntil, Date.now() + delay);
      this.waitForRetry(batch);
      const message = `mcpsight: could not deliver ${batch.count} events (${outcome.reason}); retrying in ${delay} ms`;
      if (this.backoff.failures === 1) logger.warn(message);
      else logger.debug(message);
      return;
    }
    this.release(batch);
    this.settleNumbers(batch.numbers);
    if (outcome.kind === "sent") {
      if (this.backoff.failures > 0) logger.debug("mcpsight: collector reachable again");
      this.backoff.succeeded();
      const refused = this.refusals.events(batch.project, batch.count, outcome.rejected);
      this.counters.sent += batch.count - refused;
      this.counters.rejected += refused;
      logger.debug(`mcpsight: delivered ${batch.count - refused} events (HTTP ${outcome.status})`);
      return;
    }
    this.counters.dropped += batch.count;
    this.counters.failedBatches += 1;
    this.droppedSinceReport += batch.droppedEvents;
    if (outcome.kind === "refused") {
      this.backoff.succeeded(); // The collector answered, so it is up; backing off would not help.
      this.refusals.batch(batch.project, batch.count, outcome.status, outcome.message);
    } else {
      logger.debug(`mcpsight: dropping ${batch.count} events after shutdown (${outcome.reason})`);
    }
  }

  /** A held batch leaves the bounds: sent, dropped or given up on. */
  private release(batch: HeldBatch): void {
    batch.held = false;
    this.heldEvents -= batch.count;
    this.heldBytes -= batch.bytes;
  }

  private stop(): void {
    this.stopped = true;
    clearTimeout(this.tickTimer);
    clearTimeout(this.pauseTimer);
    this.exitFlush.disarm();
    const abandoned = this.queue.clear();
    for (const batch of this.retries.splice(0)) {
      abandoned.push(...batch.numbers);
      this.release(batch);
    }
    if (abandoned.length > 0) {
      this.counters.dropped += abandoned.length;
      this.settleNumbers(abandoned);
      this.options.logger.debug(`mcpsight: shut down with ${abandoned.length} undelivered events`);
    }
    this.progress.notify();
  }

  private isIdle(): boolean {
    return this.queue.length === 0 && this.heldEvents === 0;
  }

  // Timers below are unref'd: delivery must never be the reason the host process stays alive.

  private schedulePump(): void {
    if (this.pumpScheduled || this.inFlight >= this.concurrency) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    }).unref();
  }

  private armTick(): void {
    this.tickTimer = setTimeout(() => {
      this.tickTimer = undefined;
      this.pump(true);
      if (this.queue.length > 0 && !this.stopped) this.armTick();
    }, this.options.flushIntervalMs).unref();
  }

  private armPause(wait: number): void {
    if (this.pauseTimer !== undefined) return;
    this.pauseTimer = setTimeout(() => {
      this.pauseTimer = undefined;
      this.pump(true);
    }, wait).unref();
  }
}
