package mcpsightotel_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	mcpgoclient "github.com/mark3labs/mcp-go/client"
	mcpgomcp "github.com/mark3labs/mcp-go/mcp"
	mcpgoserver "github.com/mark3labs/mcp-go/server"
	mcpsight "github.com/mcpsight/mcpsight/sdks/go"
	"github.com/mcpsight/mcpsight/sdks/go/internal/sinktest"
	"github.com/mcpsight/mcpsight/sdks/go/mcpgo"
	"github.com/mcpsight/mcpsight/sdks/go/mcpsightotel"
	"github.com/mcpsight/mcpsight/sdks/go/officialsdk"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// A client's trace context, as it sends it in params._meta.
const (
	clientTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	clientSpan  = "00f067aa0ba902b7"
	traceparent = "00-" + clientTrace + "-" + clientSpan + "-01"
	// The agent's intent carries a key the server's RedactSensitiveInformation removes; the
	// call's password argument never reaches a span either.
	intent = "Check the weather with key sk-live-1234567890abcdef"
)

type providers struct {
	spans   *tracetest.SpanRecorder
	tp      *sdktrace.TracerProvider
	metrics *sdkmetric.ManualReader
	mp      *sdkmetric.MeterProvider
}

func newProviders(t *testing.T) *providers {
	p := &providers{spans: tracetest.NewSpanRecorder(), metrics: sdkmetric.NewManualReader()}
	p.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p.spans))
	p.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(p.metrics))
	t.Cleanup(func() {
		_ = p.tp.Shutdown(context.Background())
		_ = p.mp.Shutdown(context.Background())
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = mcpsight.Shutdown(ctx)
	})
	return p
}

// ended waits until the spans named name have ended (identify settles off the request path).
func (p *providers) ended(t *testing.T, name string, n int) []sdktrace.ReadOnlySpan {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var out []sdktrace.ReadOnlySpan
		for _, s := range p.spans.Ended() {
			if s.Name() == name {
				out = append(out, s)
			}
		}
		if len(out) >= n || time.Now().After(deadline) {
			if len(out) < n {
				t.Fatalf("%d %q spans ended, want %d; all: %v", len(out), name, n, names(p.spans.Ended()))
			}
			return out
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func names(spans []sdktrace.ReadOnlySpan) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name())
	}
	return out
}

func attrs(s sdktrace.ReadOnlySpan) map[string]string {
	out := map[string]string{}
	for _, kv := range s.Attributes() {
		out[string(kv.Key)] = kv.Value.Emit()
	}
	return out
}

// expectAttributes checks a span's attributes exactly: want lists every key, "*" any value.
func expectAttributes(t *testing.T, s sdktrace.ReadOnlySpan, want map[string]string) {
	t.Helper()
	got := attrs(s)
	for key, value := range want {
		if v, ok := got[key]; !ok || (value != "*" && v != value) {
			t.Errorf("%s: %s = %q, want %q (all: %v)", s.Name(), key, v, value, got)
		}
	}
	for key := range got {
		if _, ok := want[key]; !ok {
			t.Errorf("%s: unexpected attribute %s = %q", s.Name(), key, got[key])
		}
	}
	for _, v := range got {
		if strings.Contains(v, "sk-live") || strings.Contains(v, "hunter2") {
			t.Errorf("%s: a credential in the attributes: %v", s.Name(), got)
		}
	}
}

