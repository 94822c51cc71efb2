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

	"github.com/mcpsight/mcpsight/sdks/go/internal/collectortest"
	"github.com/mcpsight/mcpsight/sdks/go/mcpgo"
)

var collector *collectortest.Collector

func TestMain(m *testing.M) {
	var err error
	if collector, err = collectortest.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(collector.Finish(m.Run()))
}

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

func flush(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := mcpgo.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

func sessionsOf(t *testing.T, name string) []collectortest.Session {
	t.Helper()
	var sessions []collectortest.Session
	collectortest.WaitFor(t, name+" sessions", func() (bool, error) {
		var err error
		sessions, err = collector.Sessions(name)
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

func TestInProcessRecordsRequestsIntentErrorsAndPanics(t *testing.T) {
	var identifies atomic.Int32
	s := newNotesServer("mcpgo-inprocess")
	err := mcpgo.Track(s, collector.ProjectID, &mcpgo.Options{
		APIBaseURL: collector.URL, FlushInterval: 50 * time.Millisecond,
		Identify: func(ctx context.Context, req *mcp.CallToolRequest) (*mcpgo.UserIdentity, error) {
			identifies.Add(1)
			if id := req.GetString("userId", ""); id != "" {
				return &mcpgo.UserIdentity{UserID: id, UserName: "Ada"}, nil
			}
			return nil, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.NewInProcessClient(s)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	initialize(t, c, mcp.Implementation{Name: "mcpgo-test-client", Version: "1.2.3"}, mcp.LATEST_PROTOCOL_VERSION)
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
	if _, err := call(t, c, "search_notes", map[string]any{"query": "rota", "context": "again"}); err != nil {
		t.Fatal(err)
	}
	if _, err := call(t, c, "delete_note", map[string]any{"id": 3, "context": "cleanup"}); err == nil {
		t.Fatal("delete_note should fail")
	}
	if _, err := call(t, c, "explode", map[string]any{"context": "boom"}); err == nil || !strings.Contains(err.Error(), "tool exploded") {
		t.Fatalf("the panic should reach the client as WithRecovery makes it: %v", err)
	}
	flush(t)
	sessions := sessionsOf(t, "mcpgo-inprocess")
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
	all, _ := json.Marshal(events)
	if strings.Contains(string(all), "hunter2-secret") || !strings.Contains(string(all), "Ada prepares the release") || !strings.Contains(string(all), "tool exploded") {
		t.Fatalf("replay: %.2000s", all)
	}
}

func TestStreamableHTTPStatelessWithHeaderAuth(t *testing.T) {
	var identifies atomic.Int32
	s := newNotesServer("mcpgo-http-stateless")
	err := mcpgo.Track(s, collector.ProjectID, &mcpgo.Options{
		APIBaseURL: collector.URL, FlushInterval: 50 * time.Millisecond,
		Identify: func(ctx context.Context, req *mcp.CallToolRequest) (*mcpgo.UserIdentity, error) {
			identifies.Add(1)
			if token, _ := ctx.Value(userKey{}).(string); token == "Bearer tok_mcpgo_grace" {
				return &mcpgo.UserIdentity{UserID: "u_mcpgo_grace"}, nil
			}
			return nil, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	httpServer := httptest.NewServer(server.NewStreamableHTTPServer(s, server.WithStateLess(true),
		server.WithHTTPContextFunc(func(ctx context.Context, r *http.Request) context.Context {
			return context.WithValue(ctx, userKey{}, r.Header.Get("Authorization"))
		})))
	t.Cleanup(httpServer.Close)
	c, err := client.NewStreamableHttpClient(httpServer.URL, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer tok_mcpgo_grace"}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	initialize(t, c, mcp.Implementation{Name: "mcpgo-http-client", Version: "1.2.3"}, mcp.LATEST_PROTOCOL_VERSION)
	for i := 0; i < 3; i++ {
		if res, err := call(t, c, "search_notes", map[string]any{"query": "x", "context": "stateless"}); err != nil || res.IsError {
			t.Fatalf("%v %+v", err, res)
		}
	}
	flush(t)
	var toolCalls int
	for _, session := range sessionsOf(t, "mcpgo-http-stateless") {
		if !session.Stateless || collectortest.Deref(session.UserID) != "u_mcpgo_grace" {
			t.Fatalf("session %+v", session)
		}
		toolCalls += session.ToolCalls
	}
	if toolCalls != 3 || identifies.Load() != 4 {
		t.Fatalf("%d tool calls, identify ran %d times (want 3 and 4: every request)", toolCalls, identifies.Load())
	}
}
