package officialsdk

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	mcpsight "github.com/mcpsight/mcpsight/sdks/go"
)

// begin describes the request to the tracker and returns the request to forward (tools/call
// without the injected `context` argument).
func (a *adapter) begin(ctx context.Context, method string, req mcp.Request) (call *mcpsight.Call, forwarded mcp.Request) {
	forwarded = req
	defer func() {
		if recover() != nil {
			call, forwarded = nil, req
		}
	}()
	r := &mcpsight.Request{Ctx: ctx, Method: method, Raw: req}
	params := req.GetParams()
	if v := reflect.ValueOf(params); params != nil && v.Kind() == reflect.Pointer && v.IsNil() {
		params = nil // a request sent without params
	}
	if params != nil {
		r.Params = params
		r.Meta = params.GetMeta()
	}
	if extra := req.GetExtra(); extra != nil {
		r.Header = extra.Header
		r.HTTP = extra.Header != nil
		if info := extra.TokenInfo; info != nil && info.UserID != "" {
			r.TokenCredential = "token-user:" + info.UserID
		}
	}
	ss, _ := req.GetSession().(*mcp.ServerSession)
	if ss != nil {
		r.Connection = ss
		if init := ss.InitializeParams(); init != nil && init.ClientInfo != nil {
			r.SessionClient = mcpsight.NameVersion{Name: init.ClientInfo.Name, Version: init.ClientInfo.Version}
		}
	}
	if r.HTTP {
		a.classifyHTTP(r, ss, method)
	}
	var toolCall *mcp.CallToolRequest
	switch p := params.(type) {
	case *mcp.InitializeParams:
		if p.ClientInfo != nil {
			r.InitializeClient = mcpsight.NameVersion{Name: p.ClientInfo.Name, Version: p.ClientInfo.Version}
		}
	case *mcp.CallToolParamsRaw:
		r.ToolName, r.ResourceName = p.Name, p.Name
		toolCall, _ = req.(*mcp.CallToolRequest)
		r.RawArguments = p.Arguments
		r.Tools = a
	case *mcp.ReadResourceParams:
		r.ResourceName = p.URI
	case *mcp.GetPromptParams:
		r.ResourceName = p.Name
	case *mcp.SubscribeParams:
		r.ResourceName = p.URI
	case *mcp.UnsubscribeParams:
		r.ResourceName = p.URI
	}
	call = a.t.Begin(r)
	if call != nil && call.ForwardJSON != nil && toolCall != nil {
		// The handler gets a copy without `context`; identify keeps the request as received.
		copied := *toolCall
		paramsCopy := *toolCall.Params
		paramsCopy.Arguments = call.ForwardJSON
		copied.Params = &paramsCopy
		forwarded = &copied
		r.Params = &paramsCopy
	}
	return call, forwarded
}

// classifyHTTP decides whether an HTTP request belongs to a session. The official SDK's
// stateless handler gives every request a fresh server session whose initialize state holds no
// client; a stateful session remembers the client's initialize. Requests of 2026-07-28 belong
// to none (and say nothing about the handler's mode: clients probe with server/discover).
func (a *adapter) classifyHTTP(r *mcpsight.Request, ss *mcp.ServerSession, method string) {
	if r.Modern() {
		r.Stateless = true // 2026-07-28 requests have no session, whatever the handler's mode
		return
	}
	stateless, known := transportStateless(ss)
	stateless = stateless || a.forceStateless
	if !known && !stateless && method != "initialize" {
		init := (*mcp.InitializeParams)(nil)
		if ss != nil {
			init = ss.InitializeParams()
		}
		stateless = init == nil || init.ClientInfo == nil
		if stateless {
			a.mu.Lock()
			a.stateless = true
			a.mu.Unlock()
		}
	}
	if !known && !stateless && method == "initialize" {
		a.mu.Lock()
		stateless = a.stateless // a server seen serving statelessly stays stateless
		a.mu.Unlock()
	}
	if stateless {
		r.Stateless = true
		return
	}
	if ss != nil {
		r.TransportSessionID = ss.ID()
	}
	if r.TransportSessionID == "" {
		r.TransportSessionID = r.Header.Get("Mcp-Session-Id")
	}
}

