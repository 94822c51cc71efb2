import type { Event } from "@mcpsight/protocol";
import { EVENT_TYPES, LIMITS } from "@mcpsight/protocol/constants";
import { truncate } from "@mcpsight/protocol/sanitize";
import { errorDataOf } from "./error-data.js";
import { newEvent } from "./event.js";
import { createLogger } from "./log.js";
import { isProjectId, PROJECT_ID_RULE, resolveOptions } from "./options.js";
import { Pipeline, readyEvent } from "./pipeline.js";
import { deliveryFor } from "./runtime.js";
import { deriveSessionId, type SessionState, sessionStoreFor } from "./session-id.js";
import { validateTags } from "./tags.js";
import { trackerForProject, trackerOf } from "./track.js";
import type { CustomEventData } from "./types.js";

let fallbackPipeline: Pipeline | undefined;

/** Pipeline for custom events of a project no server was tracked for in this process. */
function defaultPipeline(): Pipeline {
  if (!fallbackPipeline) {
    const options = resolveOptions({});
    const log = createLogger({});
    fallbackPipeline = new Pipeline(options, log, deliveryFor(options, log));
  }
  return fallbackPipeline;
}

/**
 * Records an event of your own (`mcpsight:custom`) in a session: pass the tracked server (its
 * current session) or an MCP session id (the transport's `Mcp-Session-Id`). The event goes through
 * the same redaction as tracked requests. Resolves once queued; never rejects.
 *
 * @example
 * await publishCustomEvent(server, "my-project", { resourceName: "feedback", parameters: { rating: 5 } });
 */
export async function publishCustomEvent(
  serverOrSessionId: unknown,
  projectId: string,
  data: CustomEventData = {},
): Promise<void> {
  try {
    if (!isProjectId(projectId)) {
      // The collector would refuse it; sending it anyway could only cost a request.
      createLogger({}, String(projectId)).warnOnce(
        "publishCustomEvent:projectId",
        `publishCustomEvent: ${PROJECT_ID_RULE} (got ${JSON.stringify(projectId) ?? String(projectId)}); event not sent.`,
      );
      return;
    }
    const tracker =
      typeof serverOrSessionId === "string" ? trackerForProject(projectId) : trackerOf(serverOrSessionId);
    if (typeof serverOrSessionId !== "string" && !tracker) {
      createLogger({}, projectId).warnOnce(
        "publishCustomEvent:untracked",
        "publishCustomEvent: the server is not tracked; call track() first. Event not sent.",
      );
      return;
    }
    let session: SessionState | undefined;
    let sessionId: string | undefined;
    if (typeof serverOrSessionId === "string") {
      session = sessionStoreFor(projectId).peek(serverOrSessionId);
      sessionId = session?.id ?? deriveSessionId(projectId, serverOrSessionId);
    } else {
      session = tracker?.lastSession;
      sessionId = session?.id;
    }
    const server = tracker?.server.low._serverInfo;
    const event: Event = newEvent(
      {
        projectId,
        sessionId,
        client: session?.clientInfo,
        server:
          typeof server?.name === "string"
            ? { name: server.name, version: String(server.version ?? "") }
            : undefined,
      },
      EVENT_TYPES.custom,
      Date.now(),
    );
    if (typeof data.resourceName === "string")
      event.resourceName = truncate(data.resourceName, LIMITS.nameLength);
    if (data.parameters !== undefined) event.parameters = data.parameters;
    if (data.response !== undefined) event.response = data.response;
    if (typeof data.message === "string") event.userIntent = data.message;
    if (typeof data.duration === "number" && Number.isFinite(data.duration) && data.duration >= 0)
      event.duration = data.duration;
    // `error: null` is no error; `isError: false` says there is none, whatever `error` holds.
    const hasError = data.error !== undefined && data.error !== null;
    const isError = typeof data.isError === "boolean" ? data.isError : hasError || undefined;
    if (isError !== undefined) event.isError = isError;
    if (isError && hasError) event.error = errorDataOf(data.error);
    const { tags } = validateTags(data.tags);
    if (tags) event.tags = tags;
    if (typeof data.properties === "object" && data.properties !== null) event.properties = data.properties;
    (tracker?.pipeline ?? defaultPipeline()).submit(readyEvent(event, { session }));
  } catch (error) {
    createLogger({}, projectId).warnOnce(
      "publishCustomEvent:failed",
      `publishCustomEvent failed (${String(error)}); event not sent.`,
    );
  }
}
