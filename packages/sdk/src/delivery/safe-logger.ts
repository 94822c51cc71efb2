import type { Logger } from "../log.js";

/** A user-supplied logger that throws must not turn a delivery failure into an unhandled rejection. */
export function safeLogger(logger: Logger): Logger {
  const guard =
    (write: (message: string) => void) =>
    (message: string): void => {
      try {
        write.call(logger, message);
      } catch {
        // Nowhere left to report it.
      }
    };
  return { debug: guard(logger.debug), warn: guard(logger.warn), error: guard(logger.error) };
}
