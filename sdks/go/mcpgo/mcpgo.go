// Package mcpgo tracks servers of github.com/mark3labs/mcp-go with mcpsight.
//
//	s := server.NewMCPServer("notes", "1.0.0", server.WithToolCapabilities(false))
//	mcpgo.Track(s, "proj_…", &mcpgo.Options{Identify: identify})
//	defer mcpgo.Shutdown(context.Background())
//
// Track works on a server that already exists (call it before serving): it adds mcp-go hooks
// (server.GetHooks, or WithHooks applied to the server when it has none) to see every request,
// a tool-handler middleware (server.Use) to record a tool's panic before it propagates, and the
// get_more_tools tool. mcp-go allows all three after construction, so no ServerOptions are
// needed.
package mcpgo

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	mcpsight "github.com/mcpsight/mcpsight/sdks/go"
)

// Options configure tracking; the callbacks receive mcp-go's *mcp.CallToolRequest (for requests
// other than tools/call: one with the method and HTTP headers and empty tool params).
type Options = mcpsight.Options[*mcp.CallToolRequest]

// IdentifyCacheOptions memoise Identify per credential.
type IdentifyCacheOptions = mcpsight.IdentifyCacheOptions[*mcp.CallToolRequest]

// UserIdentity is who is behind a session; nil means anonymous.
type UserIdentity = mcpsight.UserIdentity

// CustomEventData is an event of your own.
type CustomEventData = mcpsight.CustomEventData

// Re-exported so that this package is the only import a server needs.
var (
	Bool     = mcpsight.Bool
	Flush    = mcpsight.Flush
	Shutdown = mcpsight.Shutdown
)

var trackers mcpsight.Trackers[server.MCPServer]

type trackError string

func (e trackError) Error() string { return string(e) }

const errNilServer = trackError("mcpgo.Track: server is nil; nothing is tracked")

// Track starts recording s's requests, users and sessions for projectID. Call it before the
// server starts serving. Tracking a server twice does nothing the second time (but resume
// delivery after Shutdown). A server built per request may be tracked per request: its tracker
// goes with it.
func Track(s *server.MCPServer, projectID string, opts *Options) error {
	if s == nil {
		return errNilServer
	}
	t, added, err := trackers.Add(s, func() (*mcpsight.Tracker, error) {
		return mcpsight.NewTracker(projectID, opts, callToolRequest)
	})
	if err != nil || !added {
		return err
	}
	// The server's name and version; 2026-07-28 requests have no initialize result naming it.
	t.SetServerInfo(mcpsight.ServerInfoOf(s, "name", "version"))
	a := &adapter{t: t, seesRequests: t.SeesRequests(), observed: t.Observed()}
	hooks := s.GetHooks()
	if hooks == nil {
		hooks = &server.Hooks{}
		server.WithHooks(hooks)(s)
	}
	hooks.AddBeforeAny(a.before)
	hooks.AddOnSuccess(a.success)
	hooks.AddOnError(a.failure)
	s.Use(a.toolMiddleware)
	if t.ListsReportMissing() {
		schema, _ := json.Marshal(mcpsight.ReportMissingSchema())
		s.AddTool(mcp.NewToolWithRawSchema(mcpsight.ReportMissingToolName, mcpsight.ReportMissingDescription, schema),
			func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
				return mcp.NewToolResultText(mcpsight.ReportMissingResultText), nil
			})
	}
	return nil
}

// PublishCustomEvent records an event of your own in the session of s's latest request.
func PublishCustomEvent(s *server.MCPServer, data *CustomEventData) error {
	t := trackers.Load(s)
	if t == nil {
		return mcpsight.ErrNotTracked
	}
	return t.PublishCustomEvent(data)
}

func callToolRequest(r *mcpsight.Request) *mcp.CallToolRequest {
	if raw, ok := r.Raw.(*mcp.CallToolRequest); ok {
		return raw
	}
	return &mcp.CallToolRequest{Request: mcp.Request{Method: r.Method}, Header: r.Header}
}

type adapter struct {
	t *mcpsight.Tracker
	// seesRequests and observed are the tracker's SeesRequests and Observed, read once.
	seesRequests, observed bool
	mu                     sync.Mutex
	inflight               map[context.Context]*mcpsight.Call // by the request's context
}

func (a *adapter) store(ctx context.Context, call *mcpsight.Call) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.inflight == nil {
		a.inflight = map[context.Context]*mcpsight.Call{}
	}
	a.inflight[ctx] = call
}

