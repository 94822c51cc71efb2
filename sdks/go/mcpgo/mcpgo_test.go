package mcpgo_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpsight/mcpsight/sdks/go/collectortest"
	"github.com/mcpsight/mcpsight/sdks/go/mcpgo"
)

var collector *collectortest.Collector

func TestMain(m *testing.M) { collectortest.Main(m, serveStdioChild, &collector) }

type userKey struct{}

// newNotesServer: search_notes (strict schema through WithInputSchemaValidation), a failing
// tool and a panicking one (mcp-go's WithRecovery turns the panic into an error, with or without
// tracking).
func newNotesServer(name string) *server.MCPServer {
	s := server.NewMCPServer(name, "1.0.0", server.WithToolCapabilities(false), server.WithRecovery())
	s.AddTool(mcp.NewTool("search_notes", mcp.WithString("query", mcp.Required()), mcp.WithString("userId")),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			if _, has := req.GetArguments()["context"]; has {
				return mcp.NewToolResultError("the context argument reached the tool"), nil
			}
			return mcp.NewToolResultText("found " + req.GetString("query", "")), nil
		})
	s.AddTool(mcp.NewTool("delete_note", mcp.WithNumber("id")),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return nil, errors.New("note does not exist")
		})
	s.AddTool(mcp.NewTool("explode"), func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		panic("tool exploded")
	})
	return s
}

// identifyFromArgs identifies by the userId argument and counts its calls.
func identifyFromArgs(calls *atomic.Int32) func(context.Context, *mcp.CallToolRequest) (*mcpgo.UserIdentity, error) {
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcpgo.UserIdentity, error) {
		calls.Add(1)
		if id := req.GetString("userId", ""); id != "" {
			return &mcpgo.UserIdentity{UserID: id, UserName: "Ada"}, nil
		}
		return nil, nil
	}
}

// identifyFromHeader identifies by the Authorization header carried into the context.
func identifyFromHeader(calls *atomic.Int32, token, user string) func(context.Context, *mcp.CallToolRequest) (*mcpgo.UserIdentity, error) {
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcpgo.UserIdentity, error) {
		calls.Add(1)
		if got, _ := ctx.Value(userKey{}).(string); got == "Bearer "+token {
			return &mcpgo.UserIdentity{UserID: user}, nil
		}
		return nil, nil
	}
}

func options(o mcpgo.Options) *mcpgo.Options {
	o.APIBaseURL = collector.URL
	o.FlushInterval = 50 * time.Millisecond
	return &o
}

// toolSessions waits for the sessions of a server and returns those holding tool calls.
func toolSessions(t *testing.T, name string) []collectortest.Session {
	t.Helper()
	var sessions []collectortest.Session
	collectortest.WaitFor(t, name+" sessions", func() (bool, error) {
		all, err := collector.Sessions(name)
		sessions = nil
		for _, s := range all {
			if s.ToolCalls > 0 {
				sessions = append(sessions, s)
			}
		}
		return len(sessions) > 0, err
	})
	return sessions
}

// legacyProtocol is the last protocol version with initialize and sessions; mcp-go 1.x speaks
// 2026-07-28 (mcp.LATEST_PROTOCOL_VERSION) when asked, 0.x knows only the 2025 versions.
const legacyProtocol = "2025-11-25"

// protocols are the versions the tests' clients speak: 2025-11-25 and the library's newest.
func protocols() []string {
	if mcp.LATEST_PROTOCOL_VERSION == legacyProtocol {
		return []string{legacyProtocol}
	}
	return []string{legacyProtocol, mcp.LATEST_PROTOCOL_VERSION}
}

