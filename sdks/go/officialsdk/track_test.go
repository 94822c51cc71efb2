package officialsdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	mcpsight "github.com/mcpsight/mcpsight/sdks/go"
	"github.com/mcpsight/mcpsight/sdks/go/collectortest"
	"github.com/mcpsight/mcpsight/sdks/go/officialsdk"
)

var jsonUnmarshal = json.Unmarshal

func eventTypes(events []collectortest.ReplayEvent) map[string]int {
	out := map[string]int{}
	for _, e := range events {
		out[e.EventType]++
	}
	return out
}

func TestInMemoryRecordsEveryRequestAndIdentifiesOnce(t *testing.T) {
	for _, p := range protocols() {
		t.Run(p.name, func(t *testing.T) { testInMemory(t, p) })
	}
}

func testInMemory(t *testing.T, p protocol) {
	var calls atomic.Int32
	logs := &logBuffer{}
	name := collectortest.Fresh("go-inmem-notes-" + p.name)
	server := newNotesServer(name)
	if err := officialsdk.Track(server, collector.ProjectID, options(collector.URL, officialsdk.Options{
		Identify: identifyFromArgs(&calls),
		Logger:   logs.logger(),
	})); err != nil {
		t.Fatal(err)
	}
	cs := connectInMemory(t, server, "go-test-client", p.opts)
	ctx := context.Background()
	// 2026-07-28 has no initialize: the client opens with server/discover and names itself in
	// every request's _meta.
	handshake := "mcp:initialize"
	if modern(cs) {
		handshake = "mcp:server/discover"
	}

	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]*mcp.Tool{}
	for _, tool := range tools.Tools {
		names[tool.Name] = tool
	}
	if names["get_more_tools"] == nil {
		t.Fatalf("get_more_tools not listed: %v", names)
	}
	schema, _ := json.Marshal(names["search_notes"].InputSchema)
	if !strings.Contains(string(schema), `"context"`) || !strings.Contains(string(schema), `"required":["query","context"]`) {
		t.Fatalf("search_notes schema lacks the required context argument: %s", schema)
	}

	res := callTool(t, cs, "search_notes", map[string]any{
		"query": "release", "userId": "u_go_ada", "apiKey": "sk-live-123456789",
		"context": "Ada prepares the release",
	})
	if res.IsError {
		t.Fatalf("search_notes failed (the context argument reached the closed schema?): %+v", res.Content[0])
	}
	callTool(t, cs, "search_notes", map[string]any{"query": "rota", "userId": "u_go_ada", "context": "again"})
	if res := callTool(t, cs, "delete_note", map[string]any{"id": 3, "context": "cleanup"}); !res.IsError {
		t.Fatal("delete_note should fail")
	}
	missing := callTool(t, cs, "get_more_tools", map[string]any{"context": "needs a calendar tool"})
	if text := missing.Content[0].(*mcp.TextContent).Text; text != mcpsight.ReportMissingResultText {
		t.Fatalf("get_more_tools answered %q", text)
	}
	if _, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "notes://readme"}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "summarize"}); err != nil {
		t.Fatal(err)
	}
	collectortest.Flush(t)

	sessions := sessionsOf(t, name, 1)
	if len(sessions) != 1 {
		t.Fatalf("want one session, got %d", len(sessions))
	}
	s := sessions[0]
	if collectortest.Deref(s.UserID) != "u_go_ada" || collectortest.Deref(s.ClientName) != "go-test-client" || s.Stateless {
		t.Fatalf("session: user %q client %q stateless %v", collectortest.Deref(s.UserID), collectortest.Deref(s.ClientName), s.Stateless)
	}
	events := replay(t, s.SessionID)
	types := eventTypes(events)
	for typ, n := range map[string]int{handshake: 1, "mcp:tools/list": 1, "mcp:tools/call": 4, "mcp:resources/read": 1, "mcp:prompts/get": 1, "mcpsight:identify": 1} {
		if types[typ] != n {
			t.Errorf("%s: %d events, want %d (all: %v)", typ, types[typ], n, types)
		}
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("identify ran %d times in one stateful session, want 1", got)
	}
	all, _ := json.Marshal(events)
	for _, secret := range []string{"sk-live-123456789", "secret-in-user-data"} {
		if strings.Contains(string(all), secret) {
			t.Errorf("secret %q reached the collector", secret)
		}
	}
	var sawIntent, sawError, sawMissing bool
	for _, e := range events {
		if collectortest.Deref(e.UserID) != "u_go_ada" {
			t.Errorf("%s not attributed to the user", e.EventType)
		}
		if collectortest.Deref(e.SDKLanguage) != "go" {
			t.Errorf("sdkLanguage %q", collectortest.Deref(e.SDKLanguage))
		}
		switch collectortest.Deref(e.ResourceName) {
		case "search_notes":
			if collectortest.Deref(e.UserIntent) == "Ada prepares the release" {
				sawIntent = true
				if strings.Contains(string(e.Parameters), "context") || !strings.Contains(string(e.Parameters), `"apiKey":"[REDACTED]"`) {
					t.Errorf("parameters: %s", e.Parameters)
				}
			}
		case "delete_note":
			sawError = e.IsError && e.Error != nil && strings.Contains(e.Error.Message, "note does not exist")
		case "get_more_tools":
			sawMissing = collectortest.Deref(e.UserIntent) == "needs a calendar tool"
		}
	}
	if !sawIntent || !sawError || !sawMissing {
		t.Errorf("intent %v, error %v, report-missing %v", sawIntent, sawError, sawMissing)
	}
	if logs.String() != "" {
		t.Errorf("unexpected log lines: %s", logs)
	}
}