func (a *adapter) load(ctx context.Context) *mcpsight.Call {
	defer func() { _ = recover() }() // a context that is no map key
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.inflight[ctx]
}

// toolCallRecord is what a tools/call hands the core, in one allocation: the Request and its
// params for the event, without _meta (never recorded, and in Request.Meta), recorded as
// toolParams (encode.go).
type toolCallRecord struct {
	r      mcpsight.Request
	params mcp.CallToolParams
}

// field reads a struct field of a request message or of its params (all of mcp-go's requests
// carry Params and Header, their params a Meta), or nil.
func field(value any, name string) any {
	v := reflect.ValueOf(value)
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	f := v.FieldByName(name)
	if !f.IsValid() || !f.CanInterface() {
		return nil
	}
	return f.Interface()
}

func (a *adapter) before(ctx context.Context, id any, method mcp.MCPMethod, message any) {
	defer func() { _ = recover() }()
	if method == mcp.MethodPing || ctx == nil || !reflect.TypeOf(ctx).Comparable() {
		return
	}
	var r *mcpsight.Request
	var meta *mcp.Meta
	var header http.Header
	toolCall, _ := message.(*mcp.CallToolRequest)
	if toolCall != nil { // the frequent one, read without reflection
		tc := &toolCallRecord{params: toolCall.Params}
		tc.params.Meta = nil
		r = &tc.r
		r.Params = toolParams{&tc.params}
		if a.seesRequests {
			// The request as received, for the callbacks (the handler gets it without `context`).
			raw := *toolCall
			r.Raw = &raw
		}
		meta, header = toolCall.Params.Meta, toolCall.Header
	} else {
		params := field(message, "Params")
		r = &mcpsight.Request{Raw: message, Params: params}
		meta, _ = field(params, "Meta").(*mcp.Meta)
		header, _ = field(message, "Header").(http.Header)
	}
	r.Ctx, r.Method = ctx, string(method)
	if rid, ok := id.(mcp.RequestId); ok {
		id = rid.Value()
	}
	r.RequestID = requestIDText(id)
	if meta != nil {
		r.Meta = meta.AdditionalFields
	}
	// mcp-go gives every request a Header, empty unless it came over HTTP.
	if len(header) > 0 {
		r.Header, r.HTTP = header, true
	}
	if session := server.ClientSessionFromContext(ctx); session != nil {
		if r.HTTP {
			// Only an HTTP session id names one session: every stdio session's id is "stdio".
			r.TransportSessionID = session.SessionID()
		}
		if reflect.TypeOf(session).Comparable() {
			r.Connection = session
		}
		if withInfo, ok := session.(server.SessionWithClientInfo); ok {
			info := withInfo.GetClientInfo()
			r.SessionClient = mcpsight.NameVersion{Name: info.Name, Version: info.Version}
		}
	}
	switch m := message.(type) {
	case *mcp.InitializeRequest:
		r.InitializeClient = mcpsight.NameVersion{Name: m.Params.ClientInfo.Name, Version: m.Params.ClientInfo.Version}
	case *mcp.CallToolRequest:
		r.ToolName, r.ResourceName = m.Params.Name, m.Params.Name
		r.Arguments = m.GetArguments()
		r.RawArguments = m.Params.RawArguments
		// mcp-go decoded the map from that text for this request: the handler gets it without
		// `context` (the copy in the record keeps the text, which is what is recorded).
		r.ArgumentsOwned = len(r.RawArguments) > 0
		r.Tools = registeredTools{}
	case *mcp.ReadResourceRequest:
		r.ResourceName = m.Params.URI
	case *mcp.GetPromptRequest:
		r.ResourceName = m.Params.Name
	}
	call := a.t.Begin(r)
	if call == nil {
		return
	}
	a.store(ctx, call)
	if toolCall != nil && call.Forward != nil {
		// Taken out before mcp-go validates the arguments and calls the handler.
		toolCall.Params.Arguments = call.Forward
		if call.ForwardJSON != nil {
			toolCall.Params.RawArguments = call.ForwardJSON
		} else if len(toolCall.Params.RawArguments) > 0 {
			// Kept as text the core could not cut (a `context` key written with escapes).
			if raw, err := json.Marshal(call.Forward); err == nil {
				toolCall.Params.RawArguments = raw
			}
		}
	}
}

