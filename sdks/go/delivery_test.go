package mcpsight

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	goruntime "runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// sink is a collector stand-in recording the batches it receives; respond decides the status.
type sink struct {
	mu      sync.Mutex
	batches []map[string]any
	headers []http.Header
	respond func(attempt int) int
	server  *httptest.Server
}

func newSink(t *testing.T) *sink {
	s := &sink{}
	s.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			w.WriteHeader(400)
			return
		}
		body, _ := io.ReadAll(zr)
		var batch map[string]any
		_ = json.Unmarshal(body, &batch)
		s.mu.Lock()
		s.batches = append(s.batches, batch)
		s.headers = append(s.headers, r.Header.Clone())
		attempt := len(s.batches)
		respond := s.respond
		s.mu.Unlock()
		status := 200
		if respond != nil {
			status = respond(attempt)
		}
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"accepted":1,"duplicates":0,"rejected":[]}`))
	}))
	t.Cleanup(s.server.Close)
	return s
}

func (s *sink) ids() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out [][]string
	for _, b := range s.batches {
		var ids []string
		events, _ := b["events"].([]any)
		for _, e := range events {
			ids = append(ids, e.(map[string]any)["id"].(string))
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
	s := newSink(t)
	s.respond = func(attempt int) int {
		if attempt <= 2 {
			return 503
		}
		return 200
	}
	var logs bytes.Buffer
	tracker := newTestTracker(t, s.server.URL, &logs)
	record(tracker, 5)
	shutdown(t)
	ids := s.ids()
	if len(ids) != 3 || len(ids[0]) != 5 || strings.Join(ids[0], ",") != strings.Join(ids[2], ",") {
		t.Fatalf("attempts: %v", ids)
	}
	h := s.headers[0]
	if h.Get("X-MCPSight-Project") != "proj_delivery" || h.Get("X-MCPSight-SDK") != "go/"+SDKVersion || h.Get("X-MCPSight-Protocol") != "1" {
		t.Fatalf("headers: %v", h)
	}
	if strings.Contains(s.batches[2]["events"].([]any)[0].(map[string]any)["parameters"].(map[string]any)["arguments"].(map[string]any)["password"].(string), "hunter2") {
		t.Fatal("password not redacted")
	}
	if n := strings.Count(logs.String(), "could not deliver"); n != 1 {
		t.Fatalf("%d warnings about the failed delivery, want 1:\n%s", n, logs.String())
	}
}

func TestDeliveryDropsOnUnknownProjectWithOneWarning(t *testing.T) {
	s := newSink(t)
	s.respond = func(int) int { return 404 }
	var logs bytes.Buffer
	tracker := newTestTracker(t, s.server.URL, &logs)
	record(tracker, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = Flush(ctx)
	record(tracker, 3)
	_ = Flush(ctx)
	stats := Stats()
	shutdown(t)
	if len(s.ids()) != 2 || stats.Dropped != 6 || stats.Sent != 0 {
		t.Fatalf("batches %v, stats %+v", s.ids(), stats)
	}
	if n := strings.Count(logs.String(), "does not know project"); n != 1 {
		t.Fatalf("%d warnings, want 1:\n%s", n, logs.String())
	}
}

func TestShutdownLeavesNoGoroutine(t *testing.T) {
	s := newSink(t)
	shutdown(t) // whatever an earlier test left
	before := goruntime.NumGoroutine()
	tracker := newTestTracker(t, s.server.URL, io.Discard)
	record(tracker, 10)
	shutdown(t)
	s.server.CloseClientConnections()
	deadline := time.Now().Add(5 * time.Second)
	for goruntime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if after := goruntime.NumGoroutine(); after > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines before, %d after Shutdown:\n%s", before, after, buf[:goruntime.Stack(buf, true)])
	}
	if got := len(s.ids()); got == 0 {
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
			s := newSink(t)
			shutdown(t)
			var logs bytes.Buffer
			tracker, err := NewTracker("proj_redact", &Options[testReq]{
				APIBaseURL: s.server.URL, FlushInterval: 20 * time.Millisecond, IdentifyTimeout: 100 * time.Millisecond,
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
			if len(s.ids()) != 0 || stats.Dropped != 2 || stats.Sent != 0 {
				t.Fatalf("batches %v, stats %+v: a failed redaction must drop the event", s.ids(), stats)
			}
			if n := strings.Count(logs.String(), tc.log); n != 1 || !strings.Contains(logs.String(), "not sent unredacted") {
				t.Fatalf("%d warnings naming %q, want 1:\n%s", n, tc.log, logs.String())
			}
		})
	}
}
