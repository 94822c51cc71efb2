package mcpsight

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"time"
)

// RequestObserver is told of every request a tracker records, besides the event: the otel
// package implements it to make each request an OpenTelemetry span. Set it in
// Options.Observer. Its methods run on the request path and must not block; a panic in them is
// recovered and the request proceeds unobserved.
type RequestObserver interface {
	// StartRequest is called when a request arrives; the returned span (nil: none) is ended
	// once, when the request has finished.
	StartRequest(r *ObservedRequest) ObservedSpan
}

// ObservedRequest is what is known of a request when it arrives.
type ObservedRequest struct {
	// Request is the adapter's description of the request (method, names, headers, _meta).
	Request *Request
	// Started is when the request arrived.
	Started time.Time
	// SessionID is the transport's session id over HTTP, else mcpsight's session id of the
	// connection ("" when stateless).
	SessionID string
	// ProtocolVersion is the MCP protocol version: the request's Mcp-Protocol-Version header,
	// else the one the session's initialize settled, else an initialize request's own.
	ProtocolVersion string
	// ClientAddress is the client's address from X-Forwarded-For, when present.
	ClientAddress string
}

// ObservedSpan is an observer's record of one request.
type ObservedSpan interface {
	// Context returns ctx carrying the span, for the handler to run with.
	Context(ctx context.Context) context.Context
	// End is called once, when the request has finished.
	End(outcome *ObservedOutcome)
}

// TracedSpan is an ObservedSpan with a trace: the request's event then carries its ids (lower-case
// hex, 32 and 16 digits; "" when the span is not sampled), so the dashboard links to the trace.
type TracedSpan interface {
	TraceIDs() (traceID, spanID string)
}

// ObservedOutcome is how a request ended.
type ObservedOutcome struct {
	Duration time.Duration
	// Error is set when the handler returned an error or panicked; ErrorCode is the JSON-RPC
	// error code when the error carries one (0 otherwise).
	Error     *ErrorData
	ErrorCode int64
	// ToolError is true for a tool result with isError: true.
	ToolError bool
	// ProtocolVersion is what an initialize result settled ("" for other requests).
	ProtocolVersion string
	// Intent is the agent's stated intent (the `context` argument), as received: observers
	// must pass it through Scrub before recording it.
	Intent string
	// Identity, when the request has an identify (nil otherwise), blocks until it settled
	// (bounded by IdentifyTimeout) and returns the user, or nil when anonymous.
	Identity func() *UserIdentity
	// Scrub runs the privacy pass of events (secrets, truncation, RedactSensitiveInformation)
	// over a string; false when redaction failed (nothing may then be recorded).
	Scrub func(text string) (string, bool)
	// Content, for a tools/call (nil otherwise), returns the tool's arguments (without the
	// `context` argument) and its result ("" after an error) as JSON text, after the same
	// privacy pass; false when redaction failed.
	Content func() (arguments, result string, ok bool)
}

// observe starts the observer's span of a call, if an observer is set.
func (c *Call) observe() {
	observer := c.t.cfg.observer
	if observer == nil {
		return
	}
	defer func() {
		if p := recover(); p != nil {
			c.span = nil
			c.t.log.warnOnce("observer:start", "the request observer panicked; the request runs unobserved")
		}
	}()
	r := c.req
	o := &ObservedRequest{Request: r, Started: c.started, SessionID: r.TransportSessionID,
		ProtocolVersion: r.header("Mcp-Protocol-Version")}
	if o.SessionID == "" && c.state != nil {
		o.SessionID = c.state.id
	}
	if o.ProtocolVersion == "" && c.state != nil {
		c.state.mu.Lock()
		o.ProtocolVersion = c.state.protocol
		c.state.mu.Unlock()
	}
	if o.ProtocolVersion == "" && r.Method == "initialize" {
		o.ProtocolVersion = stringAt(r.Params, "ProtocolVersion")
	}
	if forwarded := r.header("X-Forwarded-For"); forwarded != "" {
		o.ClientAddress = strings.TrimSpace(strings.Split(forwarded, ",")[0])
	}
	c.span = observer.StartRequest(o)
}

