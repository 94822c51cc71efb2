package mcpsight

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"runtime/debug"
	"sync/atomic"
	"time"
)

// Tracker tracks the requests of one server for one project. Adapters create it with
// NewTracker and report each request with Begin and Call.Finish. Its methods never panic and
// never block on delivery.
type Tracker struct {
	projectID string
	cfg       *config
	log       *logger
	memory    *projectMemory
	delivery  atomic.Pointer[runtime]
	server    atomic.Pointer[NameVersion]
	lastState atomic.Pointer[sessionState]
	// lastStateless is the latest stateless request, for custom events published meanwhile.
	lastStateless atomic.Pointer[statelessRequest]
	lastClient    atomic.Pointer[NameVersion]
}

// ErrInvalidProjectID is returned by NewTracker for an empty or over-long project id.
var ErrInvalidProjectID = errors.New("mcpsight: projectID must be a non-empty string of at most 128 characters")

// NewTracker starts tracking for projectID with opts; toReq turns a Request into the adapter's
// request type R for the callbacks of opts. It starts the delivery goroutine if none runs. It
// fails for an invalid projectID, or a collector URL (APIBaseURL, MCPSIGHT_URL, MCPCAT_API_URL)
// that is no http(s) URL.
func NewTracker[R any](projectID string, opts *Options[R], toReq func(*Request) R) (*Tracker, error) {
	if projectID == "" || utf16Len(projectID) > limitProjectID {
		return nil, ErrInvalidProjectID
	}
	cfg := resolve(opts, toReq)
	if !isHTTPURL(cfg.apiBaseURL) {
		return nil, fmt.Errorf("mcpsight: %s must be the collector's http(s) URL, such as %s, got %q; the server is not tracked", cfg.apiBaseURLFrom, DefaultAPIBaseURL, cfg.apiBaseURL)
	}
	log := loggerFor(cfg.logger)
	t := &Tracker{projectID: projectID, cfg: cfg, log: log, memory: memoryFor(projectID)}
	t.delivery.Store(acquireRuntime(cfg, log))
	latestTrackers.Store(projectID, t)
	log.debug("tracking", "project", projectID, "collector", cfg.apiBaseURL,
		"context", cfg.enableContext, "reportMissing", cfg.enableReportMissing)
	return t, nil
}

// rt is the delivery the tracker hands its events to.
func (t *Tracker) rt() *runtime { return t.delivery.Load() }

// Resume starts delivery again for a tracker whose delivery Shutdown stopped (a server tracked
// again after Shutdown); it does nothing while delivery runs.
func (t *Tracker) Resume() {
	if t == nil {
		return
	}
	if rt := t.rt(); rt.isStopped() {
		t.delivery.CompareAndSwap(rt, acquireRuntime(t.cfg, t.log))
	}
}

// ProjectID is the project the tracker records into.
func (t *Tracker) ProjectID() string { return t.projectID }

// SeesRequests reports whether a callback (Identify, IdentifyCache.Key, EventTags,
// EventProperties) or the Observer is handed requests: only then does Request.Raw need the
// library's request as received.
func (t *Tracker) SeesRequests() bool { return t != nil && t.cfg.userSeesRequests }

// Observed reports whether an Observer is set: only then can Call.Context return another
// context than the one it is given.
func (t *Tracker) Observed() bool { return t != nil && t.cfg.observer != nil }

// SetServerInfo records the tracked server's own name and version (adapters learn it from
// initialize results or the server object).
func (t *Tracker) SetServerInfo(info NameVersion) {
	if t == nil || info.Name == "" {
		return
	}
	if current := t.server.Load(); current != nil && *current == info {
		return
	}
	t.server.Store(&info)
}

func (t *Tracker) serverInfo() NameVersion {
	if info := t.server.Load(); info != nil {
		return *info
	}
	return NameVersion{}
}

