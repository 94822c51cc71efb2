import type { MessagePort, Worker } from "node:worker_threads";
import type { ChunkEvent } from "../../derive/pass.js";
import { type PassReport, PassRunner } from "../../derive/runner.js";
import { endThread, startThread } from "../../shared/worker-entry.js";
import type { IngestResult } from "../../types.js";
import type { Db } from "../db.js";
import { sqliteChunk } from "../derive/transaction.js";
import type { PreparedRows } from "../events/append.js";
import { RecentEvents } from "../events/recent.js";
import type { FromWriter, ToWriter, WriterData } from "./messages.js";
import { mainWrite, newTurn } from "./turn.js";
import { writeBatch } from "./write-batches.js";

/**
 * Where writes happen: ingest and the derivation pass, on a writer thread (file databases) or on
 * the caller's connection.
 */
export interface IngestWriter {
  ingest(rows: PreparedRows, droppedEvents: number): Promise<IngestResult>;
  /** Asks the pass to derive now (a reindex reset the cursor, say); no-op without a pass. */
  derive(): void;
  /** The pass's state, when this writer runs it. */
  report(): PassReport | null;
  /** Calls `listener` after every derived chunk; returns the unsubscribe function. */
  onDerived(listener: () => void): () => void;
  /**
   * Runs `fn`, a write on the main thread's connection, with the writer thread holding back so
   * that sustained ingest cannot keep the lock from it (turn.ts).
   */
  exclusive<T>(fn: () => T | Promise<T>): Promise<T>;
  /** Finishes the batches already handed over and the chunk in progress, then closes. */
  close(): Promise<void>;
}

class Listeners {
  private set = new Set<() => void>();
  add(listener: () => void): () => void {
    this.set.add(listener);
    return () => this.set.delete(listener);
  }
  notify(): void {
    for (const listener of this.set) listener();
  }
}

/** Writes and derives on the given connection, one transaction per batch (`:memory:` stores). */
export function threadWriter(db: Db, derive: boolean): IngestWriter {
  const listeners = new Listeners();
  const recent = new RecentEvents();
  const runner = derive
    ? new PassRunner((limit) => sqliteChunk(db, limit, recent), {
        idleMs: 1_000,
        onChunk: () => listeners.notify(),
        onError: () => listeners.notify(),
      })
    : null;
  runner?.wake();
  return {
    ingest: async (rows, droppedEvents) => {
      const appended: ChunkEvent[] = [];
      const result = db.transaction(() => writeBatch(db, rows, droppedEvents, appended)).immediate();
      if (runner) recent.add(appended);
      runner?.wake();
      return result;
    },
    derive: () => runner?.wake(),
    report: () => (runner ? { lag: runner.lag.summary(), lastError: runner.lastError } : null),
    onDerived: (listener) => listeners.add(listener),
    // One thread: nothing else can write while `fn` runs.
    exclusive: async (fn) => fn(),
    close: async () => {
      await runner?.close();
    },
  };
}

/** The writer cannot take batches (closed, or its thread stopped): the database is unavailable. */
const writerError = (message: string) => Object.assign(new Error(message), { code: "ERR_INGEST_WRITER" });

interface Pending {
  resolve(result: IngestResult): void;
  reject(error: Error): void;
}

/**
 * Ingest and the derivation pass on a writer thread that owns its own connection to the database
 * file (see worker.ts): this thread keeps parsing and validating while earlier batches are
 * written. A batch's promise settles only after its transaction committed (or failed and left
 * nothing behind).
 */
export class WorkerWriter implements IngestWriter {
  private worker: Worker | null = null;
  private port: MessagePort | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closing: Promise<void> | null = null;
  private latest: PassReport | null = null;
  private readonly listeners = new Listeners();
  private readonly turn = newTurn();

  /**
   * With `derive`, the thread starts now (events stored before a restart are derived at once);
   * without, it starts with the first batch, so commands that never ingest never start it.
   */
  constructor(
    private readonly path: string,
    private readonly deriveHere: boolean,
  ) {
    if (deriveHere) this.start();
  }

  derive(): void {
    if (!this.deriveHere || this.closing) return;
    (this.port ?? this.start()).postMessage({ derive: true } satisfies ToWriter);
  }

  report(): PassReport | null {
    return this.deriveHere
      ? (this.latest ?? { lag: { p50Ms: 0, p99Ms: 0, maxMs: 0, events: 0 }, lastError: null })
      : null;
  }

  onDerived(listener: () => void): () => void {
    return this.listeners.add(listener);
  }

  exclusive<T>(fn: () => T | Promise<T>): Promise<T> {
    return mainWrite(this.turn, fn);
  }

  ingest(rows: PreparedRows, droppedEvents: number): Promise<IngestResult> {
    if (this.closing) return Promise.reject(writerError("The ingest writer is closed."));
    const port = this.port ?? this.start();
    const id = this.nextId++;
    return new Promise<IngestResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.hold(true);
      port.postMessage({ id, rows, droppedEvents } satisfies ToWriter);
    });
  }

  close(): Promise<void> {
    this.closing ??= endThread(this.worker, this.port, { close: true } satisfies ToWriter);
    return this.closing;
  }

  private start(): MessagePort {
    // Built: dist/writer-worker.js (tsup.config.ts).
    const { worker, port: port1 } = startThread(import.meta.url, "./worker.ts", "./writer-worker.js", {
      path: this.path,
      derive: this.deriveHere,
      turn: this.turn,
    } satisfies Omit<WriterData, "port">);
    port1.on("message", (message: FromWriter) => this.settle(message));
    // A crashed writer fails what it held; the next batch starts a new one.
    const fail = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.port = null;
      port1.close();
      for (const pending of this.pending.values()) pending.reject(error);
      this.pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(writerError(`The ingest writer stopped (exit code ${code}).`)));
    this.worker = worker;
    this.port = port1;
    this.hold(false);
    return port1;
  }

  /** An idle writer does not keep the process alive; one holding batches (or closing) does. */
  private hold(busy: boolean): void {
    if (busy) {
      this.worker?.ref();
      this.port?.ref();
    } else {
      this.worker?.unref();
      this.port?.unref();
    }
  }

  private settle(message: FromWriter): void {
    if ("closed" in message) return;
    if ("derived" in message) {
      this.latest = message.derived;
      this.listeners.notify();
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (this.pending.size === 0 && !this.closing) this.hold(false);
    if ("result" in message) pending.resolve(message.result);
    else pending.reject(Object.assign(new Error(message.error.message), message.error));
  }
}