// transportStateless reads whether a session's Streamable HTTP transport is stateless
// (StreamableHTTPOptions.Stateless), and whether it could tell. The SDK keeps it in the session's
// connection (ServerSession.mcpConn, a *streamableServerConn with a stateless field, in go-sdk
// 1.2 to 1.8); read by shape, so that even a server's first initialize is classified right. A
// session of another shape is unknown, and the adapter falls back to what the requests show.
func transportStateless(ss *mcp.ServerSession) (stateless, known bool) {
	defer func() {
		if recover() != nil {
			stateless, known = false, false
		}
	}()
	if ss == nil {
		return false, false
	}
	conn := reflect.ValueOf(ss).Elem().FieldByName("mcpConn")
	for conn.IsValid() && (conn.Kind() == reflect.Interface || conn.Kind() == reflect.Pointer) && !conn.IsNil() {
		conn = conn.Elem()
	}
	if !conn.IsValid() || conn.Kind() != reflect.Struct {
		return false, false
	}
	field := conn.FieldByName("stateless")
	if !field.IsValid() || field.Kind() != reflect.Bool {
		return false, false
	}
	return field.Bool(), true
}

// finish records the outcome and returns the result to send (tools/list decorated).
func (a *adapter) finish(call *mcpsight.Call, method string, result mcp.Result, err error) mcp.Result {
	out := result
	func() {
		defer func() { _ = recover() }()
		switch res := result.(type) {
		case *mcp.ListToolsResult:
			if err == nil && res != nil {
				out = a.decorateTools(res)
			}
		case *mcp.InitializeResult:
			if res != nil && res.ServerInfo != nil {
				a.t.SetServerInfo(mcpsight.NameVersion{Name: res.ServerInfo.Name, Version: res.ServerInfo.Version})
			}
		}
	}()
	if err != nil {
		call.Finish(nil, err)
	} else {
		call.Finish(result, nil)
	}
	return out
}

// decorateTools returns a copy of a tools/list result with the `context` argument in each
// tool's schema and get_more_tools on the last page. The server's own tools are not modified.
func (a *adapter) decorateTools(res *mcp.ListToolsResult) *mcp.ListToolsResult {
	copied := *res
	copied.Tools = make([]*mcp.Tool, 0, len(res.Tools)+1)
	for _, tool := range res.Tools {
		if tool == nil || tool.Name == mcpsight.ReportMissingToolName {
			continue
		}
		if schema := a.t.ToolSchema(tool.Name, schemaMap(tool.InputSchema)); schema != nil {
			t := *tool
			t.InputSchema = schema
			tool = &t
		}
		copied.Tools = append(copied.Tools, tool)
	}
	if a.t.ListsReportMissing() && strings.TrimSpace(res.NextCursor) == "" {
		copied.Tools = append(copied.Tools, &mcp.Tool{
			Name:        mcpsight.ReportMissingToolName,
			Description: mcpsight.ReportMissingDescription,
			InputSchema: mcpsight.ReportMissingSchema(),
		})
	}
	return &copied
}

// maxToolPages bounds the pages ToolSchema reads of a tools/list.
const maxToolPages = 100

// ToolSchema finds a tool's input schema for a tools/call no tools/list preceded, by listing the
// server's tools through the handlers after this middleware: what the client would be listed,
// before mcpsight adds `context`.
func (a *adapter) ToolSchema(r *mcpsight.Request, name string) (schema map[string]any, found bool) {
	defer func() {
		if recover() != nil {
			schema, found = nil, false
		}
	}()
	next := a.next.Load()
	req, _ := r.Raw.(mcp.Request)
	if next == nil || req == nil {
		return nil, false
	}
	ss, _ := req.GetSession().(*mcp.ServerSession)
	params := &mcp.ListToolsParams{}
	for page := 0; page < maxToolPages; page++ {
		res, err := (*next)(r.Ctx, "tools/list", &mcp.ListToolsRequest{Session: ss, Params: params, Extra: req.GetExtra()})
		list, ok := res.(*mcp.ListToolsResult)
		if err != nil || !ok || list == nil {
			return nil, false
		}
		for _, tool := range list.Tools {
			if tool != nil && tool.Name == name {
				return schemaMap(tool.InputSchema), true
			}
		}
		if list.NextCursor == "" {
			return nil, false
		}
		params = &mcp.ListToolsParams{Cursor: list.NextCursor}
	}
	return nil, false
}

// schemaMap is a tool's input schema as plain JSON, whatever type the server gave it.
func schemaMap(schema any) map[string]any {
	if m, ok := schema.(map[string]any); ok {
		return m
	}
	data, err := json.Marshal(schema)
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(data, &m) != nil {
		return nil
	}
	return m
}