// recoverInternal swallows a panic of mcpsight's own code; the host never sees one.
func (t *Tracker) recoverInternal(stage string) {
	if p := recover(); p != nil {
		t.log.warnOnce("internal:"+stage, fmt.Sprintf("internal error while tracking (%s: %v); the request ran untracked", stage, p))
	}
}

// Call is one request in flight. Adapters read what to do from it (Forward, ReportMissing) and
// end it with Finish or Panic.
type Call struct {
	t        *Tracker
	req      *Request
	state    *sessionState
	started  time.Time
	identity *identityFuture
	// initializeVersion is the protocolVersion of a stateless initialize's result.
	initializeVersion string

	// Intent is the agent's stated intent (the `context` argument), if any.
	Intent string
	// Forward is non-nil when the adapter must call the handler with these arguments instead
	// of the received ones (the `context` argument taken out), and ForwardJSON the same as JSON
	// text when the request had its arguments as JSON text (Request.RawArguments).
	Forward     map[string]any
	ForwardJSON json.RawMessage
	// ReportMissing is true for a call to get_more_tools: the adapter answers it with
	// ReportMissingResultText instead of calling a handler (or lets its registered tool do so).
	ReportMissing bool

	done     atomic.Bool
	duration time.Duration
	result   any
	err      *ErrorData
	queued   pending      // how the call waits for the delivery goroutine
	span     ObservedSpan // the Observer's record of the request, if any
}

// submit hands the finished call to delivery.
func (c *Call) submit() {
	c.queued = pending{t: c.t, call: c, identity: c.identity}
	c.t.rt().submit(&c.queued)
}

// Begin records the start of a request and starts identify when due. It returns nil when the
// request is not tracked (ping, an internal failure); adapters then call the handler as is.
func (t *Tracker) Begin(r *Request) (call *Call) {
	if t == nil || r == nil || r.Method == "ping" {
		return nil
	}
	defer func() {
		if p := recover(); p != nil {
			t.log.warnOnce("begin", fmt.Sprintf("could not track a %s request (%v); it ran untracked", r.Method, p))
			call = nil
		}
	}()
	if r.Ctx == nil {
		return nil
	}
	now := time.Now()
	state := t.memory.sessions.resolve(r, t.cfg.stateless, now)
	if r.callTaken {
		call = &Call{} // a request begun twice: the first Call may still be in flight
	} else {
		call, r.callTaken = &r.call, true
	}
	*call = Call{t: t, req: r, state: state, started: now}
	if state != nil {
		t.lastState.Store(state)
		if t.lastStateless.Load() != nil {
			t.lastStateless.Store(nil) // the latest request is this stateful one
		}
	}
	isToolCall := r.Method == "tools/call"
	if isToolCall && t.cfg.enableReportMissing && r.ToolName == reportMissingTool {
		call.ReportMissing = true
		call.Intent = r.contextArgument()
	} else if isToolCall && t.cfg.enableContext && (r.Arguments != nil || len(r.RawArguments) > 0) && t.stripsContext(r) {
		call.takeContext(r)
	}
	if t.cfg.identify != nil {
		if state == nil {
			call.identity = t.identifyStateless(r, now)
		} else {
			state.mu.Lock()
			due := isToolCall || state.identified
			state.mu.Unlock()
			// The first identify waits for a tool call; once identified, any request with a new
			// credential re-identifies, so no event is attributed to the previous user.
			if due {
				t.identifySession(state, r, now)
			}
		}
	}
	if state != nil {
		state.mu.Lock()
		if state.pending != nil {
			call.identity = state.pending
		} else if state.identity != nil {
			call.identity = resolvedFuture(state.identity)
		}
		state.mu.Unlock()
	} else {
		t.lastStateless.Store(&statelessRequest{method: r.Method, header: r.Header, meta: r.Meta,
			remoteAddr: r.RemoteAddr, initializeClient: r.InitializeClient,
			tokenCredential: r.TokenCredential, identity: call.identity})
	}
	call.observe()
	return call
}

