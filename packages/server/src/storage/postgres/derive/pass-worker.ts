/**
 * The pass thread: holds the pass lock's connection and runs the derivation pass
 * (leader.ts), so that a chunk's reading, deriving and encoding never hold up the collector's
 * requests, and runs beside them on another core. Built as its own entry (`dist/pass-worker.js`,
 * see tsup.config.ts).
 */
import { workerData } from "node:worker_threads";
import { ReportPacing } from "../../derive/runner.js";
import { createPool, parsePostgresUrl } from "../db.js";
import { PassLeader } from "./leader.js";
import { type FromPass, PASS_APPLICATION_NAME, type PassThreadData, type ToPass } from "./pass-messages.js";

const { url, port, idleMs } = workerData as PassThreadData;
const parsed = parsePostgresUrl(url);
// One connection: the lock holder's, on which every chunk runs.
const pool = createPool(parsed, 1, PASS_APPLICATION_NAME);
const send = (message: FromPass) => port.postMessage(message);

/** The state goes along as ReportPacing paces it; a chunk not reported with it still wakes waiters. */
const pacing = new ReportPacing((derived) => {
  const pass = leader.report();
  send({ derived, state: { pass, lastError: leader.lastError } });
  return pass;
});
const leader: PassLeader = new PassLeader(
  pool,
  parsed.schema,
  (final) => {
    if (!pacing.derived(final)) send({ derived: true });
  },
  idleMs,
);

port.on("message", (message: ToPass) => {
  if ("wake" in message) return leader.wake(message.stored);
  pacing.stop();
  void leader
    .close()
    .then(() => pool.end())
    // The server gone meanwhile changes nothing: the lock went with the connection.
    .catch(() => {})
    .finally(() => {
      send({ closed: true });
      port.close();
    });
});