// Context returns ctx with the request's observed span (the handler's context), or ctx.
func (c *Call) Context(ctx context.Context) (out context.Context) {
	if c == nil || c.span == nil {
		return ctx
	}
	defer func() {
		if recover() != nil {
			out = ctx
		}
	}()
	if out = c.span.Context(ctx); out == nil {
		out = ctx
	}
	return out
}

// endObserved ends the observer's span with the call's outcome.
func (c *Call) endObserved(err error) {
	if c.span == nil {
		return
	}
	defer func() {
		if p := recover(); p != nil {
			c.t.log.warnOnce("observer:end", "the request observer panicked while ending a request")
		}
	}()
	out := &ObservedOutcome{Duration: c.duration, Error: c.err, Intent: c.Intent, Scrub: c.t.scrubText}
	if c.req.Method == "tools/call" {
		out.Content = c.scrubbedContent
	}
	if err != nil {
		out.ErrorCode = errorCode(err)
	}
	if c.err == nil {
		out.ToolError = resultIsError(c.result)
		if c.req.Method == "initialize" {
			out.ProtocolVersion = stringAt(c.result, "ProtocolVersion")
			if out.ProtocolVersion == "" {
				out.ProtocolVersion = resultProtocolVersion(c.result)
			}
			if c.state != nil && out.ProtocolVersion != "" {
				c.state.mu.Lock()
				c.state.protocol = out.ProtocolVersion
				c.state.mu.Unlock()
			}
		}
	}
	if identity := c.identity; identity != nil {
		out.Identity = identity.wait
	}
	c.span.End(out)
}

// scrubText runs a string through the events' privacy pass.
func (t *Tracker) scrubText(text string) (string, bool) {
	out, ok := t.scrubbed(&Event{UserIntent: text})
	return out.UserIntent, ok
}

// scrubbedContent is a tool call's arguments and result after the events' privacy pass.
func (c *Call) scrubbedContent() (string, string, bool) {
	r := c.req
	var arguments any = map[string]any{}
	switch {
	case c.Forward != nil:
		arguments = c.Forward
	case c.ForwardJSON != nil:
		arguments = c.ForwardJSON
	case r.Arguments != nil:
		arguments = r.Arguments
	case len(r.RawArguments) > 0:
		arguments = r.RawArguments
	}
	e := &Event{Parameters: arguments}
	if c.err == nil {
		e.Response = c.result
	}
	out, ok := c.t.scrubbed(e)
	return string(out.Parameters), string(out.Response), ok
}

type scrubbedText struct {
	UserIntent           string
	Parameters, Response json.RawMessage
}

// scrubbed runs the events' privacy pass over the fields of e that are set.
func (t *Tracker) scrubbed(e *Event) (scrubbedText, bool) {
	e.ID, e.ProjectID, e.EventType = "observe", t.projectID, "mcp:observe"
	var out scrubbedText
	data, err := scrubEvent(e, t.cfg.redact)
	if err != nil || json.Unmarshal(data, &out) != nil {
		return scrubbedText{}, false
	}
	return out, true
}

// resultIsError reports whether a result (a library's tool result, or its JSON) has isError.
func resultIsError(result any) bool {
	if raw, ok := result.(json.RawMessage); ok {
		return bytes.Contains(raw, []byte(`"isError":true`))
	}
	v := reflect.ValueOf(result)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return false
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return false
	}
	f := v.FieldByName("IsError")
	return f.IsValid() && f.Kind() == reflect.Bool && f.Bool()
}

// errorCode is the JSON-RPC code of an error that carries one (a Code field or method).
func errorCode(err error) int64 {
	for e := err; e != nil; {
		if coded, ok := e.(interface{ ErrorCode() int64 }); ok {
			return coded.ErrorCode()
		}
		v := reflect.ValueOf(e)
		for v.Kind() == reflect.Pointer && !v.IsNil() {
			v = v.Elem()
		}
		if v.Kind() == reflect.Struct {
			if f := v.FieldByName("Code"); f.IsValid() && f.CanInt() {
				return f.Int()
			}
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			break
		}
		e = u.Unwrap()
	}
	return 0
}