// stripsContext reports whether `context` in a tools/call's arguments is mcpsight's to take out:
// the tool got it in a tools/list of this process. Before any listed it (a restart, a stateless
// replica), the tool's schema as the library holds it decides, when the adapter can look it up
// (Request.Tools): mcpsight takes out only what it would have added, so a tool's own `context`
// argument reaches it. Without a schema, `context` is taken out.
func (t *Tracker) stripsContext(r *Request) bool {
	injected, known := t.memory.injected(r.ToolName)
	if known || r.Tools == nil {
		return !known || injected
	}
	schema, found := r.Tools.ToolSchema(r, r.ToolName)
	if !found {
		return true
	}
	if schema == nil {
		schema = map[string]any{"type": "object"}
	}
	return t.noteInjection(r.ToolName, schema) == ""
}

// Finish records the outcome of the request: its result (the library's result value, read as
// JSON after the handler returned) or its error. Safe on a nil Call.
func (c *Call) Finish(result any, err error) {
	c.finish(result, err, false)
}

// FinishCopied is Finish for a result the adapter copied as the handler returned it, far enough
// that what the library changes afterwards (it stamps 2026-07-28 results) does not reach the
// copy: the copy is recorded as it is, where Finish would encode a 2026-07-28 result on the
// request path to keep it unchanged.
func (c *Call) FinishCopied(result any) {
	c.finish(result, nil, true)
}

// Modern reports whether the request uses the protocol of 2026-07-28 or later (see
// Request.Modern); false on a nil Call.
func (c *Call) Modern() bool {
	return c != nil && c.req.Modern()
}

func (c *Call) finish(result any, err error, copied bool) {
	if c == nil || !c.done.CompareAndSwap(false, true) {
		return
	}
	defer c.t.recoverInternal("finish")
	c.duration = time.Since(c.started)
	if err != nil {
		c.err = errorDataOf(err)
	} else {
		c.result = result
		if !copied && c.req.Modern() {
			// Libraries stamp 2026-07-28 results (resultType, _meta serverInfo) after the handler
			// returned, while the event is built on the delivery goroutine: record the result as
			// the handler returned it.
			if data, err := json.Marshal(result); err == nil {
				c.result = json.RawMessage(data)
			}
		}
	}
	if c.req.Method == "initialize" {
		c.noteInitialize(err == nil)
	}
	c.endObserved(err)
	if c.t.cfg.enableTracing {
		c.submit()
	}
}

// Panic records a handler's panic; the adapter re-panics afterwards, as without tracking.
func (c *Call) Panic(value any) {
	if c == nil || !c.done.CompareAndSwap(false, true) {
		return
	}
	defer c.t.recoverInternal("panic")
	c.duration = time.Since(c.started)
	c.err = &ErrorData{Message: fmt.Sprint(value), Type: "panic", Stack: string(debug.Stack())}
	c.endObserved(nil)
	if c.t.cfg.enableTracing {
		c.submit()
	}
}

// noteInitialize remembers the client an initialize announced: on the session (stateful), or in
// the project's client memory when a stateless one succeeded, before the client's next request.
func (c *Call) noteInitialize(succeeded bool) {
	client := explicitClient(c.req)
	if c.state != nil {
		if client.Name == "" {
			client = c.req.SessionClient
		}
		c.state.mu.Lock()
		c.state.client = client
		c.state.mu.Unlock()
		return
	}
	if succeeded {
		c.initializeVersion = resultProtocolVersion(c.result)
		c.t.memory.clients.announce(c.req, c.initializeVersion)
	}
}

// resultProtocolVersion reads protocolVersion from an initialize result of any library.
func resultProtocolVersion(result any) string {
	if result == nil {
		return ""
	}
	value, err := jsonValue(result)
	if err != nil {
		return ""
	}
	m, _ := value.(map[string]any)
	version, _ := m["protocolVersion"].(string)
	return version
}

func errorDataOf(err error) *ErrorData {
	t := reflect.TypeOf(err).String()
	return &ErrorData{Message: err.Error(), Type: t}
}

