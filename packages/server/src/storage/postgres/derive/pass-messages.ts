import type { MessagePort } from "node:worker_threads";
import type { PassReport } from "../../derive/runner.js";

/** The pass thread's connection as `pg_stat_activity` names it (`application_name`). */
export const PASS_APPLICATION_NAME = "mcpsight pass";

/** `workerData` of the pass thread. */
export interface PassThreadData {
  /** The database URL the collector was opened with (`?schema=` included). */
  url: string;
  port: MessagePort;
  /** How often the lock holder looks for events other collectors stored, and a non-holder for the lock. */
  idleMs: number;
}

/** Collector → pass thread: derive (PassLeader's `wake`), or close. */
export type ToPass = { wake: true; stored?: number } | { close: true };

/**
 * Pass thread → collector: whether a chunk was derived, with the pass's state when it changed or a
 * quarter of a second went by (`state` absent otherwise); or the thread closed.
 */
export type FromPass = { derived: boolean; state?: PassState } | { closed: true };

/** What the collector reports of the pass: its state while holding the lock, and the last failure. */
export interface PassState {
  pass: PassReport | null;
  lastError: { message: string; at: number } | null;
}
