package bench

import (
	"context"
	"runtime"
	"testing"
	"time"

	mcpgoclient "github.com/mark3labs/mcp-go/client"
	mcpgomcp "github.com/mark3labs/mcp-go/mcp"
	mcpgoserver "github.com/mark3labs/mcp-go/server"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	mcpsight "github.com/mcpsight/mcpsight/sdks/go"
	"github.com/mcpsight/mcpsight/sdks/go/mcpgo"
	"github.com/mcpsight/mcpsight/sdks/go/officialsdk"
)

// BenchmarkToolCall measures what tracking costs a tool call, per adapter and protocol: echo
// tool calls from a real client of the library to its server over the library's in-memory
// transport, in the same run, on four servers: untracked; untracked with a `context` argument
// (the tool declares it, the client sends it); tracked by mcpsight (default options, events to
// the sink process); and tracked with EnableToolCallContext off (no `context` argument). go test
// runs sub-benchmarks one after the other even with -count, so the servers are driven inside one
// benchmark, alternating in 10 rounds (untracked, untracked with context, tracked, tracked without
// intent, untracked, …) so that machine drift hits all alike. One op is one call to each.
//
// Reported per call, with the prefixes untracked, context, tracked and no-intent: -ns
// (request-path latency, the time the client waits), -allocs (every goroutine's allocations while
// the round ran; a tracked round also waits for delivery of its events, so they include the
// delivery goroutine's work) and -cpu-ns (the process's CPU time over the same rounds, every
// goroutine: what tracking costs the host in CPU, which a busy machine disturbs far less than wall
// time). Ratios: tracked over untracked (ratio, cpu-ratio: what a host pays in all, the bigger
// request its agents send included); tracked over untracked with context (ratio-same-args,
// cpu-ratio-same-args: what the SDK itself costs for the same request); tracked without intent
// over untracked (ratio-no-intent, cpu-ratio-no-intent: the same request, intent off). Protocols:
// 2025-11-25 (initialize, sessions) and 2026-07-28, the newest both libraries speak (_meta on
// every request, results stamped by the library).
func BenchmarkToolCall(b *testing.B) {
	for _, protocol := range []string{"2025-11-25", "2026-07-28"} {
		b.Run("officialsdk/"+protocol, func(b *testing.B) {
			compare(b, func(s server) caller { return officialCaller(b, protocol, s) })
		})
		b.Run("mcpgo/"+protocol, func(b *testing.B) {
			compare(b, func(s server) caller { return mcpgoCaller(b, protocol, s) })
		})
	}
}

// server is one of the servers a benchmark compares.
type server int

const (
	untracked server = iota
	// untrackedContext is untracked, its tool declaring the `context` argument, which its client
	// sends as to a tracked server.
	untrackedContext
	tracked
	// trackedNoIntent is tracked with EnableToolCallContext off: its tool has no `context`
	// argument, and its client sends what an untracked server's client sends.
	trackedNoIntent
)

// prefixes name each server's metrics.
var prefixes = [...]string{
	untracked: "untracked", untrackedContext: "context", tracked: "tracked", trackedNoIntent: "no-intent",
}

// caller makes one tool call.
type caller func() error

const rounds = 10

func compare(b *testing.B, newCaller func(server) caller) {
	var callers [len(prefixes)]caller
	for s := range callers {
		callers[s] = newCaller(server(s))
	}
	settle(b) // the first calls' events
	var spent, cpu [len(prefixes)]time.Duration
	var allocs [len(prefixes)]uint64
	var stats runtime.MemStats
	b.ResetTimer()
	for round := 0; round < rounds; round++ {
		calls := b.N / rounds
		if round < b.N%rounds {
			calls++
		}
		for s, call := range callers {
			runtime.ReadMemStats(&stats)
			mallocs := stats.Mallocs
			cpuStart := processCPU()
			start := time.Now()
			for i := 0; i < calls; i++ {
				if err := call(); err != nil {
					b.Fatal(err)
				}
			}
			spent[s] += time.Since(start)
			if server(s) >= tracked {
				settle(b)
			}
			cpu[s] += processCPU() - cpuStart
			runtime.ReadMemStats(&stats)
			allocs[s] += stats.Mallocs - mallocs
		}
	}
	b.StopTimer()
	n := float64(b.N)
	for s, prefix := range prefixes {
		b.ReportMetric(float64(spent[s].Nanoseconds())/n, prefix+"-ns/call")
		b.ReportMetric(float64(allocs[s])/n, prefix+"-allocs/call")
		if cpu[untracked] > 0 {
			b.ReportMetric(float64(cpu[s].Nanoseconds())/n, prefix+"-cpu-ns/call")
		}
	}
	ratios := []struct {
		name          string
		tracked, base server
	}{{"", tracked, untracked}, {"-same-args", tracked, untrackedContext}, {"-no-intent", trackedNoIntent, untracked}}
	for _, r := range ratios {
		b.ReportMetric(float64(spent[r.tracked])/float64(spent[r.base]), "ratio"+r.name)
		if cpu[r.base] > 0 {
			b.ReportMetric(float64(cpu[r.tracked])/float64(cpu[r.base]), "cpu-ratio"+r.name)
		}
	}
}

