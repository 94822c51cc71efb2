/**
 * The writer thread: owns the connection that writes, so the main thread can decompress, parse
 * and validate the next batches meanwhile. It appends ingest batches (batches that arrive while a
 * transaction runs are committed together: group commit, `writeBatches`) and runs the derivation
 * pass between them, a chunk at a time. Built as its own entry (`dist/writer-worker.js`, see
 * tsup.config.ts).
 */
import { type MessagePort, receiveMessageOnPort, workerData } from "node:worker_threads";
import { PassRunner, ReportPacing } from "../../derive/runner.js";
import { openDatabase } from "../db.js";
import { sqliteChunk } from "../derive/transaction.js";
import { RecentEvents } from "../events/recent.js";
import type { FromWriter, ToWriter, WriterData } from "./messages.js";
import { giveWay } from "./turn.js";
import { type Batch, writeBatches } from "./write-batches.js";

/** Caps a group so that the first batch's answer is not held back for long. */
const MAX_GROUP_EVENTS = 5_000;

const { path, port, derive, turn } = workerData as WriterData;
const db = openDatabase(path);
const send = (message: FromWriter) => port.postMessage(message);

/** The pass's state goes to the main thread as ReportPacing paces it. */
const pacing = new ReportPacing(() => {
  const state = { lag: runner.lag.summary(), lastError: runner.lastError };
  send({ derived: state });
  return state;
});
/** What this thread appended, handed to the pass (only when it runs here). */
const recent = derive ? new RecentEvents() : null;
const runner = new PassRunner(
  (limit) => {
    giveWay(turn);
    return sqliteChunk(db, limit, recent ?? undefined);
  },
  {
    idleMs: 1_000,
    onChunk: () => pacing.derived(false),
    onCaughtUp: () => pacing.derived(true),
    onError: () => pacing.derived(true),
  },
);

/** What a failure looks like on the other side: structured clone keeps only plain fields. */
function describe(error: unknown) {
  const e = error instanceof Error ? error : new Error(String(error));
  return { name: e.name, message: e.message, code: (e as { code?: unknown }).code };
}

function write(ids: number[], batches: Batch[]): void {
  giveWay(turn);
  try {
    writeBatches(db, batches).forEach((outcome, i) => {
      const id = ids[i] as number;
      if (outcome.ok) recent?.add(outcome.appended);
      send(outcome.ok ? { id, result: outcome.result } : { id, error: describe(outcome.error) });
    });
  } catch (error) {
    for (const id of ids) send({ id, error: describe(error) });
  }
}

async function close(target: MessagePort): Promise<void> {
  pacing.stop();
  await runner.close();
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
  send({ closed: true });
  target.close();
}

port.on("message", (first: ToWriter) => {
  // Everything queued behind the first message joins its group, up to the cap.
  const messages = [first];
  let events = "rows" in first ? first.rows.projectIds.length : 0;
  while (events < MAX_GROUP_EVENTS && !("close" in (messages.at(-1) as ToWriter))) {
    const next = receiveMessageOnPort(port)?.message as ToWriter | undefined;
    if (!next) break;
    messages.push(next);
    if ("rows" in next) events += next.rows.projectIds.length;
  }
  const ids: number[] = [];
  const batches: Batch[] = [];
  for (const message of messages) {
    if ("close" in message) break;
    if (!("rows" in message)) continue;
    ids.push(message.id);
    batches.push({ rows: message.rows, droppedEvents: message.droppedEvents });
  }
  if (batches.length > 0) write(ids, batches);
  if ("close" in (messages.at(-1) as ToWriter)) void close(port);
  else if (derive) runner.wake();
});

if (derive) runner.wake();
