import type { MessagePort, Worker } from "node:worker_threads";
import type { PassReport } from "../../derive/runner.js";
import { endThread, startThread } from "../../shared/worker-entry.js";
import type { FromPass, PassState, PassThreadData, ToPass } from "./pass-messages.js";

const RESTART_MS = 1_000;

/**
 * The collector's side of the pass thread (pass-worker.ts), which competes for the database's pass
 * lock and derives while holding it. A thread that stops (it should not) is started again after a
 * second; meanwhile another collector may take the lock over. The thread never keeps the process
 * alive on its own: the collector's pool does until the store is closed, and closing waits for the
 * chunk in progress.
 */
export class PassThread {
  private worker: Worker | null = null;
  private port: MessagePort | null = null;
  private state: PassState = { pass: null, lastError: null };
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | null = null;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly url: string,
    private readonly idleMs = 200,
  ) {
    this.start();
  }

  /**
   * Derive (this collector stored `stored` events: soon; without it, now); a thread not holding
   * the lock ignores it.
   */
  wake(stored?: number): void {
    this.port?.postMessage({ wake: true, stored } satisfies ToPass);
  }

  /** The pass's state while this collector holds the lock; null otherwise. */
  report(): PassReport | null {
    return this.state.pass;
  }

  /** The last failure to take the lock, derive, or keep the thread running. */
  get lastError(): { message: string; at: number } | null {
    return this.state.pass?.lastError ?? this.state.lastError;
  }

  /** Calls `listener` after every derived chunk; returns the unsubscribe function. */
  onDerived(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Lets the chunk in progress finish, releases the lock and ends the thread. */
  close(): Promise<void> {
    if (!this.closing) {
      if (this.timer) clearTimeout(this.timer);
      this.closing = endThread(this.worker, this.port, { close: true } satisfies ToPass);
    }
    return this.closing;
  }

  private start(): void {
    // Built: dist/pass-worker.js (tsup.config.ts).
    const { worker, port: port1 } = startThread(import.meta.url, "./pass-worker.ts", "./pass-worker.js", {
      url: this.url,
      idleMs: this.idleMs,
    } satisfies Omit<PassThreadData, "port">);
    port1.on("message", (message: FromPass) => {
      if (!("derived" in message)) return;
      if (message.state) this.state = message.state;
      if (message.derived) for (const listener of this.listeners) listener();
    });
    const stopped = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.port = null;
      port1.close();
      if (this.closing) return;
      this.state = { pass: null, lastError: { message: error.message, at: Date.now() } };
      for (const listener of this.listeners) listener();
      this.timer = setTimeout(() => {
        this.timer = null;
        if (!this.closing) this.start();
      }, RESTART_MS);
      this.timer.unref();
    };
    worker.on("error", stopped);
    worker.on("exit", (code) =>
      stopped(new Error(`The derivation pass thread stopped (exit code ${code}).`)),
    );
    worker.unref();
    port1.unref();
    this.worker = worker;
    this.port = port1;
  }
}
