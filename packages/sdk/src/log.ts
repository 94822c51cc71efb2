import type { McpSightLogger } from "./types.js";

/** Where the SDK writes diagnostics. Never stdout: that would corrupt stdio transports. */
export interface Logger {
  debug(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** The SDK's logger: debug lines only when asked, each distinct warning once. */
export interface SdkLogger extends Logger {
  /** Logs `message` the first time `key` is seen; later repeats go to debug only. */
  warnOnce(key: string, message: string): void;
}

const PREFIX = "[mcpsight]";

const stderrLine = (level: string, message: string): void => {
  try {
    process.stderr.write(`${PREFIX} ${level}: ${message}\n`);
  } catch {
    // stderr closed: there is nowhere left to report to, and the host must not notice.
  }
};

/**
 * Creates the logger for one `track()` call. Warnings always reach the user (stderr or their
 * logger) but at most once per distinct problem, so a failing identify on a busy stateless server
 * does not flood the log.
 *
 * @example
 * const log = createLogger({ debug: true });
 * log.warnOnce("identify:threw", "identify threw: boom");
 */
export function createLogger(options: { debug?: boolean; logger?: McpSightLogger }): SdkLogger {
  const user = options.logger;
  const debugEnabled = options.debug === true;
  const seen = new Set<string>();
  const safe = (write: () => void): void => {
    try {
      write();
    } catch {
      // A throwing user logger must not break tracking.
    }
  };
  const logger: SdkLogger = {
    debug(message) {
      if (!debugEnabled) return;
      safe(() => (user ? user.debug?.(message) : stderrLine("debug", message)));
    },
    warn(message) {
      safe(() => (user ? user.warn(message) : stderrLine("warn", message)));
    },
    error(message) {
      safe(() => (user ? (user.error ?? user.warn).call(user, message) : stderrLine("error", message)));
    },
    warnOnce(key, message) {
      if (seen.has(key)) {
        logger.debug(message);
        return;
      }
      // Bounded so a stream of distinct keys cannot grow memory without limit.
      if (seen.size > 1000) seen.clear();
      seen.add(key);
      logger.warn(message);
    },
  };
  return logger;
}
