import { REPORT_MISSING_TOOL } from "@mcpsight/protocol/constants";
import { type DetectedServer, detectServer } from "./detect.js";
import { interceptHandlers } from "./hook.js";
import { watchConnections } from "./incoming.js";
import { REPORT_MISSING_DESCRIPTOR, REPORT_MISSING_RESULT } from "./intent.js";
import { createLogger, type SdkLogger } from "./log.js";
import { DEFAULT_API_BASE_URL, isHttpUrl, isProjectId, PROJECT_ID_RULE, resolveOptions } from "./options.js";
import { Pipeline } from "./pipeline.js";
import { deliveryFor } from "./runtime.js";
import { Tracker } from "./tracker.js";
import type { MCPSightOptions } from "./types.js";

/** Trackers by server object (both the McpServer and its low-level Server). */
const trackers = new WeakMap<object, Tracker>();
/** The latest tracker per project, for custom events addressed by session id. */
const latestByProject = new Map<string, Tracker>();

export function trackerOf(server: unknown): Tracker | undefined {
  return typeof server === "object" && server !== null ? trackers.get(server) : undefined;
}

export function trackerForProject(projectId: string): Tracker | undefined {
  return latestByProject.get(projectId);
}

/**
 * Starts recording a server's requests, users and sessions and sending them to the mcpsight
 * collector. Works with `McpServer` and the low-level `Server` of `@modelcontextprotocol/sdk` 1.11+
 * and `@modelcontextprotocol/server` 2.x; tools registered before or after this call are tracked.
 * Returns the same server. Never throws: an unsupported object is logged and returned untouched,
 * and calling it twice on a server is harmless.
 *
 * @example
 * import { track } from "mcpsight";
 * const server = new McpServer({ name: "notes", version: "1.0.0" });
 * track(server, "my-project", {
 *   identify: async (request, extra) => {
 *     const user = await users.byToken(extra.authInfo?.token);
 *     return user ? { userId: user.id, userName: user.name } : null;
 *   },
 * });
 */
export function track<T>(server: T, projectId: string | null, options: MCPSightOptions = {}): T {
  let log: SdkLogger | undefined;
  try {
    log = createLogger(
      { debug: options?.debug, logger: options?.logger },
      typeof projectId === "string" ? projectId : undefined,
    );
    if (!isProjectId(projectId)) {
      log.error(`track(): ${PROJECT_ID_RULE}; the server is not tracked.`);
      return server;
    }
    const detected = detectServer(server);
    if (typeof detected === "string") {
      log.error(`track(): ${detected}. The server is returned untracked.`);
      return server;
    }
    const existing = trackers.get(detected.low);
    if (existing) {
      log.debug(`track(): this server is already tracked for project ${existing.projectId}; ignoring.`);
      return server;
    }
    const resolved = resolveOptions(options);
    if (!isHttpUrl(resolved.apiBaseUrl)) {
      log.error(
        `track(): ${resolved.apiBaseUrlFrom} must be the collector's http(s) URL, such as ${DEFAULT_API_BASE_URL}, ` +
          `got "${resolved.apiBaseUrl}"; the server is not tracked.`,
      );
      return server;
    }
    const pipeline = new Pipeline(resolved, log, deliveryFor(resolved, log));
    const tracker = new Tracker(projectId, detected, resolved, log, pipeline);
    if (resolved.enableReportMissing) registerReportMissingTool(detected, log);
    interceptHandlers(detected.low, tracker.wrap);
    watchConnections(detected.low);
    trackers.set(detected.low, tracker);
    if (detected.high) trackers.set(detected.high, tracker);
    latestByProject.set(projectId, tracker);
    log.debug(
      `tracking ${detected.kind} for project ${projectId} → ${resolved.apiBaseUrl} ` +
        `(context=${resolved.enableToolCallContext} reportMissing=${resolved.enableReportMissing})`,
    );
  } catch (error) {
    (log ?? createLogger({})).error(`track(): setup failed (${String(error)}); the server runs untracked.`);
  }
  return server;
}

/**
 * McpServer only lists tools it has registered (and installs its tools handlers with the first
 * one), so the report-missing tool is registered through its public API; its calls are answered
 * by the tracker before they reach this placeholder. Low-level servers get the tool added to their
 * own tools/list results instead.
 */
function registerReportMissingTool(detected: DetectedServer, log: SdkLogger): void {
  const high = detected.high;
  if (!high || typeof high.registerTool !== "function") return;
  if (high._registeredTools && REPORT_MISSING_TOOL in high._registeredTools) return;
  try {
    high.registerTool(REPORT_MISSING_TOOL, { description: REPORT_MISSING_DESCRIPTOR.description }, () =>
      structuredClone(REPORT_MISSING_RESULT),
    );
  } catch (error) {
    log.debug(
      `could not register ${REPORT_MISSING_TOOL} (${String(error)}); it is only added to tools/list.`,
    );
  }
}
