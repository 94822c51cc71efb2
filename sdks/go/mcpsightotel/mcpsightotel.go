// Package mcpsightotel records each request of a tracked MCP server as an OpenTelemetry SERVER
// span, and the MCP duration metrics, named as the OpenTelemetry MCP semantic conventions say,
// through your tracer and meter providers (the global ones by default):
//
//	opts := &mcpgo.Options{Observer: mcpsightotel.New(nil)}
//
// It is its own module, so servers that do not use it do not depend on OpenTelemetry.
package mcpsightotel

import (
	"context"
	"strconv"
	"sync"
	"time"

	mcpsight "github.com/mcpsight/mcpsight/sdks/go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Options choose where spans and metrics go; nil or zero fields take the global ones
// (otel.GetTracerProvider, otel.GetMeterProvider, otel.GetTextMapPropagator).
type Options struct {
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
	// Propagator reads the client's trace context from a request's params._meta
	// (traceparent, tracestate). When it reads none, the W3C trace context is parsed directly.
	Propagator propagation.TextMapPropagator
	// CaptureContent adds gen_ai.tool.call.arguments and gen_ai.tool.call.result to tool call
	// spans, after the same privacy pass as events (off by default).
	CaptureContent bool
}

// IntentAttribute is the span attribute carrying the agent's stated intent (after redaction).
const IntentAttribute = "mcpsight.intent"

// SessionIdle is how long a session goes without requests before its duration is recorded.
const SessionIdle = 30 * time.Minute

// durationBuckets are the conventions' bucket boundaries for both histograms, in seconds.
var durationBuckets = []float64{0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300}

// Observer is a mcpsight.RequestObserver recording spans and metrics.
type Observer struct {
	tracer     trace.Tracer
	propagator propagation.TextMapPropagator
	capture    bool
	operation  metric.Float64Histogram
	session    metric.Float64Histogram

	mu       sync.Mutex
	sessions map[string]*openSession
}

type openSession struct {
	start, last time.Time
	attributes  []attribute.KeyValue
}

// New returns an Observer for Options.Observer of either adapter.
func New(opts *Options) *Observer {
	if opts == nil {
		opts = &Options{}
	}
	tp, mp, prop := opts.TracerProvider, opts.MeterProvider, opts.Propagator
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if prop == nil {
		prop = otel.GetTextMapPropagator()
	}
	meter := mp.Meter("mcpsight", metric.WithInstrumentationVersion(mcpsight.SDKVersion))
	histogram := func(name, description string) metric.Float64Histogram {
		h, _ := meter.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(description),
			metric.WithExplicitBucketBoundaries(durationBuckets...))
		return h
	}
	return &Observer{
		tracer:     tp.Tracer("mcpsight", trace.WithInstrumentationVersion(mcpsight.SDKVersion)),
		propagator: prop,
		capture:    opts.CaptureContent,
		operation: histogram("mcp.server.operation.duration",
			"MCP request duration as observed on the server from the time it was received until the result is sent."),
		session:  histogram("mcp.server.session.duration", "The duration of the MCP session as observed on the MCP server."),
		sessions: map[string]*openSession{},
	}
}

var (
	_ mcpsight.RequestObserver = (*Observer)(nil)
	_ mcpsight.TracedSpan      = (*requestSpan)(nil)
)

// StartRequest starts the request's SERVER span, named `{mcp.method.name} {target}`.
func (o *Observer) StartRequest(req *mcpsight.ObservedRequest) mcpsight.ObservedSpan {
	r := req.Request
	attributes := requestAttributes(req)
	name := r.Method
	switch r.Method {
	case "tools/call", "prompts/get":
		if r.ResourceName != "" {
			name += " " + r.ResourceName
		}
	}
	ctx := r.Ctx
	var links []trace.Link
	if remote, ok := o.remoteParent(r.Meta); ok {
		// The client's context from _meta is the parent; the transport's (an HTTP span) a link.
		if active := trace.SpanContextFromContext(ctx); active.IsValid() {
			links = append(links, trace.Link{SpanContext: active})
		}
		ctx = trace.ContextWithRemoteSpanContext(ctx, remote)
	}
	ctx, span := o.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attributes...), trace.WithTimestamp(req.Started), trace.WithLinks(links...))
	o.touchSession(req.SessionID, req.Started, attributes)
	return &requestSpan{o: o, span: span, started: req.Started, method: r.Method, attributes: attributes}
}