func TestIdentifyFailuresNeverBreakTheCall(t *testing.T) {
	cases := []struct {
		name     string
		identify func(context.Context, *mcp.CallToolRequest) (*officialsdk.UserIdentity, error)
		log      string
	}{
		{"error", func(context.Context, *mcp.CallToolRequest) (*officialsdk.UserIdentity, error) {
			return nil, errors.New("user directory unavailable")
		}, "user directory unavailable"},
		{"panic", func(context.Context, *mcp.CallToolRequest) (*officialsdk.UserIdentity, error) {
			panic("identify exploded")
		}, "identify exploded"},
		{"timeout", func(ctx context.Context, _ *mcp.CallToolRequest) (*officialsdk.UserIdentity, error) {
			time.Sleep(2 * time.Second)
			return &officialsdk.UserIdentity{UserID: "too-late"}, nil
		}, "timed out"},
		// An identify that gives up when its context ends is reported as the timeout too.
		{"timeout through the context", func(ctx context.Context, _ *mcp.CallToolRequest) (*officialsdk.UserIdentity, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}, "timed out after 200ms"},
		{"no user id", func(context.Context, *mcp.CallToolRequest) (*officialsdk.UserIdentity, error) {
			return &officialsdk.UserIdentity{UserName: "nobody"}, nil
		}, "without UserID"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := collectortest.Fresh("go-identify-" + strings.ReplaceAll(tc.name, " ", "-"))
			logs := &logBuffer{}
			server := newNotesServer(name)
			if err := officialsdk.Track(server, collector.ProjectID, options(collector.URL, officialsdk.Options{
				Identify: tc.identify, IdentifyTimeout: 200 * time.Millisecond, Logger: logs.logger(),
			})); err != nil {
				t.Fatal(err)
			}
			cs := connectInMemory(t, server, "go-test-client", nil)
			for i := 0; i < 2; i++ {
				if res := callTool(t, cs, "search_notes", map[string]any{"query": "x", "context": "checking"}); res.IsError {
					t.Fatalf("the call failed: %+v", res.Content[0])
				}
			}
			collectortest.Flush(t)
			s := sessionsOf(t, name, 1)[0]
			if s.UserID != nil || s.ToolCalls != 2 {
				t.Fatalf("session user %q, %d tool calls; want anonymous with 2", collectortest.Deref(s.UserID), s.ToolCalls)
			}
			if n := logs.CountLines(tc.log); n != 1 {
				t.Fatalf("%d log lines mention %q, want 1:\n%s", n, tc.log, logs)
			}
		})
	}
}

// tokens is the bearer-token table of the auth tests: token → user id.
var tokens = map[string]string{"tok_go_grace": "u_go_grace", "tok_go_linus": "u_go_linus"}

