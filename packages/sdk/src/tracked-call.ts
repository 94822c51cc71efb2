// One request in flight, and then the raw facts of its outcome. The request path only records
// those facts (a handful of field writes); the event is built from them on the pipeline's turn.
import type { ErrorData, Event } from "@mcpsight/protocol";
import { type NameVersion, resolveClientInfo } from "./client-info.js";
import type { LowLevelServer } from "./detect.js";
import { errorDataOfResult } from "./error-data.js";
import { eventTypeFor, newEvent, parametersOf, resourceNameOf } from "./event.js";
import type { OtelSpan } from "./otel.js";
import type { PendingEvent } from "./pipeline.js";
import type { PreparingEpoch } from "./preparing.js";
import type { RequestView } from "./request-view.js";
import type { SessionRef, SessionState } from "./session-id.js";
import type { StatelessClients } from "./stateless-client.js";
import type { McpRequest, UserIdentity } from "./types.js";

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null;

/** What a tracked call needs from its tracker to build its event. */
export interface CallContext {
  readonly projectId: string;
  readonly low: LowLevelServer;
  /** The server's name and version (cached by the tracker). */
  serverInfo(): NameVersion | undefined;
  /** Clients of the project's stateless requests. */
  readonly statelessClients: StatelessClients;
}

export class TrackedCall implements PendingEvent {
  /** The session's state (stateful): its id and client info, read when the event is built. */
  readonly state: SessionState | undefined;
  /**
   * The identity in effect when the request arrived: the session's, or the outcome of the identify
   * run it started or waits for (a promise). Captured then, so a later credential change in the
   * same session never re-attributes this request.
   */
  identity: Promise<UserIdentity | undefined> | UserIdentity | undefined;
  /** The request as the handler saw it (without the injected `context`). */
  forwarded: McpRequest;
  intent: string | undefined;
  reportMissing = false;
  /** The request's OpenTelemetry span (the `otel` option). */
  span: OtelSpan | undefined;
  /** The outcome, set when the handler settles. */
  result: unknown;
  error: ErrorData | undefined;
  duration = 0;
  /** Set by the pipeline (declared here so every call keeps one shape). */
  epoch: PreparingEpoch | undefined = undefined;

  constructor(
    private readonly context: CallContext,
    readonly method: string,
    /** The request as received: the argument of eventTags/eventProperties and client-info lookups. */
    readonly request: McpRequest,
    readonly view: RequestView,
    readonly ref: SessionRef,
    readonly startedAt: number,
    readonly started: number,
  ) {
    this.state = ref.state;
    this.forwarded = request;
  }

  /**
   * Records the outcome: a result, an error, or both (a tool whose throw McpServer turned into an
   * `isError` result). `performance.now()` is read here so the duration excludes the pipeline.
   */
  settle(result: unknown, error: ErrorData | undefined): this {
    this.duration = Math.max(0, Math.round((performance.now() - this.started) * 1000) / 1000);
    this.result = result;
    this.error = error;
    return this;
  }

  build(): Event {
    const state = this.state;
    const context = this.context;
    let client: NameVersion | undefined;
    let correlationId: string | undefined;
    if (state) client = state.clientInfo ?? resolveClientInfo(context.low, this.request, this.view);
    else {
      ({ client, correlationId } = context.statelessClients.resolve(
        this.method,
        this.request,
        this.view,
        this.result,
        this.startedAt,
      ));
    }
    const event = newEvent(
      {
        projectId: context.projectId,
        sessionId: state?.id,
        client,
        server: context.serverInfo(),
        correlationId,
      },
      eventTypeFor(this.method),
      this.startedAt,
    );
    event.duration = this.duration;
    const params = this.forwarded.params;
    const resourceName = resourceNameOf(params);
    if (resourceName !== undefined) event.resourceName = resourceName;
    const parameters = parametersOf(params);
    if (parameters !== undefined) event.parameters = parameters;
    if (this.intent !== undefined) event.userIntent = this.intent;
    if (this.span?.traceId) {
      event.traceId = this.span.traceId;
      event.spanId = this.span.spanId;
    }
    const result = this.result;
    if (result !== undefined) event.response = result;
    if (this.error !== undefined) {
      event.isError = true;
      event.error = this.error;
    } else if (isObject(result) && result.isError === true) {
      event.isError = true;
      event.error = errorDataOfResult(result);
    }
    return event;
  }
}
