// Tracking of one server: every request handler is wrapped (hook.ts) with `handle`, which resolves
// the session, strips the agent's intent, starts identify, calls the real handler and records the
// outcome. Nothing here may throw into the host: internal failures fall back to the plain handler.
import type { ErrorData } from "@mcpsight/protocol";
import { CONTEXT_PARAMETER, EVENT_TYPES, REPORT_MISSING_TOOL } from "@mcpsight/protocol/constants";
import { type NameVersion, resolveClientInfo, resolveServerInfo } from "./client-info.js";
import type { DetectedServer, RequestHandler } from "./detect.js";
import { errorDataOf } from "./error-data.js";
import { newEvent, withIdentity } from "./event.js";
import { Identifier } from "./identify.js";
import { incomingOf } from "./incoming.js";
import {
  DEFAULT_CONTEXT_DESCRIPTION,
  injectContext,
  REPORT_MISSING_RESULT,
  stripContext,
  withReportMissingTool,
} from "./intent.js";
import type { SdkLogger } from "./log.js";
import type { ResolvedOptions } from "./options.js";
import { OtelInstrument } from "./otel.js";
import { type Pipeline, readyEvent } from "./pipeline.js";
import { RequestView } from "./request-view.js";
import { type SessionState, type SessionStore, sessionStoreFor } from "./session-id.js";
import { instrumentTool, takeThrown } from "./tool-errors.js";
import { TrackedCall } from "./tracked-call.js";
import { identityChanged, type ProjectMemory, projectMemory } from "./tracker-memory.js";
import type { McpRequest, UserIdentity } from "./types.js";

/** Requests not worth an event: keep-alives. */
const UNTRACKED_METHODS = new Set(["ping"]);
/** Methods whose result the tracker changes (tools/list) or reads before answering (initialize). */
const RESULT_CHANGING_METHODS = new Set(["tools/list", "initialize"]);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null;

/** Whether the request's arguments carry `context` (checked before anything is allocated for it). */
const hasContextArgument = (request: McpRequest): boolean => {
  const args = request.params?.arguments;
  return isObject(args) && CONTEXT_PARAMETER in args;
};

/** The value or throw of `run` as a promise, as an `async` wrapper would return it. */
function settleOf(run: () => unknown): Promise<unknown> {
  try {
    return Promise.resolve(run());
  } catch (error) {
    return Promise.reject(error);
  }
}

export class Tracker {
  readonly sessions: SessionStore;
  readonly identifier: Identifier;
  /** The session of the latest request, for publishCustomEvent(server, …). */
  lastSession: SessionState | undefined;
  private readonly memory: ProjectMemory;
  /** OpenTelemetry spans and metrics (the `otel` option), when on. */
  private readonly otel: OtelInstrument | undefined;

  constructor(
    readonly projectId: string,
    readonly server: DetectedServer,
    readonly options: ResolvedOptions,
    readonly log: SdkLogger,
    readonly pipeline: Pipeline,
  ) {
    this.sessions = sessionStoreFor(projectId);
    this.memory = projectMemory(projectId);
    this.identifier = new Identifier(
      options,
      log,
      this.memory.identifyCacheFor(options.identifyCache?.ttlMs),
    );
    this.otel = OtelInstrument.create(options, log, server.low);
  }

  /** What tracked calls read from the tracker when their events are built. */
  get low(): DetectedServer["low"] {
    return this.server.low;
  }

  get statelessClients(): ProjectMemory["statelessClients"] {
    return this.memory.statelessClients;
  }

  private serverInfoCache: {
    source: unknown;
    name: unknown;
    version: unknown;
    info: NameVersion | undefined;
  } = {
    source: undefined,
    name: undefined,
    version: undefined,
    info: undefined,
  };

  /** The server's name and version, recomputed only when its `_serverInfo` changes. */
  serverInfo(): NameVersion | undefined {
    const source = this.server.low._serverInfo;
    const cache = this.serverInfoCache;
    if (source !== cache.source || source?.name !== cache.name || source?.version !== cache.version) {
      this.serverInfoCache = {
        source,
        name: source?.name,
        version: source?.version,
        info: resolveServerInfo(this.server.low),
      };
    }
    return this.serverInfoCache.info;
  }

