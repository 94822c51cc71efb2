package mcpsight

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/mcpsight/mcpsight/sdks/go/internal/sinktest"
)

// batchIDs lists the event ids of each batch the sink received.
func batchIDs(s *sinktest.Sink) [][]string {
	var out [][]string
	for _, b := range s.Batches() {
		var ids []string
		for _, raw := range b.Events {
			var e struct{ ID string }
			_ = json.Unmarshal(raw, &e)
			ids = append(ids, e.ID)
		}
		out = append(out, ids)
	}
	return out
}

type testReq struct{ method string }

func newTestTracker(t *testing.T, url string, logs io.Writer) *Tracker {
	t.Helper()
	tracker, err := NewTracker("proj_delivery", &Options[testReq]{
		APIBaseURL: url, FlushInterval: 20 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}, func(r *Request) testReq { return testReq{r.Method} })
	if err != nil {
		t.Fatal(err)
	}
	return tracker
}

func record(tracker *Tracker, n int) {
	for i := 0; i < n; i++ {
		call := tracker.Begin(&Request{Ctx: context.Background(), Method: "tools/call", ToolName: "t", ResourceName: "t",
			Params: map[string]any{"name": "t", "arguments": map[string]any{"password": "hunter2"}}, Connection: tracker})
		call.Finish(map[string]any{"content": []any{}}, nil)
	}
}

func shutdown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestDeliveryRetriesWithTheSameIDsAndHeaders(t *testing.T) {
	s := sinktest.Start(t)
	s.Respond = func(attempt int) int {
		if attempt <= 2 {
			return 503
		}
		return 200
	}
	var logs bytes.Buffer
	tracker := newTestTracker(t, s.URL, &logs)
	record(tracker, 5)
	shutdown(t)
	ids := batchIDs(s)
	if len(ids) != 3 || len(ids[0]) != 5 || strings.Join(ids[0], ",") != strings.Join(ids[2], ",") {
		t.Fatalf("attempts: %v", ids)
	}
	h := s.Batches()[0].Header
	if h.Get("X-MCPSight-Project") != "proj_delivery" || h.Get("X-MCPSight-SDK") != "go/"+SDKVersion || h.Get("X-MCPSight-Protocol") != "1" {
		t.Fatalf("headers: %v", h)
	}
	if strings.Contains(string(s.Batches()[2].Events[0]), "hunter2") {
		t.Fatal("password not redacted")
	}
	if n := strings.Count(logs.String(), "could not deliver"); n != 1 {
		t.Fatalf("%d warnings about the failed delivery, want 1:\n%s", n, logs.String())
	}
}

func TestDeliveryDropsOnUnknownProjectWithOneWarning(t *testing.T) {
	s := sinktest.Start(t)
	s.Respond = func(int) int { return 404 }
	var logs bytes.Buffer
	tracker := newTestTracker(t, s.URL, &logs)
	record(tracker, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = Flush(ctx)
	record(tracker, 3)
	_ = Flush(ctx)
	stats := Stats()
	shutdown(t)
	if len(batchIDs(s)) != 2 || stats.Dropped != 6 || stats.Sent != 0 {
		t.Fatalf("batches %v, stats %+v", batchIDs(s), stats)
	}
	if n := strings.Count(logs.String(), "does not know project"); n != 1 {
		t.Fatalf("%d warnings, want 1:\n%s", n, logs.String())
	}
}

func TestShutdownLeavesNoGoroutine(t *testing.T) {
	s := sinktest.Start(t)
	shutdown(t) // whatever an earlier test left
	before := goruntime.NumGoroutine()
	tracker := newTestTracker(t, s.URL, io.Discard)
	record(tracker, 10)
	shutdown(t)
	s.CloseClientConnections()
	deadline := time.Now().Add(5 * time.Second)
	for goruntime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if after := goruntime.NumGoroutine(); after > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines before, %d after Shutdown:\n%s", before, after, buf[:goruntime.Stack(buf, true)])
	}
	if got := len(batchIDs(s)); got == 0 {
		t.Fatal("nothing was delivered before shutdown")
	}
	// Events of servers tracked before Shutdown are dropped, never sent and never block.
	record(tracker, 1)
}

func TestRedactionFailureDropsTheEvent(t *testing.T) {
	cases := []struct {
		name   string
		redact func(string) (string, error)
		log    string
	}{
		{"error", func(string) (string, error) { return "", errors.New("vault sealed") }, "returned an error (vault sealed)"},
		{"panic", func(string) (string, error) { panic("redactor exploded") }, "panicked (redactor exploded)"},
		{"timeout", func(s string) (string, error) { time.Sleep(time.Second); return s, nil }, "timed out"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := sinktest.Start(t)
			shutdown(t)
			var logs bytes.Buffer
			tracker, err := NewTracker("proj_redact", &Options[testReq]{
				APIBaseURL: s.URL, FlushInterval: 20 * time.Millisecond, IdentifyTimeout: 100 * time.Millisecond,
				RedactSensitiveInformation: tc.redact,
				Logger:                     slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
			}, func(r *Request) testReq { return testReq{r.Method} })
			if err != nil {
				t.Fatal(err)
			}
			record(tracker, 2)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := Flush(ctx); err != nil {
				t.Fatal(err)
			}
			stats := Stats()
			shutdown(t)
			if len(batchIDs(s)) != 0 || stats.Dropped != 2 || stats.Sent != 0 {
				t.Fatalf("batches %v, stats %+v: a failed redaction must drop the event", batchIDs(s), stats)
			}
			if n := strings.Count(logs.String(), tc.log); n != 1 || !strings.Contains(logs.String(), "not sent unredacted") {
				t.Fatalf("%d warnings naming %q, want 1:\n%s", n, tc.log, logs.String())
			}
		})
	}
}
