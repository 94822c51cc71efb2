// Events being prepared (waiting for identify, callbacks or redaction) before they reach a
// delivery queue, counted per epoch: a flush closes the current epoch and waits for it and the
// earlier ones, so it waits for the events recorded before it and never for those recorded while
// it waits (under steady traffic the process-wide count may never reach zero). Starting and
// finishing an event costs a counter update; only a flush allocates.

/** The events that started preparing between two flushes. */
export class PreparingEpoch {
  /** Events of this epoch still being prepared. */
  open = 0;
  /** Set when a flush closes the epoch with events open; called when the last of them is done. */
  finish: (() => void) | undefined = undefined;
  /** Settles when the last open event of a closed epoch is done. */
  done: Promise<void> | undefined = undefined;
}

let current = new PreparingEpoch();
/** Closed epochs with events still open, oldest first. */
const closed = new Set<PreparingEpoch>();

/** Counts an event as being prepared; hand the epoch returned to {@link preparingDone}. */
export function preparingStarted(): PreparingEpoch {
  current.open += 1;
  return current;
}

/** The event counted in `epoch` reached a delivery queue or was dropped. */
export function preparingDone(epoch: PreparingEpoch | undefined): void {
  if (epoch === undefined) return;
  epoch.open -= 1;
  if (epoch.open === 0 && epoch.finish !== undefined) epoch.finish();
}

/**
 * Settles once every event that started preparing before the call is done (reached a delivery
 * queue or was dropped); undefined when none is still being prepared.
 */
export function preparedSoFar(): Promise<void> | undefined {
  if (current.open > 0) {
    const epoch = current;
    epoch.done = new Promise<void>((resolve) => {
      epoch.finish = () => {
        epoch.finish = undefined;
        closed.delete(epoch);
        resolve();
      };
    });
    closed.add(epoch);
    current = new PreparingEpoch();
  }
  if (closed.size === 0) return undefined;
  return Promise.all([...closed].map((epoch) => epoch.done)).then(() => undefined);
}