func verifyToken(_ context.Context, token string, _ *http.Request) (*auth.TokenInfo, error) {
	if user, ok := tokens[token]; ok {
		return &auth.TokenInfo{UserID: user, Scopes: []string{"notes"}, Expiration: time.Now().Add(time.Hour)}, nil
	}
	return nil, auth.ErrInvalidToken
}

func httpClient(headers map[string]string) *http.Client {
	h := &headerTransport{header: http.Header{}}
	for k, v := range headers {
		h.set(k, v)
	}
	return &http.Client{Transport: h}
}

func connectHTTP(t *testing.T, url, clientName string, headers map[string]string, opts *mcp.ClientSessionOptions) *mcp.ClientSession {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: clientName, Version: "3.1.0"}, nil)
	cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: url, HTTPClient: httpClient(headers)}, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

// withTools lists the tools and calls search_notes n times.
func withTools(t *testing.T, cs *mcp.ClientSession, n int) {
	t.Helper()
	if _, err := cs.ListTools(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		callTool(t, cs, "search_notes", map[string]any{"query": "launch", "context": "planning"})
	}
}

// toolSessions are the sessions of a server that hold tool calls.
func toolSessions(t *testing.T, server string) []collectortest.Session {
	t.Helper()
	var out []collectortest.Session
	for _, s := range sessionsOf(t, server, 1) {
		if s.ToolCalls > 0 {
			out = append(out, s)
		}
	}
	return out
}

func TestStreamableHTTPStatefulWithBearerAuth(t *testing.T) {
	for _, p := range protocols() {
		t.Run(p.name, func(t *testing.T) {
			// Sessions are a 2025 feature: a go-sdk 1.8 client probes with server/discover
			// (2026-07-28, session-less), then initializes a 2025-11-25 session with this handler.
			var sessionCalls atomic.Int32
			name := collectortest.Fresh("go-http-auth-" + p.name)
			server := newNotesServer(name)
			err := officialsdk.Track(server, collector.ProjectID, options(collector.URL, officialsdk.Options{
				Identify: func(ctx context.Context, req *mcp.CallToolRequest) (*officialsdk.UserIdentity, error) {
					if req.Extra != nil && req.Extra.Header.Get("Mcp-Session-Id") != "" {
						sessionCalls.Add(1)
					}
					info := auth.TokenInfoFromContext(ctx)
					if info == nil {
						return nil, nil
					}
					return &officialsdk.UserIdentity{UserID: info.UserID, UserData: map[string]any{"scopes": info.Scopes}}, nil
				},
			}))
			if err != nil {
				t.Fatal(err)
			}
			handler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)
			httpServer := httptest.NewServer(auth.RequireBearerToken(verifyToken, nil)(handler))
			t.Cleanup(httpServer.Close) // after the client session's cleanup, which ends its stream

			// Without a token the auth middleware refuses the request before MCP sees it.
			resp, err := http.Post(httpServer.URL, "application/json", strings.NewReader(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("no token: HTTP %d", resp.StatusCode)
			}

			cs := connectHTTP(t, httpServer.URL, "go-http-client", map[string]string{"Authorization": "Bearer tok_go_grace"}, p.opts)
			withTools(t, cs, 3)
			collectortest.Flush(t)
			sessions := toolSessions(t, name)
			if len(sessions) != 1 {
				t.Fatalf("%d sessions with tool calls, want 1: %+v", len(sessions), sessions)
			}
			s := sessions[0]
			if collectortest.Deref(s.UserID) != "u_go_grace" || s.Stateless || collectortest.Deref(s.ClientName) != "go-http-client" || s.ToolCalls != 3 {
				t.Fatalf("session %+v", s)
			}
			if got := sessionCalls.Load(); got != 1 {
				t.Fatalf("identify ran %d times in one session, want 1", got)
			}
			if strings.Contains(string(mustJSON(replay(t, s.SessionID))), "tok_go_grace") {
				t.Fatal("the bearer token reached the collector")
			}
		})
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func TestStreamableHTTPStatelessIdentifiesEveryRequest(t *testing.T) {
	for _, p := range protocols() {
		for _, cached := range []bool{false, true} {
			name := collectortest.Fresh("go-http-stateless-" + p.name)
			if cached {
				name += "-cached"
			}
			t.Run(name, func(t *testing.T) {
				var calls atomic.Int32
				// A key per subtest: the identify cache is the project's, shared by its servers.
				key := "key_go_linus_" + name
				server := newNotesServer(name)
				opts := officialsdk.Options{
					Identify: func(ctx context.Context, req *mcp.CallToolRequest) (*officialsdk.UserIdentity, error) {
						calls.Add(1)
						if req.Extra == nil || req.Extra.Header.Get("X-Api-Key") != key {
							return nil, nil
						}
						return &officialsdk.UserIdentity{UserID: "u_go_linus" + name, UserName: "Linus"}, nil
					},
				}
				if cached {
					opts.IdentifyCache = &officialsdk.IdentifyCacheOptions{TTL: time.Minute}
				}
				if err := officialsdk.Track(server, collector.ProjectID, options(collector.URL, opts)); err != nil {
					t.Fatal(err)
				}
				handler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server },
					&mcp.StreamableHTTPOptions{Stateless: true})
				httpServer := httptest.NewServer(handler)
				t.Cleanup(httpServer.Close)
				cs := connectHTTP(t, httpServer.URL, "go-stateless-client", map[string]string{"X-API-Key": key}, p.opts)
				withTools(t, cs, 3)
				collectortest.Flush(t)
				sessions := toolSessions(t, name)
				var toolCalls int
				for _, s := range sessions {
					// The client's name: remembered from its initialize for the API key (its later
					// requests only say Go-http-client), or from each request's _meta (2026-07-28).
					if !s.Stateless || collectortest.Deref(s.UserID) != "u_go_linus"+name || collectortest.Deref(s.ClientName) != "go-stateless-client" {
						t.Fatalf("session %+v: want stateless sessions of the user and client", s)
					}
					toolCalls += s.ToolCalls
				}
				if toolCalls != 3 {
					t.Fatalf("%d tool calls recorded, want 3", toolCalls)
				}
				// The handshake (initialize or server/discover), tools/list and three calls:
				// identify runs for each, or once with the cache.
				want := int32(5)
				if cached {
					want = 1
				}
				if got := calls.Load(); got != want {
					t.Fatalf("identify ran %d times, want %d", got, want)
				}
				if strings.Contains(string(mustJSON(sessions)), key) {
					t.Fatal("the API key reached the collector")
				}
			})
		}
	}
}

