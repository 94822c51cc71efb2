/**
 * The ingest writer thread: owns the connection that writes events, so the main thread can
 * decompress, parse and validate the next batches while this one writes and commits. Batches
 * that arrive while a transaction runs are committed together (group commit, `writeBatches`).
 * Built as its own entry (`dist/writer-worker.js`, see tsup.config.ts).
 */
import { type MessagePort, receiveMessageOnPort, workerData } from "node:worker_threads";
import { openDatabase } from "../db.js";
import type { FromWriter, ToWriter, WriterData } from "./messages.js";
import { type Batch, writeBatches } from "./write-batches.js";

/** Caps a group so that the first batch's answer is not held back for long. */
const MAX_GROUP_EVENTS = 5_000;

const { path, port } = workerData as WriterData;
const db = openDatabase(path);
const send = (message: FromWriter) => port.postMessage(message);

/** What a failure looks like on the other side: structured clone keeps only plain fields. */
function describe(error: unknown) {
  const e = error instanceof Error ? error : new Error(String(error));
  return { name: e.name, message: e.message, code: (e as { code?: unknown }).code };
}

function write(ids: number[], batches: Batch[]): void {
  try {
    writeBatches(db, batches).forEach((outcome, i) => {
      const id = ids[i] as number;
      send(outcome.ok ? { id, result: outcome.result } : { id, error: describe(outcome.error) });
    });
  } catch (error) {
    for (const id of ids) send({ id, error: describe(error) });
  }
}

function close(target: MessagePort): void {
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
  send({ closed: true });
  target.close();
}

port.on("message", (first: ToWriter) => {
  // Everything queued behind the first message joins its group, up to the cap.
  const messages = [first];
  let events = "events" in first ? first.events.length : 0;
  while (events < MAX_GROUP_EVENTS && !("close" in (messages.at(-1) as ToWriter))) {
    const next = receiveMessageOnPort(port)?.message as ToWriter | undefined;
    if (!next) break;
    messages.push(next);
    if ("events" in next) events += next.events.length;
  }
  const ids: number[] = [];
  const batches: Batch[] = [];
  for (const message of messages) {
    if ("close" in message) break;
    ids.push(message.id);
    batches.push({ events: message.events, droppedEvents: message.droppedEvents });
  }
  if (batches.length > 0) write(ids, batches);
  if ("close" in (messages.at(-1) as ToWriter)) close(port);
});