// settle delivers what the tracked round recorded (the timer is stopped meanwhile).
func settle(b *testing.B) {
	b.StopTimer()
	defer b.StartTimer()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := mcpsight.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	if dropped := mcpsight.Stats().Dropped; dropped > 0 {
		b.Fatalf("%d events dropped", dropped)
	}
}

// contextText is the `context` argument the clients of tracked and untrackedContext send: an
// intent as agents write it when the schema's description asks for one (one or two sentences,
// third person, why the tool is called and how it fits the user's goal), 103 characters.
const contextText = "The user wants to save a meeting summary, so the assistant first checks that the notes server responds."

// arguments are what an agent sends. untracked: {"text":"hello"}; untrackedContext and tracked:
// {"text":"hello","context":contextText}: the `context` argument only to a server whose tool
// lists it.
func arguments(s server) map[string]any {
	if s == untracked || s == trackedNoIntent {
		return map[string]any{"text": "hello"}
	}
	return map[string]any{"text": "hello", "context": contextText}
}

// intent is the EnableToolCallContext option of a tracked server: the default, or off.
func intent(s server) *bool {
	if s == trackedNoIntent {
		off := false
		return &off
	}
	return nil
}

// checked makes a first call and fails unless it echoed the text, then returns call.
func checked[R any](b *testing.B, call func() (R, error), echoed func(R) bool) caller {
	result, err := call()
	if err != nil {
		b.Fatal(err)
	}
	if !echoed(result) {
		b.Fatalf("the first call did not echo: %+v", result)
	}
	return func() error {
		_, err := call()
		return err
	}
}

// onlyContent is a result's one content item, or nil.
func onlyContent[C any](content []C) any {
	if len(content) != 1 {
		return nil
	}
	return content[0]
}

type echoIn struct {
	Text string `json:"text"`
}

type echoContextIn struct {
	Text    string `json:"text"`
	Context string `json:"context,omitempty" jsonschema:"why the tool is called"`
}

func (in echoIn) text() string        { return in.Text }
func (in echoContextIn) text() string { return in.Text }

func addOfficialEcho[In interface{ text() string }](server *mcp.Server) {
	mcp.AddTool(server, &mcp.Tool{Name: "echo"}, func(_ context.Context, _ *mcp.CallToolRequest, in In) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: in.text()}}}, nil, nil
	})
}

func officialCaller(b *testing.B, protocol string, s server) caller {
	server := mcp.NewServer(&mcp.Implementation{Name: "bench-notes", Version: "1.0.0"}, nil)
	if s == untrackedContext {
		addOfficialEcho[echoContextIn](server)
	} else {
		addOfficialEcho[echoIn](server)
	}
	if s >= tracked {
		options := &officialsdk.Options{APIBaseURL: sink(b), EnableToolCallContext: intent(s)}
		if err := officialsdk.Track(server, "proj_bench", options); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	ct, st := mcp.NewInMemoryTransports()
	if _, err := server.Connect(ctx, st, nil); err != nil {
		b.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "bench-client", Version: "1.0.0"}, nil).
		Connect(ctx, ct, &mcp.ClientSessionOptions{ProtocolVersion: protocol})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cs.Close() })
	params := &mcp.CallToolParams{Name: "echo", Arguments: arguments(s)}
	return checked(b, func() (*mcp.CallToolResult, error) { return cs.CallTool(ctx, params) },
		func(r *mcp.CallToolResult) bool {
			text, ok := onlyContent(r.Content).(*mcp.TextContent)
			return !r.IsError && ok && text.Text == "hello"
		})
}

func mcpgoCaller(b *testing.B, protocol string, s server) caller {
	srv := mcpgoserver.NewMCPServer("bench-notes", "1.0.0", mcpgoserver.WithToolCapabilities(false))
	options := []mcpgomcp.ToolOption{mcpgomcp.WithString("text", mcpgomcp.Required())}
	if s == untrackedContext {
		options = append(options, mcpgomcp.WithString("context", mcpgomcp.Description("why the tool is called")))
	}
	srv.AddTool(mcpgomcp.NewTool("echo", options...),
		func(_ context.Context, req mcpgomcp.CallToolRequest) (*mcpgomcp.CallToolResult, error) {
			return mcpgomcp.NewToolResultText(req.GetString("text", "")), nil
		})
	if s >= tracked {
		if err := mcpgo.Track(srv, "proj_bench", &mcpgo.Options{APIBaseURL: sink(b), EnableToolCallContext: intent(s)}); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	c, err := mcpgoclient.NewInProcessClient(srv)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	if err := c.Start(ctx); err != nil {
		b.Fatal(err)
	}
	init := mcpgomcp.InitializeRequest{}
	init.Params.ProtocolVersion = protocol
	init.Params.ClientInfo = mcpgomcp.Implementation{Name: "bench-client", Version: "1.0.0"}
	if _, err := c.Initialize(ctx, init); err != nil {
		b.Fatal(err)
	}
	req := mcpgomcp.CallToolRequest{}
	req.Params.Name = "echo"
	req.Params.Arguments = arguments(s)
	return checked(b, func() (*mcpgomcp.CallToolResult, error) { return c.CallTool(ctx, req) },
		func(r *mcpgomcp.CallToolResult) bool {
			text, ok := onlyContent(r.Content).(mcpgomcp.TextContent)
			return !r.IsError && ok && text.Text == "hello"
		})
}