func TestStatelessAnonymousClientRunIsOneSession(t *testing.T) {
	for _, p := range protocols() {
		t.Run(p.name, func(t *testing.T) {
			name := collectortest.Fresh("go-http-anonymous-" + p.name)
			server := newNotesServer(name)
			if err := officialsdk.Track(server, collector.ProjectID, options(collector.URL, officialsdk.Options{})); err != nil {
				t.Fatal(err)
			}
			httpServer := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server },
				&mcp.StreamableHTTPOptions{Stateless: true}))
			t.Cleanup(httpServer.Close)
			// Behind a proxy (X-Forwarded-For names the client's address), every request carries
			// the same correlationId, so the client's run is one session under its own name.
			client := collectortest.Fresh("go-anonymous-client") // a run of its own, also under go test -count
			cs := connectHTTP(t, httpServer.URL, client, map[string]string{"X-Forwarded-For": "203.0.113.9"}, p.opts)
			withTools(t, cs, 3)
			collectortest.Flush(t)
			var sessions []collectortest.Session
			collectortest.WaitFor(t, "one session of the run", func() (bool, error) {
				var err error
				sessions, err = collector.Sessions(name)
				return len(sessions) == 1 && sessions[0].ToolCalls == 3, err
			})
			s := sessions[0]
			if s.UserID != nil || !s.Stateless || collectortest.Deref(s.ClientName) != client || s.Events != 5 {
				t.Fatalf("session %+v: want one anonymous stateless session of 5 events", s)
			}
		})
	}
}

// serveStdioChild is the stdio server of TestStdioChildProcess, run by the test binary itself.
func serveStdioChild(child collectortest.Child) error {
	server := newNotesServer(child.ServerName)
	opts := &officialsdk.Options{Identify: identifyFromArgs(new(atomic.Int32)), FlushInterval: 50 * time.Millisecond}
	if err := officialsdk.Track(server, child.ProjectID, opts); err != nil {
		return err
	}
	return server.Run(context.Background(), &mcp.StdioTransport{})
}

