/**
 * The pass thread: holds the pass lock's connection and runs the derivation pass
 * (leader.ts), so that a chunk's reading, deriving and encoding never hold up the collector's
 * requests, and runs beside them on another core. Built as its own entry (`dist/pass-worker.js`,
 * see tsup.config.ts).
 */
import { workerData } from "node:worker_threads";
import { createPool, parsePostgresUrl } from "../db.js";
import { PassLeader } from "./leader.js";
import type { FromPass, PassThreadData, ToPass } from "./pass-messages.js";

const { url, port, idleMs } = workerData as PassThreadData;
const parsed = parsePostgresUrl(url);
// One connection: the lock holder's, on which every chunk runs.
const pool = createPool(parsed, 1);
const send = (message: FromPass) => port.postMessage(message);

/**
 * The state goes along after a chunk at most every 250 ms (a lag summary selects among up to
 * 200,000 samples), at once when it matters, and every second while the last minute's lag still
 * holds samples (they age out while nothing is derived).
 */
let reported = 0;
let sampled = false;
const report = (derived: boolean) => {
  reported = Date.now();
  const pass = leader.report();
  sampled = (pass?.lag.events ?? 0) > 0;
  send({ derived, state: { pass, lastError: leader.lastError } });
};
const leader: PassLeader = new PassLeader(
  pool,
  parsed.schema,
  (final) => (final || Date.now() - reported >= 250 ? report(true) : send({ derived: true })),
  idleMs,
);
const refresh = setInterval(() => {
  if (sampled && Date.now() - reported >= 1_000) report(false);
}, 1_000);
refresh.unref();

port.on("message", (message: ToPass) => {
  if ("wake" in message) return leader.wake();
  clearInterval(refresh);
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
