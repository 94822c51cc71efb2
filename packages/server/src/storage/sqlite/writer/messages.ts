import type { MessagePort } from "node:worker_threads";
import type { Event } from "@mcpsight/protocol";
import type { IngestResult } from "../../types.js";

/** `workerData` of the writer thread. */
export interface WriterData {
  path: string;
  port: MessagePort;
}

/** Main thread → writer: a batch to store, or close (after everything sent before it). */
export type ToWriter = { id: number; events: Event[]; droppedEvents: number } | { close: true };

/** Writer → main thread: a batch's outcome (sent only after its commit), or closed. */
export type FromWriter =
  | { id: number; result: IngestResult }
  | { id: number; error: { name: string; message: string; code: unknown } }
  | { closed: true };