// checkMetrics reads the operation histogram: one point per method (and outcome), no ids.
func (p *providers) checkMetrics(t *testing.T, observer *mcpsightotel.Observer) {
	t.Helper()
	observer.EndSessions()
	var rm metricdata.ResourceMetrics
	if err := p.metrics.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	found := map[string]metricdata.Histogram[float64]{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if h, ok := m.Data.(metricdata.Histogram[float64]); ok {
				found[m.Name] = h
				if m.Unit != "s" {
					t.Errorf("%s: unit %q", m.Name, m.Unit)
				}
			}
		}
	}
	operation, ok := found["mcp.server.operation.duration"]
	if !ok || len(operation.DataPoints) == 0 {
		t.Fatalf("no mcp.server.operation.duration: %v", found)
	}
	toolCalls := 0
	for _, dp := range operation.DataPoints {
		for _, kv := range dp.Attributes.ToSlice() {
			switch kv.Key {
			case "mcp.session.id", "jsonrpc.request.id", "enduser.id", "mcp.resource.uri", "client.address", "mcpsight.intent":
				t.Errorf("high-cardinality attribute %s on the operation metric", kv.Key)
			}
		}
		if v, _ := dp.Attributes.Value("gen_ai.tool.name"); v.AsString() == "get-weather" {
			toolCalls += int(dp.Count)
		}
		if got := dp.Bounds; len(got) != 14 || got[0] != 0.01 || got[13] != 300 {
			t.Errorf("bucket boundaries %v", got)
		}
	}
	if toolCalls != 1 {
		t.Errorf("%d get-weather calls in the operation metric, want 1", toolCalls)
	}
	if session, ok := found["mcp.server.session.duration"]; !ok || len(session.DataPoints) == 0 || session.DataPoints[0].Count == 0 {
		t.Errorf("no mcp.server.session.duration after EndSessions: %v", found)
	}
}

// checkToolSpans checks what both adapters record for the same calls; with content, the
// arguments (without `context`, the password redacted) and the result.
func (p *providers) checkToolSpans(t *testing.T, requestID string, content bool) {
	t.Helper()
	call := p.ended(t, "tools/call get-weather", 1)[0]
	want := map[string]string{
		"mcp.method.name": "tools/call", "mcp.session.id": "*", "gen_ai.operation.name": "execute_tool",
		"gen_ai.tool.name": "get-weather", "enduser.id": "user-1", mcpsightotel.IntentAttribute: "*",
		"mcp.protocol.version": "*",
	}
	if requestID != "" {
		want["jsonrpc.request.id"] = requestID
	}
	if content {
		want["gen_ai.tool.call.arguments"] = `{"city":"Oslo","password":"[REDACTED]"}`
		want["gen_ai.tool.call.result"] = "*"
	}
	expectAttributes(t, call, want)
	if got := attrs(call)["gen_ai.tool.call.result"]; content && !strings.Contains(got, `"text":"sunny in Oslo"`) {
		t.Errorf("result %q", got)
	}
	if call.SpanKind() != trace.SpanKindServer {
		t.Errorf("span kind %v", call.SpanKind())
	}
	if got := call.Parent(); got.TraceID().String() != clientTrace || got.SpanID().String() != clientSpan || !got.IsRemote() {
		t.Errorf("parent %v, want the client's %s/%s from _meta", got, clientTrace, clientSpan)
	}
	if got := attrs(call)[mcpsightotel.IntentAttribute]; got != "Check the weather with key [key]" {
		t.Errorf("intent %q", got)
	}
	// The tool's own span is a child of the MCP span.
	inner := p.ended(t, "lookup", 1)[0]
	if inner.Parent().SpanID() != call.SpanContext().SpanID() {
		t.Errorf("the tool's span has parent %v, want the MCP span %v", inner.Parent().SpanID(), call.SpanContext().SpanID())
	}

	failed := p.ended(t, "tools/call broken", 1)[0]
	if got := attrs(failed)["error.type"]; got != "tool_error" || failed.Status().Code != codes.Error {
		t.Errorf("a tool result with isError: error.type %q, status %v", got, failed.Status())
	}
	if _, has := attrs(failed)["gen_ai.tool.call.result"]; has || content != (attrs(failed)["gen_ai.tool.call.arguments"] == "{}") {
		t.Errorf("a failed call's content attributes: %v", attrs(failed))
	}
	if parent := failed.Parent(); parent.IsValid() {
		t.Errorf("a call without traceparent has parent %v", parent)
	}
	initialize := p.ended(t, "initialize", 1)[0]
	if got := attrs(initialize)["mcp.protocol.version"]; got == "" {
		t.Errorf("initialize without mcp.protocol.version: %v", attrs(initialize))
	}
	for _, s := range p.spans.Ended() {
		if strings.HasPrefix(s.Name(), "ping") {
			t.Errorf("a span for %s", s.Name())
		}
	}
}