func requestAttributes(req *mcpsight.ObservedRequest) []attribute.KeyValue {
	r := req.Request
	kv := []attribute.KeyValue{attribute.String("mcp.method.name", r.Method)}
	if r.RequestID != "" {
		kv = append(kv, attribute.String("jsonrpc.request.id", r.RequestID))
	}
	if req.SessionID != "" {
		kv = append(kv, attribute.String("mcp.session.id", req.SessionID))
	}
	if req.ProtocolVersion != "" {
		kv = append(kv, attribute.String("mcp.protocol.version", req.ProtocolVersion))
	}
	switch {
	case r.Method == "tools/call":
		kv = append(kv, attribute.String("gen_ai.operation.name", "execute_tool"))
		if r.ResourceName != "" {
			kv = append(kv, attribute.String("gen_ai.tool.name", r.ResourceName))
		}
	case r.Method == "prompts/get" && r.ResourceName != "":
		kv = append(kv, attribute.String("gen_ai.prompt.name", r.ResourceName))
	case len(r.Method) > 10 && r.Method[:10] == "resources/" && r.ResourceName != "":
		kv = append(kv, attribute.String("mcp.resource.uri", r.ResourceName))
	}
	if r.HTTP {
		kv = append(kv, attribute.String("network.transport", "tcp"), attribute.String("network.protocol.name", "http"))
		if req.ClientAddress != "" {
			kv = append(kv, attribute.String("client.address", req.ClientAddress))
		}
	}
	return kv
}

// remoteParent is the client's span context from _meta's traceparent, if valid.
func (o *Observer) remoteParent(meta map[string]any) (trace.SpanContext, bool) {
	carrier := propagation.MapCarrier{}
	for _, key := range []string{"traceparent", "tracestate"} {
		if value, ok := meta[key].(string); ok {
			carrier[key] = value
		}
	}
	if carrier["traceparent"] == "" {
		return trace.SpanContext{}, false
	}
	sc := trace.SpanContextFromContext(o.propagator.Extract(context.Background(), carrier))
	if !sc.IsValid() {
		// No W3C propagator registered (the default global one reads nothing): parse it here.
		sc = trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), carrier))
	}
	return sc, sc.IsValid()
}

// touchSession notes a session's request; sessions idle past SessionIdle are recorded.
func (o *Observer) touchSession(id string, now time.Time, attributes []attribute.KeyValue) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for key, s := range o.sessions {
		if now.Sub(s.last) > SessionIdle {
			o.endSessionLocked(key, s)
		}
	}
	if id == "" {
		return
	}
	s := o.sessions[id]
	if s == nil {
		s = &openSession{start: now}
		o.sessions[id] = s
	}
	s.last = now
	for _, kv := range attributes {
		switch kv.Key {
		case "mcp.protocol.version", "network.transport", "network.protocol.name":
			s.attributes = setAttribute(s.attributes, kv)
		}
	}
}

func setAttribute(list []attribute.KeyValue, kv attribute.KeyValue) []attribute.KeyValue {
	for i := range list {
		if list[i].Key == kv.Key {
			list[i] = kv
			return list
		}
	}
	return append(list, kv)
}

func (o *Observer) endSessionLocked(id string, s *openSession) {
	delete(o.sessions, id)
	o.session.Record(context.Background(), max(0, s.last.Sub(s.start)).Seconds(), metric.WithAttributes(s.attributes...))
}

// EndSessions records the duration of every open session (from its first to its last
// request); call it when the server stops. Sessions otherwise end after SessionIdle.
func (o *Observer) EndSessions() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for id, s := range o.sessions {
		o.endSessionLocked(id, s)
	}
}

type requestSpan struct {
	o          *Observer
	span       trace.Span
	started    time.Time
	method     string
	attributes []attribute.KeyValue
}

// TraceIDs are the span's trace and span id when it is sampled (exported), for the event.
func (s *requestSpan) TraceIDs() (string, string) {
	sc := s.span.SpanContext()
	if !sc.IsValid() || !sc.IsSampled() {
		return "", ""
	}
	return sc.TraceID().String(), sc.SpanID().String()
}

