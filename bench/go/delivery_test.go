package bench

import (
	"context"
	"strconv"
	"testing"
	"time"

	mcpsight "github.com/mcpsight/mcpsight/sdks/go"
)

// BenchmarkDelivery records realistic tools/call events (about 600 bytes of JSON each: arguments,
// a text result, intent, client and server) straight through the core's Tracker, and delivers
// them to the sink process: batches of up to 1,000 events, gzip, a few requests in flight. The
// time includes the final flush, so events/s is what reached the sink.
//
//   - drain: the producer never lets the queue pass 50,000 events (half its bound), so events/s
//     is the most delivery sustains with zero drops; a drop or a missing event is a bug and fails
//     the run;
//   - paced-50k: a steady producer at 50,000 events/s (in steps of 500 every 10 ms); `dropped`
//     shows whether delivery kept up.
func BenchmarkDelivery(b *testing.B) {
	b.Run("drain", func(b *testing.B) { deliver(b, 0) })
	b.Run("paced-50k", func(b *testing.B) { deliver(b, 50_000) })
}

type benchReq struct{}

func deliver(b *testing.B, perSecond int) {
	url := sink(b)
	tracker, err := mcpsight.NewTracker("proj_bench", &mcpsight.Options[benchReq]{APIBaseURL: url},
		func(*mcpsight.Request) benchReq { return benchReq{} })
	if err != nil {
		b.Fatal(err)
	}
	tracker.SetServerInfo(mcpsight.NameVersion{Name: "bench-notes", Version: "1.0.0"})
	before := sinkCount(b)
	droppedBefore := mcpsight.Stats().Dropped
	connection := new(int)
	ctx := context.Background()
	result := map[string]any{"content": []any{map[string]any{"type": "text", "text": "#2 On-call rota: Weekly, handover on Mondays at 10:00."}}}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if perSecond > 0 && i%500 == 0 {
			if ahead := time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(perSecond))); ahead > 0 {
				time.Sleep(ahead)
			}
		} else if perSecond == 0 && i%1000 == 0 {
			for mcpsight.Stats().Queued > 50_000 {
				// Sleeping, not spinning: a spinning producer takes a core from the delivery it
				// measures.
				time.Sleep(100 * time.Microsecond)
			}
		}
		call := tracker.Begin(&mcpsight.Request{
			Ctx: ctx, Method: "tools/call", ToolName: "search_notes", ResourceName: "search_notes", Connection: connection,
			Params:           map[string]any{"name": "search_notes", "arguments": map[string]any{"query": "rota " + strconv.Itoa(i), "limit": 10}},
			InitializeClient: mcpsight.NameVersion{Name: "claude-code", Version: "2.0.14"},
		})
		call.Intent = "The user wants to know who is on call tonight."
		call.Finish(result, nil)
	}
	flushCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := mcpsight.Flush(flushCtx); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	dropped := mcpsight.Stats().Dropped - droppedBefore
	b.ReportMetric(float64(dropped), "dropped")
	if received := sinkCount(b) - before; perSecond == 0 && (dropped > 0 || received != b.N) {
		b.Fatalf("%d events recorded, %d received by the sink, %d dropped", b.N, received, dropped)
	}
}