// redactKeys is the server's own redaction: it replaces API keys in any recorded text.
func redactKeys(text string) (string, error) {
	return keyPattern.ReplaceAllString(text, "[key]"), nil
}

var keyPattern = regexp.MustCompile(`sk-live-[0-9a-f]+`)

// checkEventIDs checks that each of the want tool call events carries its span's trace and span id.
func (p *providers) checkEventIDs(t *testing.T, sink *sinktest.Sink, want int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := mcpsight.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	spans := map[string]string{} // span id → trace id
	for _, s := range p.spans.Ended() {
		spans[s.SpanContext().SpanID().String()] = s.SpanContext().TraceID().String()
	}
	calls := 0
	for _, e := range sink.Events() {
		if e["eventType"] != "mcp:tools/call" {
			continue
		}
		calls++
		spanID, _ := e["spanId"].(string)
		if traceID, ok := spans[spanID]; !ok || e["traceId"] != traceID {
			t.Errorf("event %v: traceId %v spanId %v, not a recorded span's", e["resourceName"], e["traceId"], e["spanId"])
		}
	}
	if calls != want {
		t.Errorf("%d tool call events, want %d", calls, want)
	}
}

// connectInMemory connects a client of the official SDK to server in memory.
func connectInMemory(t *testing.T, server *mcp.Server) (context.Context, *mcp.ClientSession) {
	t.Helper()
	ct, st := mcp.NewInMemoryTransports()
	ctx := context.Background()
	if _, err := server.Connect(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "agent", Version: "1.0.0"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return ctx, cs
}

func identifyUser(context.Context, any) (*mcpsight.UserIdentity, error) {
	return &mcpsight.UserIdentity{UserID: "user-1"}, nil
}

func TestOfficialSDKSpans(t *testing.T) {
	sink := sinktest.Start(t)
	p := newProviders(t)
	observer := mcpsightotel.New(&mcpsightotel.Options{TracerProvider: p.tp, MeterProvider: p.mp, CaptureContent: true})
	server := mcp.NewServer(&mcp.Implementation{Name: "weather", Version: "1.0.0"}, nil)
	tracer := p.tp.Tracer("weather-tool")
	mcp.AddTool(server, &mcp.Tool{Name: "get-weather"}, func(ctx context.Context, _ *mcp.CallToolRequest, in struct {
		City     string `json:"city"`
		Password string `json:"password"`
	}) (*mcp.CallToolResult, any, error) {
		_, span := tracer.Start(ctx, "lookup")
		span.End()
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "sunny in " + in.City}}}, nil, nil
	})
	mcp.AddTool(server, &mcp.Tool{Name: "broken"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: "no"}}}, nil, nil
	})
	err := officialsdk.Track(server, "proj_otel", &officialsdk.Options{APIBaseURL: sink.URL, Observer: observer, RedactSensitiveInformation: redactKeys,
		Identify: func(ctx context.Context, _ *mcp.CallToolRequest) (*mcpsight.UserIdentity, error) {
			return identifyUser(ctx, nil)
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cs := connectInMemory(t, server)
	if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "get-weather", Meta: mcp.Meta{"traceparent": traceparent},
		Arguments: map[string]any{"city": "Oslo", "password": "hunter2", "context": intent}}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "broken", Arguments: map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "nope", Arguments: map[string]any{}}); err == nil {
		t.Fatal("an unknown tool answered")
	}
	if err := cs.Ping(ctx, nil); err != nil {
		t.Fatal(err)
	}
	p.checkToolSpans(t, "", true)
	// A JSON-RPC error: its code is the error type and the status code.
	unknown := p.ended(t, "tools/call nope", 1)[0]
	if got := attrs(unknown); got["error.type"] != "-32602" || got["rpc.response.status_code"] != "-32602" || unknown.Status().Code != codes.Error {
		t.Errorf("unknown tool: %v, status %v", got, unknown.Status())
	}
	p.checkEventIDs(t, sink, 3)
	p.checkMetrics(t, observer)
}

