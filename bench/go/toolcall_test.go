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
// transport, on an untracked server and on one tracked by mcpsight (default options, events to
// the sink process), in the same run. go test runs sub-benchmarks one after the other even with
// -count, so the two servers are driven inside one benchmark, alternating in 10 rounds (untracked,
// tracked, untracked, …) so that machine drift hits both alike. One op is one call to each.
//
// Reported per call: untracked-ns and tracked-ns (request-path latency, the time the client
// waits), their ratio, untracked-allocs and tracked-allocs (every goroutine's allocations while
// the round ran; a tracked round also waits for delivery of its events, so they include the
// delivery goroutine's work), and untracked-cpu-ns and tracked-cpu-ns with their cpu-ratio (the
// process's CPU time over the same rounds, every goroutine: what tracking costs the host in
// CPU, which a busy machine disturbs far less than wall time). Protocols: 2025-11-25
// (initialize, sessions) and 2026-07-28, the newest both libraries speak (_meta on every
// request, results stamped by the library).
func BenchmarkToolCall(b *testing.B) {
	for _, protocol := range []string{"2025-11-25", "2026-07-28"} {
		b.Run("officialsdk/"+protocol, func(b *testing.B) {
			compare(b, officialCaller(b, protocol, false), officialCaller(b, protocol, true))
		})
		b.Run("mcpgo/"+protocol, func(b *testing.B) {
			compare(b, mcpgoCaller(b, protocol, false), mcpgoCaller(b, protocol, true))
		})
	}
}

// caller makes one tool call.
type caller func() error

const rounds = 10

func compare(b *testing.B, untracked, tracked caller) {
	var spent, cpu [2]time.Duration
	var allocs [2]uint64
	var stats runtime.MemStats
	b.ResetTimer()
	for round := 0; round < rounds; round++ {
		calls := b.N / rounds
		if round < b.N%rounds {
			calls++
		}
		for variant, call := range []caller{untracked, tracked} {
			runtime.ReadMemStats(&stats)
			mallocs := stats.Mallocs
			cpuStart := processCPU()
			start := time.Now()
			for i := 0; i < calls; i++ {
				if err := call(); err != nil {
					b.Fatal(err)
				}
			}
			spent[variant] += time.Since(start)
			if variant == 1 {
				settle(b)
			}
			cpu[variant] += processCPU() - cpuStart
			runtime.ReadMemStats(&stats)
			allocs[variant] += stats.Mallocs - mallocs
		}
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(spent[0].Nanoseconds())/n, "untracked-ns/call")
	b.ReportMetric(float64(spent[1].Nanoseconds())/n, "tracked-ns/call")
	b.ReportMetric(float64(spent[1])/float64(spent[0]), "ratio")
	b.ReportMetric(float64(allocs[0])/n, "untracked-allocs/call")
	b.ReportMetric(float64(allocs[1])/n, "tracked-allocs/call")
	if cpu[0] > 0 {
		b.ReportMetric(float64(cpu[0].Nanoseconds())/n, "untracked-cpu-ns/call")
		b.ReportMetric(float64(cpu[1].Nanoseconds())/n, "tracked-cpu-ns/call")
		b.ReportMetric(float64(cpu[1])/float64(cpu[0]), "cpu-ratio")
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

// arguments are what an agent sends: the `context` argument only to a tracked server, whose
// tools list it (an untracked server's closed schema would refuse it).
func arguments(tracked bool) map[string]any {
	if tracked {
		return map[string]any{"text": "hello", "context": "The user checks that the echo tool answers."}
	}
	return map[string]any{"text": "hello"}
}

func officialCaller(b *testing.B, protocol string, tracked bool) caller {
	server := mcp.NewServer(&mcp.Implementation{Name: "bench-notes", Version: "1.0.0"}, nil)
	mcp.AddTool(server, &mcp.Tool{Name: "echo"}, func(_ context.Context, _ *mcp.CallToolRequest, in struct {
		Text string `json:"text"`
	}) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: in.Text}}}, nil, nil
	})
	if tracked {
		if err := officialsdk.Track(server, "proj_bench", &officialsdk.Options{APIBaseURL: sink(b)}); err != nil {
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
	params := &mcp.CallToolParams{Name: "echo", Arguments: arguments(tracked)}
	return func() error {
		_, err := cs.CallTool(ctx, params)
		return err
	}
}

func mcpgoCaller(b *testing.B, protocol string, tracked bool) caller {
	s := mcpgoserver.NewMCPServer("bench-notes", "1.0.0", mcpgoserver.WithToolCapabilities(false))
	s.AddTool(mcpgomcp.NewTool("echo", mcpgomcp.WithString("text", mcpgomcp.Required())),
		func(_ context.Context, req mcpgomcp.CallToolRequest) (*mcpgomcp.CallToolResult, error) {
			return mcpgomcp.NewToolResultText(req.GetString("text", "")), nil
		})
	if tracked {
		if err := mcpgo.Track(s, "proj_bench", &mcpgo.Options{APIBaseURL: sink(b)}); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	c, err := mcpgoclient.NewInProcessClient(s)
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
	req.Params.Arguments = arguments(tracked)
	return func() error {
		_, err := c.CallTool(ctx, req)
		return err
	}
}
