/**
 * Turn-taking between the writer thread and writes on the main thread's connection (erasure,
 * retention, reindex, admin). SQLite lets one connection write at a time, and a connection waiting
 * for the lock only polls it between sleeps: under sustained ingest the writer thread takes it
 * again between two polls, and the main thread's write failed with "database is locked" after the
 * 5 s busy timeout. So the main thread raises a flag in memory both threads share for as long as
 * its write runs, and the writer thread does not start a transaction while it is raised.
 */

/** How long the writer thread waits for one main-thread write before it goes on regardless. */
const MAX_WAIT_MS = 30_000;

/** The shared flag: the number of main-thread writes waiting or running. */
export const newTurn = (): Int32Array => new Int32Array(new SharedArrayBuffer(4));

/** Main thread: runs `fn` (a write on its connection) while the writer thread holds back. */
export async function mainWrite<T>(turn: Int32Array, fn: () => T | Promise<T>): Promise<T> {
  Atomics.add(turn, 0, 1);
  try {
    return await fn();
  } finally {
    Atomics.sub(turn, 0, 1);
    Atomics.notify(turn, 0);
  }
}

/** Writer thread: returns once no main-thread write is waiting or running (or after 30 s). */
export function giveWay(turn: Int32Array): void {
  const until = Date.now() + MAX_WAIT_MS;
  for (let waiting = Atomics.load(turn, 0); waiting > 0; waiting = Atomics.load(turn, 0)) {
    const left = until - Date.now();
    if (left <= 0) return;
    Atomics.wait(turn, 0, waiting, Math.min(left, 100));
  }
}