// clientOf resolves the client of a request event, and its correlationId when stateless.
func (c *Call) clientOf() (NameVersion, string) {
	if c.state == nil {
		return c.t.memory.clients.resolve(c.req, c.initializeVersion)
	}
	return sessionClientOf(c.state, c.req), ""
}

// sessionClientOf is the client of a stateful session's request: what the session learned at
// initialize, else what the library knows, else what the request names, else its User-Agent.
func sessionClientOf(state *sessionState, r *Request) NameVersion {
	if client := state.clientInfo(); client.Name != "" {
		return client
	}
	if r.SessionClient.Name != "" {
		return r.SessionClient
	}
	if client := explicitClient(r); client.Name != "" {
		return client
	}
	return userAgentClient(r.header("User-Agent"))
}

// build turns the call's facts into an event; on the delivery goroutine. Params and result are
// encoded once, into w's buffers, and recorded as that JSON text (w.encoded, not the event's
// Parameters and Response).
func (c *Call) build(w *eventWriter) (*Event, error) {
	r := c.req
	sessionID := ""
	if c.state != nil {
		sessionID = c.state.id
	}
	client, correlationID := c.clientOf()
	e := &w.event // the writer's, reused: the event lives as long as its privacy pass
	fillEvent(e, eventBase{projectID: c.t.projectID, sessionID: sessionID, client: client, server: c.t.serverInfo()},
		eventTypeFor(r.Method), c.started)
	e.CorrelationID = correlationID
	if ids, ok := c.span.(TracedSpan); ok {
		e.TraceID, e.SpanID = ids.TraceIDs()
	}
	w.duration = durationMillis(c.duration)
	e.Duration = &w.duration
	e.ResourceName = truncate(r.ResourceName, limitName)
	if r.Params != nil {
		params, err := w.marshal(contentParameters, r.Params)
		if err != nil {
			return nil, fmt.Errorf("the request params are not JSON: %w", err)
		}
		if params != nil {
			w.encoded[contentParameters] = params
			e.requestParams, e.argumentsForwarded = true, c.Forward != nil || c.ForwardJSON != nil
		}
	}
	e.UserIntent = c.Intent
	if c.err != nil {
		e.IsError = true
		e.Error = c.err
	} else if c.result != nil {
		response, err := w.marshal(contentResponse, c.result)
		if err != nil {
			return nil, fmt.Errorf("the result is not JSON: %w", err)
		}
		if response != nil {
			w.encoded[contentResponse] = response
			if bytes.Contains(response, []byte(`"isError":true`)) { // else it cannot be
				value, _ := jsonValue(json.RawMessage(response))
				if m, ok := value.(map[string]any); ok && m["isError"] == true {
					e.IsError = true
					e.Error = errorDataOfResult(m)
				}
			}
		}
	}
	return e, nil
}

// errorDataOfResult is the error of a result with isError: its text content is the message.
func errorDataOfResult(result map[string]any) *ErrorData {
	var text string
	content, _ := result["content"].([]any)
	for _, item := range content {
		if m, ok := item.(map[string]any); ok {
			if s, ok := m["text"].(string); ok {
				if text != "" {
					text += "\n"
				}
				text += s
			}
		}
	}
	if text == "" {
		text = "Tool returned isError: true"
	}
	return &ErrorData{Message: text, Type: "ToolResultError"}
}

// identifyEvent is the mcpsight:identify event of a session (or a stateless user); it carries
// the identity through its slot's future (identifyEventSlot).
func (t *Tracker) identifyEvent(state *sessionState, r *Request, at time.Time) *Event {
	sessionID := ""
	var client NameVersion
	if state != nil {
		sessionID = state.id
		client = sessionClientOf(state, r)
	} else {
		client, _ = t.memory.clients.resolve(r, "") // identify events carry no correlationId
	}
	return newEvent(eventBase{projectID: t.projectID, sessionID: sessionID, client: client, server: t.serverInfo()}, eventTypeIdentify, at)
}