  /**
   * The wrapper stored in place of each request handler. Not an `async` function. For most
   * methods the handler's own promise is returned as it is and the outcome is recorded by a
   * reaction attached beside the caller's: the caller's continuation runs on the same microtask
   * turn as without tracking (no extra promise hop). tools/list and initialize, whose results are
   * changed or read first, chain on it instead. A synchronous handler's throw still reaches the
   * caller as a rejection, as it would through the MCP SDK.
   */
  readonly wrap = (method: string, handler: RequestHandler): RequestHandler => {
    if (UNTRACKED_METHODS.has(method)) return handler;
    const tracker = this;
    const changesResult = RESULT_CHANGING_METHODS.has(method);
    return function mcpsightTrackedHandler(request: unknown, extra: unknown): Promise<unknown> {
      const call = tracker.begin(method, request, extra);
      if (call === undefined) return settleOf(() => handler(request, extra));
      if (call.reportMissing) {
        return Promise.resolve(tracker.finish(call, structuredClone(REPORT_MISSING_RESULT)));
      }
      let outcome: unknown;
      try {
        const forwarded = call.forwarded;
        outcome = call.span ? call.span.run(() => handler(forwarded, extra)) : handler(forwarded, extra);
      } catch (error) {
        tracker.fail(call, error);
        return Promise.reject(error);
      }
      if (!changesResult && outcome instanceof Promise) {
        // Caught here too: a rejection of this side branch would be unhandled.
        outcome.then(
          (result: unknown) => {
            try {
              tracker.finish(call, result);
            } catch {}
          },
          (error: unknown) => {
            try {
              tracker.fail(call, error);
            } catch {}
          },
        );
        return outcome;
      }
      return Promise.resolve(outcome).then(
        (result) => tracker.finish(call, result),
        (error: unknown) => {
          tracker.fail(call, error);
          throw error;
        },
      );
    };
  };

  private begin(method: string, request: unknown, extra: unknown): TrackedCall | undefined {
    try {
      if (!isObject(request)) return undefined;
      const startedAt = Date.now();
      const started = performance.now();
      const original = request as unknown as McpRequest;
      const view = new RequestView(extra, incomingOf(this.server.low.transport));
      const session = this.sessions.resolve(
        view,
        this.server.low.transport,
        this.options.stateless,
        startedAt,
      );
      if (session.state) this.lastSession = session.state;
      const isToolCall = method === "tools/call";
      const toolName = isToolCall ? original.params?.name : undefined;
      const reportMissing =
        isToolCall && this.options.enableReportMissing && toolName === REPORT_MISSING_TOOL;
      const call = new TrackedCall(this, method, original, view, session, startedAt, started);
      // McpServer hides a tool's throw behind an isError result; its callback keeps it for finish().
      if (isToolCall && !reportMissing && typeof toolName === "string" && this.server.high) {
        instrumentTool(this.server.high._registeredTools?.[toolName]);
      }
      if (reportMissing) {
        const context = original.params?.arguments?.[CONTEXT_PARAMETER];
        call.reportMissing = true;
        call.intent = typeof context === "string" ? context : undefined;
      } else if (
        isToolCall &&
        this.options.enableToolCallContext &&
        hasContextArgument(original) &&
        this.stripsContext(toolName)
      ) {
        ({ request: call.forwarded, intent: call.intent } = stripContext(original));
      }
      if (this.identifier.enabled) {
        if (session.stateless) call.identity = this.identifyStateless(original, view, startedAt);
        // The first identify waits for a tool call; once identified, any request with a new
        // credential re-identifies, so no event is attributed to the previous user.
        else if (isToolCall || session.state.identified) {
          this.identifySession(session.state, original, view, startedAt);
        }
      }
      if (session.state) call.identity = session.state.pending ?? session.state.identity;
      if (this.otel) call.span = this.otel.start(call, extra);
      return call;
    } catch (error) {
      this.log.warnOnce(
        "track:begin",
        `could not track a ${method} request (${String(error)}); it ran untracked.`,
      );
      return undefined;
    }
  }

  private finish(call: TrackedCall, result: unknown): unknown {
    let out = result;
    try {
      if (call.method === "tools/list") out = this.decorateToolList(result);
      if (call.method === "initialize") {
        if (call.state) call.state.clientInfo = resolveClientInfo(undefined, call.request, call.view);
        // Before the client can send its next request: that one may be built first.
        else this.memory.statelessClients.announce(call.request, call.view, result, call.startedAt);
      }
      // A tool's throw that McpServer turned into this isError result is recorded as the error.
      call.settle(result, this.thrownBehind(call, result));
      if (this.options.enableTracing) this.pipeline.submit(call);
      call.span?.end(call, result, undefined, undefined);
    } catch (error) {
      this.log.warnOnce("track:finish", `could not record a ${call.method} result (${String(error)}).`);
      return result;
    }
    return out;
  }

  /** For a tool's `isError` result, the error its callback threw, if McpServer turned a throw into it. */
  private thrownBehind(call: TrackedCall, result: unknown): ErrorData | undefined {
    if (call.method !== "tools/call" || !isObject(result) || result.isError !== true) return undefined;
    const thrown = takeThrown(call.view.raw);
    return thrown === undefined ? undefined : errorDataOf(thrown);
  }