func initialize(t *testing.T, c *client.Client, info mcp.Implementation, protocolVersion string) *mcp.InitializeResult {
	t.Helper()
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = protocolVersion
	req.Params.ClientInfo = info
	res, err := c.Initialize(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func call(t *testing.T, c *client.Client, name string, args map[string]any) (*mcp.CallToolResult, error) {
	t.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	return c.CallTool(context.Background(), req)
}

// callSearch calls search_notes n times; each call must succeed without the `context` argument
// reaching the tool.
func callSearch(t *testing.T, c *client.Client, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if res, err := call(t, c, "search_notes", map[string]any{"query": "x", "context": "checking"}); err != nil || res.IsError {
			t.Fatalf("search_notes: %v %+v", err, res)
		}
	}
}

func TestInProcessRecordsRequestsIntentErrorsAndPanics(t *testing.T) {
	for _, protocol := range protocols() {
		t.Run(protocol, func(t *testing.T) {
			var identifies atomic.Int32
			name := collectortest.Fresh("mcpgo-inprocess-" + protocol)
			s := newNotesServer(name)
			if err := mcpgo.Track(s, collector.ProjectID, options(mcpgo.Options{Identify: identifyFromArgs(&identifies)})); err != nil {
				t.Fatal(err)
			}
			c := connectInProcess(t, s, "mcpgo-test-client", "1.2.3", protocol)
			defer c.Close()
			tools, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
			if err != nil {
				t.Fatal(err)
			}
			listed, _ := json.Marshal(tools.Tools)
			if !strings.Contains(string(listed), `"get_more_tools"`) || !strings.Contains(string(listed), `"required":["query","context"]`) {
				t.Fatalf("tools/list: %s", listed)
			}
			res, err := call(t, c, "search_notes", map[string]any{"query": "release", "userId": "u_mcpgo_ada", "context": "Ada prepares the release", "password": "hunter2-secret"})
			if err != nil || res.IsError {
				t.Fatalf("search_notes: %v %+v", err, res)
			}
			callSearch(t, c, 1)
			if _, err := call(t, c, "delete_note", map[string]any{"id": 3, "context": "cleanup"}); err == nil {
				t.Fatal("delete_note should fail")
			}
			if _, err := call(t, c, "explode", map[string]any{"context": "boom"}); err == nil || !strings.Contains(err.Error(), "tool exploded") {
				t.Fatalf("the panic should reach the client as WithRecovery makes it: %v", err)
			}
			collectortest.Flush(t)
			sessions := toolSessions(t, name)
			if len(sessions) != 1 {
				t.Fatalf("%d sessions", len(sessions))
			}
			s0 := sessions[0]
			if collectortest.Deref(s0.UserID) != "u_mcpgo_ada" || collectortest.Deref(s0.ClientName) != "mcpgo-test-client" || s0.ToolCalls != 4 || s0.Errors < 2 {
				t.Fatalf("session %+v", s0)
			}
			if identifies.Load() != 1 {
				t.Fatalf("identify ran %d times, want 1", identifies.Load())
			}
			events, err := collector.Replay(s0.SessionID)
			if err != nil {
				t.Fatal(err)
			}
			// 2026-07-28 has no initialize: the client opens with server/discover.
			handshake := "mcp:initialize"
			if protocol >= "2026-07-28" {
				handshake = "mcp:server/discover"
			}
			if events[0].EventType != handshake || collectortest.Deref(events[0].ServerName) != name {
				t.Fatalf("first event %s of %q, want %s of %q", events[0].EventType, collectortest.Deref(events[0].ServerName), handshake, name)
			}
			all, _ := json.Marshal(events)
			if strings.Contains(string(all), "hunter2-secret") || !strings.Contains(string(all), "Ada prepares the release") || !strings.Contains(string(all), "tool exploded") {
				t.Fatalf("replay: %.2000s", all)
			}
		})
	}
}

// A tool result is recorded as the handler returned it: on 2026-07-28 mcp-go stamps resultType and
// its serverInfo into the result (into the handler's own _meta when it set one) after the hooks ran.
func TestToolResultRecordedAsTheHandlerReturnedIt(t *testing.T) {
	for _, protocol := range protocols() {
		t.Run(protocol, func(t *testing.T) {
			name := collectortest.Fresh("mcpgo-result-" + protocol)
			s := server.NewMCPServer(name, "1.0.0", server.WithToolCapabilities(false))
			s.AddTool(mcp.NewTool("annotated"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
				res := mcp.NewToolResultText("done")
				res.Meta = &mcp.Meta{AdditionalFields: map[string]any{"source": "notes"}}
				return res, nil
			})
			if err := mcpgo.Track(s, collector.ProjectID, options(mcpgo.Options{})); err != nil {
				t.Fatal(err)
			}
			c := connectInProcess(t, s, "mcpgo-test-client", "1.2.3", protocol)
			defer c.Close()
			res, err := call(t, c, "annotated", map[string]any{"context": "checking the result"})
			if err != nil || res.IsError {
				t.Fatalf("annotated: %v %+v", err, res)
			}
			collectortest.Flush(t)
			events, err := collector.Replay(toolSessions(t, name)[0].SessionID)
			if err != nil {
				t.Fatal(err)
			}
			var response string
			for _, e := range events {
				if e.EventType == "mcp:tools/call" {
					response = string(e.Response)
				}
			}
			if !strings.Contains(response, `"source":"notes"`) || !strings.Contains(response, `"done"`) ||
				strings.Contains(response, "resultType") || strings.Contains(response, "serverInfo") {
				t.Fatalf("recorded response %s", response)
			}
		})
	}
}

// The `context` argument never reaches the tool and is recorded as the intent, not among the
// parameters; Identify still sees the arguments as received (without callbacks the adapter lets
// the core take it out of mcp-go's map in place, with them the map is copied).
func TestContextArgumentTakenOutWithAndWithoutCallbacks(t *testing.T) {
	for _, withIdentify := range []bool{false, true} {
		t.Run(fmt.Sprintf("identify=%v", withIdentify), func(t *testing.T) {
			name := collectortest.Fresh(fmt.Sprintf("mcpgo-context-%v", withIdentify))
			s := newNotesServer(name)
			var sawContext atomic.Int32
			o := mcpgo.Options{}
			if withIdentify {
				o.Identify = func(_ context.Context, req *mcp.CallToolRequest) (*mcpgo.UserIdentity, error) {
					if req.GetString("context", "") == "why <not>" && strings.Contains(string(req.Params.RawArguments), `"context"`) {
						sawContext.Add(1)
					}
					return &mcpgo.UserIdentity{UserID: "u_context"}, nil
				}
			}
			if err := mcpgo.Track(s, collector.ProjectID, options(o)); err != nil {
				t.Fatal(err)
			}
			c := connectInProcess(t, s, "mcpgo-test-client", "1.2.3", legacyProtocol)
			defer c.Close()
			if res, err := call(t, c, "search_notes", map[string]any{"query": "q", "context": "why <not>"}); err != nil || res.IsError {
				t.Fatalf("search_notes: %v %+v", err, res)
			}
			collectortest.Flush(t)
			if withIdentify && sawContext.Load() != 1 {
				t.Fatal("Identify did not see the context argument as received")
			}
			events, err := collector.Replay(toolSessions(t, name)[0].SessionID)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range events {
				if e.EventType != "mcp:tools/call" {
					continue
				}
				if params := string(e.Parameters); params != `{"name":"search_notes","arguments":{"query":"q"}}` ||
					collectortest.Deref(e.UserIntent) != "why <not>" {
					t.Fatalf("recorded parameters %s, intent %q", params, collectortest.Deref(e.UserIntent))
				}
				return
			}
			t.Fatal("no tools/call event")
		})
	}
}

// httpServer serves s over Streamable HTTP on 127.0.0.1, carrying the Authorization header into
// the request context for Identify.
func httpServer(t *testing.T, s *server.MCPServer, stateless bool) string {
	t.Helper()
	h := httptest.NewServer(server.NewStreamableHTTPServer(s, server.WithStateLess(stateless),
		server.WithHTTPContextFunc(func(ctx context.Context, r *http.Request) context.Context {
			return context.WithValue(ctx, userKey{}, r.Header.Get("Authorization"))
		})))
	t.Cleanup(h.Close)
	return h.URL
}

func connectHTTP(t *testing.T, url, clientName, protocol string, headers map[string]string) *client.Client {
	t.Helper()
	c, err := client.NewStreamableHttpClient(url, transport.WithHTTPHeaders(headers))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	initialize(t, c, mcp.Implementation{Name: clientName, Version: "1.2.3"}, protocol)
	return c
}

func TestStreamableHTTPWithHeaderAuth(t *testing.T) {
	for _, stateless := range []bool{false, true} {
		for _, protocol := range protocols() {
			mode := map[bool]string{false: "stateful", true: "stateless"}[stateless]
			t.Run(mode+"-"+protocol, func(t *testing.T) {
				var identifies atomic.Int32
				name := collectortest.Fresh("mcpgo-http-" + mode + "-" + protocol)
				// A user per subtest: the collector joins a user's stateless requests into sessions.
				user := collectortest.Fresh("u_mcpgo_" + mode + "_" + protocol)
				s := newNotesServer(name)
				if err := mcpgo.Track(s, collector.ProjectID, options(mcpgo.Options{Identify: identifyFromHeader(&identifies, "tok_mcpgo_ada", user)})); err != nil {
					t.Fatal(err)
				}
				c := connectHTTP(t, httpServer(t, s, stateless), "mcpgo-http-client", protocol, map[string]string{"Authorization": "Bearer tok_mcpgo_ada"})
				callSearch(t, c, 3)
				collectortest.Flush(t)
				sessions := toolSessions(t, name)
				// A 2025-11-25 stateful session is identified once; otherwise (stateless handler, or
				// 2026-07-28, which has no sessions) every request is: the handshake and three calls.
				sessionless := stateless || protocol >= "2026-07-28"
				calls := int32(1)
				if sessionless {
					calls = 4
				} else if len(sessions) != 1 {
					t.Fatalf("%d sessions, want 1", len(sessions))
				}
				if identifies.Load() != calls {
					t.Fatalf("identify ran %d times, want %d", identifies.Load(), calls)
				}
				toolCalls := 0
				for _, session := range sessions {
					// The client's name: from initialize (stateful), remembered from it for the token
					// (stateless: the calls only say Go-http-client), or from each request's _meta.
					if collectortest.Deref(session.UserID) != user || collectortest.Deref(session.ClientName) != "mcpgo-http-client" || session.Stateless != sessionless {
						t.Fatalf("session %+v", session)
					}
					toolCalls += session.ToolCalls
				}
				if toolCalls != 3 {
					t.Fatalf("%d tool calls recorded, want 3", toolCalls)
				}
			})
		}
	}
}

// serveStdioChild is the stdio server of TestStdioChildProcess, run by the test binary itself.
func serveStdioChild(child collectortest.Child) error {
	s := newNotesServer(child.ServerName)
	opts := &mcpgo.Options{Identify: identifyFromArgs(new(atomic.Int32)), FlushInterval: 50 * time.Millisecond}
	if err := mcpgo.Track(s, child.ProjectID, opts); err != nil {
		return err
	}
	return server.NewStdioServer(s).Listen(context.Background(), os.Stdin, os.Stdout)
}

func TestStdioChildProcess(t *testing.T) {
	for _, protocol := range protocols() {
		t.Run(protocol, func(t *testing.T) {
			// Two server processes, one client each: two sessions (mcp-go names every stdio
			// session "stdio", which must not make them one).
			name := collectortest.Fresh("mcpgo-stdio-" + protocol)
			users := []string{"u_mcpgo_stdio_a", "u_mcpgo_stdio_b"}
			for _, user := range users {
				c, err := client.NewStdioMCPClient(os.Args[0], collector.ChildEnv(name), "-test.run=^$")
				if err != nil {
					t.Fatal(err)
				}
				initialize(t, c, mcp.Implementation{Name: "mcpgo-stdio-client", Version: "0.9.0"}, protocol)
				for i := 0; i < 2; i++ {
					if res, err := call(t, c, "search_notes", map[string]any{"query": "x", "userId": user, "context": "over stdio"}); err != nil || res.IsError {
						t.Fatalf("search_notes: %v %+v", err, res)
					}
				}
				if err := c.Close(); err != nil {
					t.Logf("close: %v", err)
				}
			}
			var sessions []collectortest.Session
			collectortest.WaitFor(t, "both stdio sessions", func() (bool, error) {
				var err error
				sessions, err = collector.Sessions(name)
				return len(sessions) >= 2, err
			})
			seen := map[string]bool{}
			for _, s := range sessions {
				if s.ToolCalls != 2 || s.Stateless || collectortest.Deref(s.ClientName) != "mcpgo-stdio-client" {
					t.Fatalf("session %+v", s)
				}
				seen[collectortest.Deref(s.UserID)] = true
			}
			if len(sessions) != 2 || !seen[users[0]] || !seen[users[1]] {
				t.Fatalf("sessions %+v: want one per process and user", sessions)
			}
		})
	}
}

// Before any tools/list (a restart, a stateless replica), `context` is taken out only of tools
// mcpsight would have added it to: a tool's own `context` argument reaches it.
func TestToolsOwnContextArgumentBeforeAnyToolsList(t *testing.T) {
	name := collectortest.Fresh("mcpgo-own-context")
	s := server.NewMCPServer(name, "1.0.0", server.WithToolCapabilities(false))
	own, other := name+"_summarise", name+"_lookup"
	s.AddTool(mcp.NewTool(own, mcp.WithString("context", mcp.Required())),
		func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText("summary of " + req.GetString("context", "(none)")), nil
		})
	s.AddTool(mcp.NewTool(other, mcp.WithString("query")),
		func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			_, leaked := req.GetArguments()["context"]
			return mcp.NewToolResultText(fmt.Sprintf("context reached the tool: %v", leaked)), nil
		})
	if err := mcpgo.Track(s, collector.ProjectID, options(mcpgo.Options{})); err != nil {
		t.Fatal(err)
	}
	c := connectInProcess(t, s, "mcpgo-test-client", "1.2.3", legacyProtocol)
	defer c.Close()
	for _, tc := range []struct{ tool, context, want string }{
		{own, "Quarterly report", "summary of Quarterly report"},
		{other, "why", "context reached the tool: false"},
	} {
		res, err := call(t, c, tc.tool, map[string]any{"query": "q", "context": tc.context})
		if err != nil || res.IsError || len(res.Content) != 1 {
			t.Fatalf("%s: %v %+v", tc.tool, err, res)
		}
		if text, _ := res.Content[0].(mcp.TextContent); text.Text != tc.want {
			t.Fatalf("%s answered %q, want %q", tc.tool, text.Text, tc.want)
		}
	}
}
