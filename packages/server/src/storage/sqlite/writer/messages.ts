import type { MessagePort } from "node:worker_threads";
import type { PassReport } from "../../derive/runner.js";
import type { IngestResult } from "../../types.js";
import type { PreparedRows } from "../events/append.js";

/** `workerData` of the writer thread. */
export interface WriterData {
  path: string;
  port: MessagePort;
  /** Whether the thread runs the derivation pass. */
  derive: boolean;
  /** The turn-taking flag shared with the main thread (turn.ts). */
  turn: Int32Array;
}

/**
 * Main thread → writer: a batch to store, a request to derive (new events elsewhere, a reindex),
 * or close (after everything sent before it).
 */
export type ToWriter =
  | { id: number; rows: PreparedRows; droppedEvents: number }
  | { derive: true }
  | { close: true };

/**
 * Writer → main thread: a batch's outcome (sent only after its commit), a chunk derived (with the
 * pass's state), or closed.
 */
export type FromWriter =
  | { id: number; result: IngestResult }
  | { id: number; error: { name: string; message: string; code: unknown } }
  | { derived: PassReport }
  | { closed: true };
