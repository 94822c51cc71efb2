package officialsdk_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	mcpsight "github.com/mcpsight/mcpsight/sdks/go"
	"github.com/mcpsight/mcpsight/sdks/go/collectortest"
	"github.com/mcpsight/mcpsight/sdks/go/officialsdk"
)

type searchIn struct {
	Query  string `json:"query"`
	UserID string `json:"userId,omitempty"`
	APIKey string `json:"apiKey,omitempty"`
}

type noteOut struct {
	Found int `json:"found"`
}

// newNotesServer is the reference server of these tests: two tools (one failing), a resource and
// a prompt. Its typed tool schema is closed (additionalProperties: false), so a `context` argument
// that reached it would fail validation.
func newNotesServer(name string) *mcp.Server {
	server := mcp.NewServer(&mcp.Implementation{Name: name, Version: "1.0.0"}, nil)
	mcp.AddTool(server, &mcp.Tool{Name: "search_notes", Description: "Search notes"},
		func(ctx context.Context, req *mcp.CallToolRequest, in searchIn) (*mcp.CallToolResult, noteOut, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "found " + in.Query}}}, noteOut{Found: 1}, nil
		})
	mcp.AddTool(server, &mcp.Tool{Name: "delete_note", Description: "Delete a note"},
		func(ctx context.Context, req *mcp.CallToolRequest, in struct {
			ID int `json:"id"`
		}) (*mcp.CallToolResult, any, error) {
			return nil, nil, errors.New("note does not exist")
		})
	server.AddResource(&mcp.Resource{URI: "notes://readme", Name: "readme", MIMEType: "text/plain"},
		func(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
			return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: req.Params.URI, Text: "hello"}}}, nil
		})
	server.AddPrompt(&mcp.Prompt{Name: "summarize"}, func(ctx context.Context, req *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		return &mcp.GetPromptResult{Messages: []*mcp.PromptMessage{{Role: "user", Content: &mcp.TextContent{Text: "Summarize"}}}}, nil
	})
	return server
}

// identifyFromArgs reads the userId argument and counts its calls.
func identifyFromArgs(calls *atomic.Int32) func(context.Context, *mcp.CallToolRequest) (*officialsdk.UserIdentity, error) {
	return func(ctx context.Context, req *mcp.CallToolRequest) (*officialsdk.UserIdentity, error) {
		calls.Add(1)
		var args struct {
			UserID string `json:"userId"`
		}
		if len(req.Params.Arguments) > 0 {
			_ = jsonUnmarshal(req.Params.Arguments, &args)
		}
		if args.UserID == "" {
			return nil, nil
		}
		return &officialsdk.UserIdentity{UserID: args.UserID, UserName: "Name of " + args.UserID, UserData: map[string]any{"plan": "team", "apiToken": "secret-in-user-data"}}, nil
	}
}

func connectInMemory(t *testing.T, server *mcp.Server, clientName string, opts *mcp.ClientSessionOptions) *mcp.ClientSession {
	t.Helper()
	ctx := context.Background()
	ct, st := mcp.NewInMemoryTransports()
	if _, err := server.Connect(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	client := mcp.NewClient(&mcp.Implementation{Name: clientName, Version: "2.0.0"}, nil)
	cs, err := client.Connect(ctx, ct, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

func callTool(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

// sessionsOf waits until the collector holds n sessions of a server and returns them.
func sessionsOf(t *testing.T, server string, n int) []collectortest.Session {
	t.Helper()
	var sessions []collectortest.Session
	collectortest.WaitFor(t, server+" sessions", func() (bool, error) {
		var err error
		sessions, err = collector.Sessions(server)
		return len(sessions) >= n, err
	})
	return sessions
}

func replay(t *testing.T, sessionID string) []collectortest.ReplayEvent {
	t.Helper()
	events, err := collector.Replay(sessionID)
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// logBuffer collects the SDK's log lines (warnings and above).
type logBuffer struct{ collectortest.Output }

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// headerTransport adds headers to every request of an MCP client.
type headerTransport struct {
	header http.Header
	mu     sync.Mutex
}

func (h *headerTransport) set(name, value string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.header.Set(name, value)
}

func (h *headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	h.mu.Lock()
	for k, v := range h.header {
		req.Header[k] = v
	}
	h.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func options(apiURL string, o officialsdk.Options) *officialsdk.Options {
	o.APIBaseURL = apiURL
	if o.FlushInterval == 0 {
		o.FlushInterval = 50 * time.Millisecond
	}
	return &o
}

var _ = mcpsight.Bool

// legacyProtocol returns client session options that make the client speak 2025-11-25 (initialize
// and sessions), and whether the library lets a client choose: go-sdk 1.8 exports
// ClientSessionOptions.ProtocolVersion and speaks 2026-07-28 by default; 1.2 speaks 2025-11-25
// and has no such option. Read by shape, so the same tests build against both.
func legacyProtocol() (*mcp.ClientSessionOptions, bool) {
	opts := &mcp.ClientSessionOptions{}
	field := reflect.ValueOf(opts).Elem().FieldByName("ProtocolVersion")
	if !field.IsValid() || !field.CanSet() || field.Kind() != reflect.String {
		return nil, false
	}
	field.SetString("2025-11-25")
	return opts, true
}

// protocol is a protocol generation a test's client speaks.
type protocol struct {
	name string
	opts *mcp.ClientSessionOptions
}

// protocols are the generations the library's client can speak: 2025-11-25, and the library's
// newest when that is another (2026-07-28 on go-sdk 1.8).
func protocols() []protocol {
	if legacy, ok := legacyProtocol(); ok {
		return []protocol{{"2025-11-25", legacy}, {"latest", nil}}
	}
	return []protocol{{"latest", nil}}
}

// modern reports whether a session negotiated 2026-07-28 or later (no initialize, no sessions).
func modern(cs *mcp.ClientSession) bool {
	return cs.InitializeResult() != nil && cs.InitializeResult().ProtocolVersion >= "2026-07-28"
}