func (a *adapter) take(ctx context.Context) (call *mcpsight.Call) {
	defer func() { _ = recover() }()
	a.mu.Lock()
	defer a.mu.Unlock()
	if call = a.inflight[ctx]; call != nil {
		delete(a.inflight, ctx)
	}
	return call
}

func (a *adapter) success(ctx context.Context, _ any, method mcp.MCPMethod, _ any, result any) {
	call := a.take(ctx)
	if call == nil {
		return
	}
	recorded, copied := result, false
	func() {
		defer func() { _ = recover() }()
		switch res := result.(type) {
		case *mcp.CallToolResult:
			if res == nil {
				break
			}
			if call.Modern() {
				res, copied = copyToolResult(res), true
			}
			recorded = toolResult{res} // written by encode.go
		case *mcp.ListToolsResult:
			// Recorded as the server returned it; the client gets the `context` argument added.
			original := *res
			recorded = &original
			a.decorateTools(res)
		case *mcp.InitializeResult:
			a.t.SetServerInfo(mcpsight.NameVersion{Name: res.ServerInfo.Name, Version: res.ServerInfo.Version})
		}
	}()
	if copied {
		call.FinishCopied(recorded)
	} else {
		call.Finish(recorded, nil)
	}
}

// copyToolResult copies a tool result as deep as mcp-go changes it after this hook when it
// stamps a 2026-07-28 result: resultType, and serverInfo in a _meta it adds or writes into.
func copyToolResult(res *mcp.CallToolResult) *mcp.CallToolResult {
	copied := *res
	if res.Meta != nil {
		meta := *res.Meta
		meta.AdditionalFields = maps.Clone(meta.AdditionalFields)
		copied.Meta = &meta
	}
	return &copied
}

func (a *adapter) failure(ctx context.Context, _ any, _ mcp.MCPMethod, _ any, err error) {
	if call := a.take(ctx); call != nil {
		call.Finish(nil, err)
	}
}

// toolMiddleware records a tool's panic, then lets it continue exactly as without tracking.
func (a *adapter) toolMiddleware(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		defer func() {
			if p := recover(); p != nil {
				if call := a.take(ctx); call != nil {
					call.Panic(p)
				}
				panic(p)
			}
		}()
		if a.observed {
			if call := a.load(ctx); call != nil {
				ctx = call.Context(ctx) // the observer's span, for the tool's own spans
			}
		}
		return next(ctx, req)
	}
}

// schemaOf is a tool's input schema as JSON reads it (its raw schema, or the structured one).
func schemaOf(tool mcp.Tool) map[string]any {
	var schema map[string]any
	raw := []byte(tool.RawInputSchema)
	if len(raw) == 0 {
		raw, _ = json.Marshal(tool.InputSchema)
	}
	_ = json.Unmarshal(raw, &schema)
	return schema
}

// registeredTools finds a tool among those the request's session or server has registered (a
// session's own tool first, as mcp-go calls it), for a tools/call no tools/list preceded.
type registeredTools struct{}

func (registeredTools) ToolSchema(r *mcpsight.Request, name string) (map[string]any, bool) {
	if session, ok := server.ClientSessionFromContext(r.Ctx).(server.SessionWithTools); ok {
		if tool, ok := session.GetSessionTools()[name]; ok {
			return schemaOf(tool.Tool), true
		}
	}
	if s := server.ServerFromContext(r.Ctx); s != nil {
		if tool := s.GetTool(name); tool != nil {
			return schemaOf(tool.Tool), true
		}
	}
	return nil, false
}

// decorateTools adds the `context` argument to each listed tool's schema, in the result only.
func (a *adapter) decorateTools(res *mcp.ListToolsResult) {
	tools := make([]mcp.Tool, len(res.Tools))
	for i, tool := range res.Tools {
		if injected := a.t.ToolSchema(tool.Name, schemaOf(tool)); injected != nil {
			if data, err := json.Marshal(injected); err == nil {
				tool.RawInputSchema = data
				tool.InputSchema = mcp.ToolInputSchema{} // mcp-go refuses a tool with both
			}
		}
		tools[i] = tool
	}
	res.Tools = tools
}

// requestIDText is a JSON-RPC id as the request wrote it: "5" or "abc". mcp-go hands hooks the
// decoded value (JSON numbers as float64) or, in some versions and transports, its RequestId,
// whose String tags the value with its type ("int64:5"): that is not the id.
func requestIDText(id any) string {
	switch v := id.(type) {
	case nil:
		return ""
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return strconv.FormatInt(int64(v), 10)
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	default:
		return fmt.Sprint(v)
	}
}
