/**
 * SQLite result codes (better-sqlite3 `code`, extended codes included) that say the database as a
 * whole cannot be written: disk full, I/O error, locked by another connection beyond the busy
 * timeout, read-only, unopenable or corrupt files, out of memory. `ERR_INGEST_WRITER`: the writer
 * thread stopped.
 */
const UNAVAILABLE =
  /^(SQLITE_(FULL|IOERR|BUSY|LOCKED|READONLY|CANTOPEN|CORRUPT|NOTADB|NOMEM|PROTOCOL|PERM|AUTH)(_|$)|ERR_INGEST_WRITER$)/;

export const sqliteUnavailable = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && UNAVAILABLE.test(code);
};