  private fail(call: TrackedCall, error: unknown): void {
    try {
      // The error is read now: the host may change it once it has been thrown past us.
      call.settle(undefined, errorDataOf(error));
      if (this.options.enableTracing) this.pipeline.submit(call);
      call.span?.end(call, undefined, call.error, error);
    } catch (internal) {
      this.log.warnOnce("track:fail", `could not record a ${call.method} error (${String(internal)}).`);
    }
  }

  private decorateToolList(result: unknown): unknown {
    let out = result;
    if (this.options.enableToolCallContext) {
      const description = this.options.customContextDescription || DEFAULT_CONTEXT_DESCRIPTION;
      const injected = injectContext(out, description, this.memory.injectedTools);
      out = injected.result;
      for (const skipped of injected.skipped) this.log.debug(`context argument not added to ${skipped}`);
    }
    if (this.options.enableReportMissing) out = withReportMissingTool(out);
    return out;
  }

  /** Whether `context` in a tool's arguments is ours to remove (the tool did not declare its own). */
  private stripsContext(toolName: string | undefined): boolean {
    if (toolName === undefined) return false;
    const known = this.memory.injectedTools.get(toolName);
    if (known !== undefined) return known;
    // No tools/list seen in this process yet: ask McpServer's registry whether the tool takes `context`.
    const tool = this.server.high?._registeredTools?.[toolName] as
      | { inputSchema?: { shape?: unknown } }
      | undefined;
    const shape = tool?.inputSchema?.shape;
    return !(isObject(shape) && CONTEXT_PARAMETER in shape);
  }

  /** Stateful: identify once per session on its first tool call, and again when the credential changes. */
  private identifySession(state: SessionState, request: McpRequest, view: RequestView, now: number): void {
    const credential = view.credentialFingerprint();
    if (state.identified && state.credential === credential) return;
    state.identified = true;
    state.credential = credential;
    // Resolves to the identity of the requests made with this credential: the result, or the
    // session's previous identity when identify failed. The events parked behind it resume only
    // once the identify event is queued for delivery, so it is delivered before theirs.
    const previous = state.pending ?? state.identity;
    const run = this.identifier
      .run(request, view)
      .then(async (outcome): Promise<UserIdentity | undefined> => {
        const identity =
          outcome.kind === "identified"
            ? outcome.identity
            : outcome.kind === "anonymous"
              ? undefined
              : await previous;
        if (state.credential !== credential) return identity; // superseded by a newer credential
        if (outcome.kind === "identified") {
          if (identityChanged(state.identity, outcome.identity)) {
            state.identity = outcome.identity;
            await this.emitIdentify(outcome.identity, state, request, view, now);
          }
        } else if (outcome.kind === "anonymous") {
          state.identity = undefined;
        }
        return identity;
      })
      // Nothing may await this promise (tracing off), so it must never reject.
      .catch((error: unknown) => {
        this.identifyFailed(error);
        return state.identity;
      });
    const pending: Promise<UserIdentity | undefined> = run.finally(() => {
      if (state.pending === pending) state.pending = undefined;
    });
    state.pending = pending;
  }

  /** Stateless: identify every request (through the cache when configured). */
  private async identifyStateless(
    request: McpRequest,
    view: RequestView,
    now: number,
  ): Promise<UserIdentity | undefined> {
    try {
      const outcome = await this.identifier.run(request, view);
      if (outcome.kind !== "identified") return undefined;
      if (this.memory.noteStatelessIdentity(outcome.identity, now)) {
        await this.emitIdentify(outcome.identity, undefined, request, view, now);
      }
      return outcome.identity;
    } catch (error) {
      // Nothing may await this promise (tracing off), so it must never reject.
      this.identifyFailed(error);
      return undefined;
    }
  }

  private identifyFailed(error: unknown): void {
    this.log.warnOnce("identify:internal", `could not apply an identify result (${String(error)}).`);
  }

  /**
   * Queues the identify event at once rather than on the pipeline's next turn; the promise (when
   * that goes asynchronous) settles once it is queued for delivery. Never rejects.
   */
  private emitIdentify(
    identity: UserIdentity,
    state: SessionState | undefined,
    request: McpRequest,
    view: RequestView,
    at: number,
  ): Promise<void> | undefined {
    const client = state
      ? (state.clientInfo ?? resolveClientInfo(this.server.low, request, view))
      : this.memory.statelessClients.resolve(request.method, request, view, undefined, at).client;
    const event = newEvent(
      { projectId: this.projectId, sessionId: state?.id, client, server: resolveServerInfo(this.server.low) },
      EVENT_TYPES.identify,
      at,
    );
    return this.pipeline.submitNow(readyEvent(withIdentity(event, identity)));
  }
}