func TestMCPGoSpans(t *testing.T) {
	sink := sinktest.Start(t)
	p := newProviders(t)
	observer := mcpsightotel.New(&mcpsightotel.Options{TracerProvider: p.tp, MeterProvider: p.mp})
	s := mcpgoserver.NewMCPServer("weather", "1.0.0", mcpgoserver.WithToolCapabilities(false))
	tracer := p.tp.Tracer("weather-tool")
	s.AddTool(mcpgomcp.NewTool("get-weather", mcpgomcp.WithString("city")), func(ctx context.Context, req mcpgomcp.CallToolRequest) (*mcpgomcp.CallToolResult, error) {
		_, span := tracer.Start(ctx, "lookup")
		span.End()
		return mcpgomcp.NewToolResultText("sunny in " + req.GetString("city", "")), nil
	})
	s.AddTool(mcpgomcp.NewTool("broken"), func(context.Context, mcpgomcp.CallToolRequest) (*mcpgomcp.CallToolResult, error) {
		return mcpgomcp.NewToolResultError("no"), nil
	})
	err := mcpgo.Track(s, "proj_otel", &mcpgo.Options{APIBaseURL: sink.URL, Observer: observer, RedactSensitiveInformation: redactKeys,
		Identify: func(ctx context.Context, _ *mcpgomcp.CallToolRequest) (*mcpsight.UserIdentity, error) {
			return identifyUser(ctx, nil)
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := mcpgoclient.NewInProcessClient(s)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	init := mcpgomcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcpgomcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcpgomcp.Implementation{Name: "agent", Version: "1.0.0"}
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	call := mcpgomcp.CallToolRequest{}
	call.Params.Name = "get-weather"
	call.Params.Arguments = map[string]any{"city": "Oslo", "password": "hunter2", "context": intent}
	call.Params.Meta = &mcpgomcp.Meta{AdditionalFields: map[string]any{"traceparent": traceparent}}
	if _, err := c.CallTool(ctx, call); err != nil {
		t.Fatal(err)
	}
	broken := mcpgomcp.CallToolRequest{}
	broken.Params.Name = "broken"
	if _, err := c.CallTool(ctx, broken); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	p.checkToolSpans(t, "*", false)
	// The id as the client sent it (a number), not mcp-go's "int64:2".
	if got := attrs(p.ended(t, "tools/call get-weather", 1)[0])["jsonrpc.request.id"]; !regexp.MustCompile(`^[0-9]+$`).MatchString(got) {
		t.Errorf("jsonrpc.request.id = %q, want the request's numeric id", got)
	}
	p.checkEventIDs(t, sink, 2)
	p.checkMetrics(t, observer)
}

type forwardedFor struct{ next http.RoundTripper }

func (f forwardedFor) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("X-Forwarded-For", "203.0.113.7, 10.0.0.1")
	return f.next.RoundTrip(req)
}

// Over Streamable HTTP behind a proxy, with an HTTP server span around the MCP handler: the
// transport's attributes and session id, the client's address, and the HTTP span as the parent
// (no traceparent) or as a link (with one).
func TestOfficialSDKSpansOverHTTP(t *testing.T) {
	sink := sinktest.Start(t)
	p := newProviders(t)
	observer := mcpsightotel.New(&mcpsightotel.Options{TracerProvider: p.tp, MeterProvider: p.mp})
	server := mcp.NewServer(&mcp.Implementation{Name: "weather-http", Version: "1.0.0"}, nil)
	mcp.AddTool(server, &mcp.Tool{Name: "get-weather"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "sunny"}}}, nil, nil
	})
	if err := officialsdk.Track(server, "proj_otel", &officialsdk.Options{APIBaseURL: sink.URL, Observer: observer}); err != nil {
		t.Fatal(err)
	}
	handler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)
	httpTracer := p.tp.Tracer("http")
	httpServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, span := httpTracer.Start(r.Context(), "HTTP "+r.Method, trace.WithSpanKind(trace.SpanKindServer))
		defer span.End()
		handler.ServeHTTP(w, r.WithContext(ctx))
	}))
	defer httpServer.Close()
	ctx := context.Background()
	transport := &mcp.StreamableClientTransport{Endpoint: httpServer.URL,
		HTTPClient: &http.Client{Transport: forwardedFor{http.DefaultTransport}}}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "agent", Version: "1.0.0"}, nil).Connect(ctx, transport, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "get-weather", Arguments: map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "get-weather", Arguments: map[string]any{},
		Meta: mcp.Meta{"traceparent": traceparent}}); err != nil {
		t.Fatal(err)
	}
	calls := p.ended(t, "tools/call get-weather", 2)
	for _, call := range calls {
		expectAttributes(t, call, map[string]string{
			"mcp.method.name": "tools/call", "mcp.session.id": cs.ID(), "gen_ai.operation.name": "execute_tool",
			"gen_ai.tool.name": "get-weather", "mcp.protocol.version": "*", "network.transport": "tcp",
			"network.protocol.name": "http", "client.address": "203.0.113.7",
		})
	}
	httpSpans := map[trace.SpanID]bool{}
	for _, s := range p.ended(t, "HTTP POST", 2) {
		httpSpans[s.SpanContext().SpanID()] = true
	}
	continued := 0
	for _, call := range calls {
		parent := call.Parent()
		if parent.TraceID().String() == clientTrace {
			continued++
			if links := call.Links(); len(links) != 1 || !httpSpans[links[0].SpanContext.SpanID()] {
				t.Errorf("with traceparent, links %v, want the HTTP span", links)
			}
		} else if !httpSpans[parent.SpanID()] || len(call.Links()) != 0 {
			t.Errorf("without traceparent, parent %v (links %v), want the HTTP span", parent, call.Links())
		}
	}
	if continued != 1 {
		t.Errorf("%d calls continue the client's trace, want 1", continued)
	}
}