func TestStdioChildProcess(t *testing.T) {
	for _, p := range protocols() {
		t.Run(p.name, func(t *testing.T) {
			name := collectortest.Fresh("go-stdio-notes-" + p.name)
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), collector.ChildEnv(name)...)
			client := mcp.NewClient(&mcp.Implementation{Name: "go-stdio-client", Version: "0.9.0"}, nil)
			cs, err := client.Connect(context.Background(), &mcp.CommandTransport{Command: cmd}, p.opts)
			if err != nil {
				t.Fatal(err)
			}
			callTool(t, cs, "search_notes", map[string]any{"query": "x", "userId": "u_go_stdio", "context": "over stdio"})
			callTool(t, cs, "search_notes", map[string]any{"query": "y", "userId": "u_go_stdio", "context": "again"})
			if err := cs.Close(); err != nil {
				t.Logf("close: %v", err)
			}
			s := sessionsOf(t, name, 1)[0]
			if collectortest.Deref(s.UserID) != "u_go_stdio" || collectortest.Deref(s.ClientName) != "go-stdio-client" || s.ToolCalls != 2 {
				t.Fatalf("session %+v", s)
			}
		})
	}
}

// A stateless handler may build (and track) a server per request: each goes once served, as an
// untracked one does, with its tracker.
func TestServerPerRequestIsFreed(t *testing.T) {
	name := collectortest.Fresh("go-per-request")
	before := officialsdk.TrackedServers()
	var built atomic.Int32
	handler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server {
		built.Add(1)
		server := newNotesServer(name)
		if err := officialsdk.Track(server, collector.ProjectID, options(collector.URL, officialsdk.Options{})); err != nil {
			t.Error(err)
		}
		return server
	}, &mcp.StreamableHTTPOptions{Stateless: true})
	httpServer := httptest.NewServer(handler)
	cs := connectHTTP(t, httpServer.URL, "go-per-request-client", nil, nil)
	const calls = 20
	withTools(t, cs, calls)
	collectortest.Flush(t)
	if got := built.Load(); got < calls {
		t.Fatalf("%d servers built for %d calls", got, calls)
	}
	_ = cs.Close()
	httpServer.Close()
	for i := 0; i < 100 && officialsdk.TrackedServers() > before; i++ {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if left := officialsdk.TrackedServers() - before; left > 0 {
		t.Fatalf("%d servers built per request are still held after their requests ended", left)
	}
	if got := len(toolSessions(t, name)); got == 0 {
		t.Fatal("the per-request servers' calls were not recorded")
	}
}

// Before any tools/list (a restart, a stateless replica), `context` is taken out only of tools
// mcpsight would have added it to: a tool's own `context` argument reaches it, and a tool with a
// closed schema never sees the injected one.
func TestToolsOwnContextArgumentBeforeAnyToolsList(t *testing.T) {
	name := collectortest.Fresh("go-own-context")
	server := mcp.NewServer(&mcp.Implementation{Name: name, Version: "1.0.0"}, nil)
	own, other := name+"_summarise", name+"_lookup"
	mcp.AddTool(server, &mcp.Tool{Name: own}, func(_ context.Context, _ *mcp.CallToolRequest, in struct {
		Context string `json:"context"`
	}) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "summary of " + in.Context}}}, nil, nil
	})
	mcp.AddTool(server, &mcp.Tool{Name: other}, func(_ context.Context, _ *mcp.CallToolRequest, in searchIn) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "found " + in.Query}}}, nil, nil
	})
	if err := officialsdk.Track(server, collector.ProjectID, options(collector.URL, officialsdk.Options{})); err != nil {
		t.Fatal(err)
	}
	cs := connectInMemory(t, server, "go-own-context-client", nil)
	for _, tc := range []struct {
		tool string
		args map[string]any
		want string
	}{
		{own, map[string]any{"context": "Quarterly report"}, "summary of Quarterly report"},
		{other, map[string]any{"query": "q", "context": "why"}, "found q"}, // closed schema: context taken out
	} {
		res := callTool(t, cs, tc.tool, tc.args)
		if text, _ := res.Content[0].(*mcp.TextContent); res.IsError || text == nil || text.Text != tc.want {
			t.Fatalf("%s answered %+v, want %q", tc.tool, res.Content[0], tc.want)
		}
	}
}

