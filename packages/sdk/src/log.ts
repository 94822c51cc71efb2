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

/** Messages name mcpsight for a user's logger; on stderr the line's prefix already does. */
const stderrLine = (level: string, message: string): void => {
  try {
    process.stderr.write(`${PREFIX} ${level}: ${message.replace(/^mcpsight: /, "")}\n`);
  } catch {
    // stderr closed: there is nowhere left to report to, and the host must not notice.
  }
};

/** Warnings already given, per scope (project id); bounded like each scope's set. */
const seenByScope = new Map<string, Set<string>>();
const MAX_SEEN = 1000;

function seenSet(scope: string | undefined): Set<string> {
  if (scope === undefined) return new Set();
  let seen = seenByScope.get(scope);
  if (!seen) {
    if (seenByScope.size >= MAX_SEEN) seenByScope.clear();
    seen = new Set();
    seenByScope.set(scope, seen);
  }
  return seen;
}

/**
 * Creates the logger for one `track()` call. Warnings always reach the user (stderr or their
 * logger) but at most once per distinct problem, so a failing identify on a busy stateless server
 * does not flood the log. Loggers of the same `scope` (the project id) share what they have
 * warned about: stateless hosts often build and track a new server for every request.
 *
 * @example
 * const log = createLogger({ debug: true }, "my-project");
 * log.warnOnce("identify:threw", "identify threw: boom");
 */
export function createLogger(
  options: { debug?: boolean; logger?: McpSightLogger },
  scope?: string,
): SdkLogger {
  const user = options.logger;
  const debugEnabled = options.debug === true;
  const seen = seenSet(scope);
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
      if (seen.size > MAX_SEEN) seen.clear();
      seen.add(key);
      logger.warn(message);
    },
  };
  return logger;
}
