/**
 * The database cannot take writes at all right now (unreachable, disk full, I/O error, locked
 * beyond the wait): nothing about the batch is at fault, so the collector answers 503 and the
 * sender retries later. Any other ingest failure is about the batch, and ingest isolates it.
 */
export class StorageUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`The database cannot store events right now: ${(cause as Error)?.message ?? String(cause)}`, {
      cause,
    });
    this.name = "StorageUnavailableError";
  }
}

/** Rethrows `error` as a StorageUnavailableError when `unavailable` says so. */
export function classifyIngestError(error: unknown, unavailable: (error: unknown) => boolean): never {
  if (error instanceof StorageUnavailableError || !unavailable(error)) throw error;
  throw new StorageUnavailableError(error);
}
