/**
 * SQLSTATE classes and codes that say the database cannot take writes at all: 08 connection
 * exceptions, 53 insufficient resources (disk full, out of memory, too many connections), 57P
 * operator intervention (shutdown, restart), 58 system (I/O) errors, 55P03 lock not available,
 * 57014 statement timeout, and serialization failures or deadlocks that outlived their retries.
 */
const SQLSTATE = /^(08|53|57P|58)|^(55P03|57014|40001|40P01)$/;
/** Node socket errors of a connection that could not be made or was lost. */
const SOCKET = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)$/;
/** `pg`'s own errors for a lost connection or a pool that cannot connect (they carry no code). */
const POOL =
  /Connection terminated|timeout exceeded when trying to connect|connection error and is not queryable|Cannot use a pool after calling end/;

export function postgresUnavailable(error: unknown): boolean {
  const { code, message, errors } = (error ?? {}) as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof code === "string" && (SQLSTATE.test(code) || SOCKET.test(code))) return true;
  if (typeof message === "string" && POOL.test(message)) return true;
  // A connection tried on several addresses fails with an AggregateError of each attempt's error.
  return Array.isArray(errors) && errors.some(postgresUnavailable);
}