// When the server's redaction fails, a span carries no recorded text at all.
func TestFailedRedactionLeavesNoText(t *testing.T) {
	sink := sinktest.Start(t)
	p := newProviders(t)
	observer := mcpsightotel.New(&mcpsightotel.Options{TracerProvider: p.tp, MeterProvider: p.mp, CaptureContent: true})
	server := mcp.NewServer(&mcp.Implementation{Name: "weather", Version: "1.0.0"}, nil)
	mcp.AddTool(server, &mcp.Tool{Name: "get-weather"}, func(context.Context, *mcp.CallToolRequest, struct {
		City string `json:"city"`
	}) (*mcp.CallToolResult, any, error) {
		return nil, nil, errors.New("the weather service is down for sk-live-1234567890abcdef")
	})
	err := officialsdk.Track(server, "proj_otel", &officialsdk.Options{APIBaseURL: sink.URL, Observer: observer,
		RedactSensitiveInformation: func(string) (string, error) { return "", errors.New("redaction unavailable") }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cs := connectInMemory(t, server)
	if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "get-weather", Arguments: map[string]any{"city": "Oslo", "context": intent}}); err != nil {
		t.Fatal(err)
	}
	call := p.ended(t, "tools/call get-weather", 1)[0]
	expectAttributes(t, call, map[string]string{"mcp.method.name": "tools/call", "mcp.session.id": "*",
		"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get-weather", "mcp.protocol.version": "*",
		"error.type": "*"})
	if status := call.Status(); status.Code != codes.Error || status.Description != "" {
		t.Errorf("status %+v, want an error without its message", status)
	}
}