func (s *requestSpan) Context(ctx context.Context) context.Context {
	return trace.ContextWithSpan(ctx, s.span)
}

// End sets the outcome, records the operation metric, and ends the span once the request's
// identify settled (with the request's own end time).
func (s *requestSpan) End(out *mcpsight.ObservedOutcome) {
	var outcome []attribute.KeyValue
	switch {
	case out.Error != nil && out.ErrorCode != 0:
		code := strconv.FormatInt(out.ErrorCode, 10)
		outcome = append(outcome, attribute.String("error.type", code), attribute.String("rpc.response.status_code", code))
	case out.Error != nil && out.Error.Type != "":
		outcome = append(outcome, attribute.String("error.type", out.Error.Type))
	case out.Error != nil:
		outcome = append(outcome, attribute.String("error.type", "_OTHER"))
	case out.ToolError:
		outcome = append(outcome, attribute.String("error.type", "tool_error"))
	}
	if out.ProtocolVersion != "" {
		outcome = append(outcome, attribute.String("mcp.protocol.version", out.ProtocolVersion))
		if id, ok := attributeOf(s.attributes, "mcp.session.id"); ok {
			s.o.mu.Lock()
			if session := s.o.sessions[id]; session != nil {
				session.attributes = setAttribute(session.attributes, outcome[len(outcome)-1])
			}
			s.o.mu.Unlock()
		}
	}
	s.span.SetAttributes(outcome...)
	s.o.operation.Record(context.Background(), out.Duration.Seconds(), metric.WithAttributes(metricAttributes(s.attributes, outcome)...))
	end := s.started.Add(out.Duration)
	if out.Identity == nil {
		s.finish(out, nil, end)
		return
	}
	// Identify may still run (bounded by IdentifyTimeout): the span ends when it settled.
	go s.finish(out, out.Identity, end)
}

func (s *requestSpan) finish(out *mcpsight.ObservedOutcome, identity func() *mcpsight.UserIdentity, end time.Time) {
	defer func() {
		if recover() != nil {
			s.span.End(trace.WithTimestamp(end))
		}
	}()
	if identity != nil {
		if user := identity(); user != nil && user.UserID != "" {
			s.span.SetAttributes(attribute.String("enduser.id", user.UserID))
		}
	}
	// Every text passes the events' privacy pass; if redaction fails for any, none is recorded.
	var text []attribute.KeyValue
	message, ok := "", true
	if out.Intent != "" {
		var intent string
		intent, ok = out.Scrub(out.Intent)
		text = append(text, attribute.String(IntentAttribute, intent))
	}
	if ok && s.o.capture && out.Content != nil {
		arguments, result, contentOK := out.Content()
		ok = contentOK
		text = append(text, attribute.String("gen_ai.tool.call.arguments", arguments))
		if out.Error == nil && !out.ToolError && result != "" {
			text = append(text, attribute.String("gen_ai.tool.call.result", result))
		}
	}
	if ok && out.Error != nil {
		message, ok = out.Scrub(out.Error.Message)
	}
	if ok {
		s.span.SetAttributes(text...)
	} else {
		message = ""
	}
	if out.Error != nil || out.ToolError {
		s.span.SetStatus(codes.Error, message)
	}
	s.span.End(trace.WithTimestamp(end))
}

func attributeOf(list []attribute.KeyValue, key attribute.Key) (string, bool) {
	for _, kv := range list {
		if kv.Key == key {
			return kv.Value.AsString(), true
		}
	}
	return "", false
}

// metricAttributes are the conventions' low-cardinality attributes: no ids, URIs or users.
func metricAttributes(lists ...[]attribute.KeyValue) []attribute.KeyValue {
	var out []attribute.KeyValue
	for _, list := range lists {
		for _, kv := range list {
			switch kv.Key {
			case "mcp.method.name", "error.type", "gen_ai.tool.name", "gen_ai.prompt.name", "gen_ai.operation.name",
				"rpc.response.status_code", "mcp.protocol.version", "network.transport", "network.protocol.name":
				out = setAttribute(out, kv)
			}
		}
	}
	return out
}