// go-sdk clients of 2026-07-28 probe a server with server/discover before they initialize; a
// stateful handler turns the probe down on a session of its own. That is no session of the
// client's, and identify does not run for it.
func TestStatefulHTTPIgnoresTheDiscoverProbe(t *testing.T) {
	name := collectortest.Fresh("go-http-probe")
	server := newNotesServer(name)
	var calls atomic.Int32
	if err := officialsdk.Track(server, collector.ProjectID, options(collector.URL, officialsdk.Options{Identify: identifyFromArgs(&calls)})); err != nil {
		t.Fatal(err)
	}
	httpServer := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil))
	t.Cleanup(httpServer.Close)
	const connections = 3
	for i := 0; i < connections; i++ {
		cs := connectHTTP(t, httpServer.URL, "go-probe-client", nil, nil) // the client's default protocol
		withTools(t, cs, 1)
		_ = cs.Close()
	}
	collectortest.Flush(t)
	if got := calls.Load(); got != connections {
		t.Fatalf("identify ran %d times for %d sessions", got, connections)
	}
	if got := len(sessionsOf(t, name, connections)); got != connections {
		t.Fatalf("%d sessions recorded for %d connections", got, connections)
	}
}

// A base URL with a path (the collector's batch route is not under it): one warning saying so,
// not that the project is unknown.
func TestBaseURLWithAPathWarnsOnce(t *testing.T) {
	name := collectortest.Fresh("go-base-url-path")
	server := newNotesServer(name)
	// Delivery (one per process) logs to the logger of the tracker that started it: start anew.
	if err := officialsdk.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	var logs logBuffer
	if err := officialsdk.Track(server, collector.ProjectID, options(collector.URL+"/sub", officialsdk.Options{Logger: logs.logger()})); err != nil {
		t.Fatal(err)
	}
	cs := connectInMemory(t, server, "go-base-url-client", nil)
	for i := 0; i < 2; i++ {
		callTool(t, cs, "search_notes", map[string]any{"query": "q"})
		collectortest.Flush(t)
	}
	text := logs.String()
	if strings.Count(text, "HTTP 404") != 1 || !strings.Contains(text, collector.URL+"/sub answered HTTP 404 to POST /v1/batch") ||
		!strings.Contains(text, "without a path") || strings.Contains(text, "does not know project") {
		t.Fatalf("want one warning about the base URL, got:\n%s", text)
	}
}

// On a stateless server, a custom event published during a tool call joins the stateless session
// of that call's user and client, not an anonymous session of its own.
func TestCustomEventOfAStatelessRequestJoinsItsSession(t *testing.T) {
	name := collectortest.Fresh("go-stateless-custom")
	server := mcp.NewServer(&mcp.Implementation{Name: name, Version: "1.0.0"}, nil)
	mcp.AddTool(server, &mcp.Tool{Name: "export"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
		if err := officialsdk.PublishCustomEvent(server, &officialsdk.CustomEventData{ResourceName: "export-done"}); err != nil {
			return nil, nil, err
		}
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "exported"}}}, nil, nil
	})
	user := "u_go_custom" + name
	if err := officialsdk.Track(server, collector.ProjectID, options(collector.URL, officialsdk.Options{
		Identify: func(context.Context, *mcp.CallToolRequest) (*officialsdk.UserIdentity, error) {
			return &officialsdk.UserIdentity{UserID: user}, nil
		},
	})); err != nil {
		t.Fatal(err)
	}
	httpServer := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server },
		&mcp.StreamableHTTPOptions{Stateless: true}))
	t.Cleanup(httpServer.Close)
	cs := connectHTTP(t, httpServer.URL, "go-custom-client", nil, nil)
	callTool(t, cs, "export", map[string]any{})
	collectortest.Flush(t)
	sessions := toolSessions(t, name)
	if len(sessions) != 1 || collectortest.Deref(sessions[0].UserID) != user {
		t.Fatalf("sessions with tool calls: %+v, want one of %s", sessions, user)
	}
	var types map[string]int
	collectortest.WaitFor(t, "the custom event in the tool call's session", func() (bool, error) {
		types = eventTypes(replay(t, sessions[0].SessionID))
		return types["mcpsight:custom"] == 1 && types["mcp:tools/call"] == 1, nil
	})
}
