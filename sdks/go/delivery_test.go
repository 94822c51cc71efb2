package mcpsight

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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

// flushAndStop flushes (at most 5 s), reads the stats, then shuts delivery down.
func flushAndStop(t *testing.T) DeliveryStats {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := Flush(ctx); err != nil {
		t.Fatal(err)
	}
	stats := Stats()
	shutdown(t)
	return stats
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
	// Each event is posted once (a 404 is not retried), in at least one batch per flush (a tick
	// may split them further); one warning for all of those batches.
	batches := batchIDs(s)
	posted := map[string]int{}
	for _, ids := range batches {
		for _, id := range ids {
			posted[id]++
		}
	}
	once := len(posted) == 6
	for _, n := range posted {
		once = once && n == 1
	}
	if !once || len(batches) < 2 || stats.Dropped != 6 || stats.Sent != 0 {
		t.Fatalf("batches %v, stats %+v", batches, stats)
	}
	if n := strings.Count(logs.String(), "does not know project"); n != 1 {
		t.Fatalf("%d warnings, want 1:\n%s", n, logs.String())
	}
}

// Flush waits for the events recorded before it, not for as many events to settle: a request
// event parked while its identify runs is overtaken by events accepted after the Flush (here
// another session's request), and the Flush still waits for it and for its identify event.
func TestFlushWaitsForAnEventParkedForItsIdentify(t *testing.T) {
	s := sinktest.Start(t)
	shutdown(t) // whatever an earlier test left
	release := make(chan struct{})
	tracker, err := NewTracker("proj_delivery", &Options[testReq]{
		APIBaseURL: s.URL, FlushInterval: 20 * time.Millisecond, IdentifyTimeout: time.Minute,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Identify: func(context.Context, testReq) (*UserIdentity, error) {
			<-release
			return &UserIdentity{UserID: "u_parked"}, nil
		},
	}, func(r *Request) testReq { return testReq{r.Method} })
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(t)
	var releaseOnce sync.Once
	releaseIdentify := func() { releaseOnce.Do(func() { close(release) }) }
	defer releaseIdentify()
	rt := tracker.rt()
	request := func(session any, method string) {
		call := tracker.Begin(&Request{Ctx: context.Background(), Method: method, ToolName: "t", ResourceName: "t", Connection: session})
		call.Finish(map[string]any{"content": []any{}}, nil)
	}
	type session struct{ name string }
	request(&session{"identified"}, "tools/call") // identify starts and blocks: its event is parked

	flushed := make(chan error, 1)
	go func() { flushed <- Flush(context.Background()) }()
	for registered := false; !registered; { // the Flush has counted what it waits for
		goruntime.Gosched()
		rt.mu.Lock()
		registered = len(rt.flushes) > 0
		rt.mu.Unlock()
	}
	request(&session{"other"}, "tools/list") // accepted after the Flush; delivered at once
	for sent := false; !sent; {
		rt.mu.Lock()
		sent = rt.stats.Sent > 0
		progress := rt.progress
		rt.mu.Unlock()
		if !sent {
			<-progress
		}
	}
	select {
	case err := <-flushed:
		t.Fatalf("Flush returned (%v) while the event it waits for was parked", err)
	default:
	}
	releaseIdentify()
	if err := <-flushed; err != nil {
		t.Fatal(err)
	}
	// The identify event, accepted after the Flush began, is among what it waited for: its place
	// was queued when identify started, ahead of the request it identifies.
	var types []string
	for _, e := range s.Events() {
		types = append(types, e["eventType"].(string))
	}
	if want := []string{"mcp:tools/list", "mcpsight:identify", "mcp:tools/call"}; !slices.Equal(types, want) {
		t.Fatalf("delivered when Flush returned: %v, want %v", types, want)
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
			stats := flushAndStop(t)
			if len(batchIDs(s)) != 0 || stats.Dropped != 2 || stats.Sent != 0 {
				t.Fatalf("batches %v, stats %+v: a failed redaction must drop the event", batchIDs(s), stats)
			}
			if n := strings.Count(logs.String(), tc.log); n != 1 || !strings.Contains(logs.String(), "not sent unredacted") {
				t.Fatalf("%d warnings naming %q, want 1:\n%s", n, tc.log, logs.String())
			}
		})
	}
}

// outage is a sink that answers 503 until recovered, and remembers which batches it accepted.
type outage struct {
	*sinktest.Sink
	down      atomic.Bool
	mu        sync.Mutex
	delivered map[int]bool
}

func startOutage(t *testing.T) *outage {
	o := &outage{Sink: sinktest.Start(t), delivered: map[int]bool{}}
	o.down.Store(true)
	o.Respond = func(n int) int {
		if o.down.Load() {
			return 503
		}
		o.mu.Lock()
		defer o.mu.Unlock()
		o.delivered[n] = true
		return 200
	}
	return o
}

// accepted lists the batches the sink answered 200, and the ids of their events.
func (o *outage) accepted() (batches []sinktest.Batch, ids [][]string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	all := batchIDs(o.Sink)
	for n, b := range o.Batches() {
		if o.delivered[n+1] {
			batches = append(batches, b)
			ids = append(ids, all[n])
		}
	}
	return batches, ids
}

// trackerBoundedTo is a tracker whose events may hold at most maxBytes while undelivered.
func trackerBoundedTo(t *testing.T, url string, maxBytes int) *Tracker {
	tracker, err := NewTracker("proj_delivery", &Options[testReq]{
		APIBaseURL: url, FlushInterval: 20 * time.Millisecond, MaxQueueBytes: maxBytes,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, func(r *Request) testReq { return testReq{r.Method} })
	if err != nil {
		t.Fatal(err)
	}
	return tracker
}

// recoverAndFlush waits until n events are in batches, recovers the sink and flushes; it
// returns the stats during the outage and after, and the most bytes held meanwhile.
func recoverAndFlush(t *testing.T, o *outage, batched int) (during, after DeliveryStats, peak int) {
	deadline := time.Now().Add(10 * time.Second)
	for s := Stats(); s.InFlight+s.Dropped < batched && time.Now().Before(deadline); s = Stats() {
		time.Sleep(10 * time.Millisecond)
	}
	during = Stats()
	globalMu.Lock()
	rt := global
	globalMu.Unlock()
	o.down.Store(false)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := Flush(ctx); err != nil {
		t.Fatalf("flush after recovery: %v (%+v)", err, Stats())
	}
	after = Stats()
	rt.mu.Lock()
	peak = rt.peakBytes
	rt.mu.Unlock()
	shutdown(t)
	return during, after, peak
}

// While the collector is down, full batches are gzipped and held, counted at their compressed
// size: an outage whose events' JSON is several times MaxQueueBytes loses none of them, the bound
// holds throughout, and on recovery every event arrives, each batch with the ids it was first
// sent with.
func TestDeliveryHoldsGzippedBatchesWhileTheCollectorIsDown(t *testing.T) {
	o := startOutage(t)
	const maxBytes, events = 1 << 20, 6000
	record(trackerBoundedTo(t, o.URL, maxBytes), events)
	// The last partial batch stays queued while delivery backs off.
	during, after, peak := recoverAndFlush(t, o, events-limitBatchEvents)
	if during.InFlight < events-limitBatchEvents || during.Dropped != 0 || during.QueuedBytes > maxBytes {
		t.Fatalf("during the outage: %+v", during)
	}
	if peak > maxBytes {
		t.Fatalf("held %d bytes, over MaxQueueBytes %d", peak, maxBytes)
	}
	if after.Dropped != 0 || after.Sent != events {
		t.Fatalf("after recovery: %+v", after)
	}
	firstAttempt := map[string]string{} // event id → the ids of the batch it was first sent in
	for _, ids := range batchIDs(o.Sink) {
		joined := strings.Join(ids, ",")
		for _, id := range ids {
			if first, ok := firstAttempt[id]; ok && first != joined {
				t.Fatalf("event %s was retried in a different batch", id)
			}
			firstAttempt[id] = joined
		}
	}
	batches, ids := o.accepted()
	received, rawBytes := map[string]bool{}, 0
	for i, b := range batches {
		for j, id := range ids[i] {
			received[id] = true
			rawBytes += len(b.Events[j])
		}
	}
	if len(received) != events {
		t.Fatalf("%d distinct events delivered, want %d", len(received), events)
	}
	// Counted as JSON, the outage's events would not have fitted: the oldest would have gone.
	if rawBytes < 2*maxBytes {
		t.Fatalf("the events' JSON is only %d bytes: the test needs more than %d", rawBytes, 2*maxBytes)
	}
}

// An outage longer than the byte budget drops the oldest held batches whole, counts them, keeps
// the newest, and reports the drops to the collector in droppedEvents.
func TestDeliveryDropsTheOldestHeldBatchesBeyondTheBudget(t *testing.T) {
	o := startOutage(t)
	const maxBytes, events = 600 << 10, 25_000
	tracker := trackerBoundedTo(t, o.URL, maxBytes)
	for i := 0; i < events; i++ {
		call := tracker.Begin(&Request{Ctx: context.Background(), Method: "tools/call", ToolName: "t", ResourceName: "t",
			Params: map[string]any{"name": "t", "arguments": map[string]any{"n": i}}, Connection: tracker})
		call.Finish(map[string]any{"content": []any{map[string]any{"type": "text", "text": strconv.Itoa(i)}}}, nil)
	}
	_, after, peak := recoverAndFlush(t, o, events-limitBatchEvents)
	if peak > maxBytes {
		t.Fatalf("held %d bytes, over MaxQueueBytes %d", peak, maxBytes)
	}
	// Held batches were dropped whole (FailedBatches), and more than one batch survived.
	if after.Dropped == 0 || after.FailedBatches == 0 || after.Sent <= limitBatchEvents || after.Sent+after.Dropped != events {
		t.Fatalf("after recovery: %+v", after)
	}
	batches, ids := o.accepted()
	reported, delivered := 0, map[string]bool{}
	for i, b := range batches {
		if n, ok := b.Body["droppedEvents"].(float64); ok {
			reported += int(n)
		}
		for _, id := range ids[i] {
			delivered[id] = true
		}
	}
	if reported != after.Dropped || len(delivered) != after.Sent {
		t.Fatalf("droppedEvents reported %d, dropped %d; %d distinct delivered, sent %d", reported, after.Dropped, len(delivered), after.Sent)
	}
	// Drops take the oldest held events first; a batch in flight is never dropped. So a batch the
	// sink answered 503 (sent during the outage) may survive whatever its age, and so may up to
	// maxInFlight batches still in flight when the outage ended (answered 200 after it). Every
	// other delivered event must be among the newest: none missing from there to the last.
	o.mu.Lock()
	attempted, answered := map[int]bool{}, [][]int{}
	for n, b := range o.Batches() {
		var numbers []int
		for _, raw := range b.Events {
			var e struct {
				Parameters struct{ Arguments struct{ N int } }
			}
			if err := json.Unmarshal(raw, &e); err != nil {
				t.Fatal(err)
			}
			numbers = append(numbers, e.Parameters.Arguments.N)
		}
		if o.delivered[n+1] {
			answered = append(answered, numbers)
		} else {
			for _, n := range numbers {
				attempted[n] = true
			}
		}
	}
	o.mu.Unlock()
	kept := map[int]bool{}
	for _, numbers := range answered {
		for _, n := range numbers {
			kept[n] = true
		}
	}
	if !kept[events-1] {
		t.Fatalf("the newest event was not delivered (%+v)", after)
	}
	// The newest run: down from the last event while each was delivered or sent during the outage.
	start := events - 1
	for start > 0 && (kept[start-1] || attempted[start-1]) {
		start--
	}
	if start == 0 {
		t.Fatalf("no event older than the newest was dropped (%+v)", after)
	}
	strays := 0
	for _, numbers := range answered {
		if numbers[0] < start && !attempted[numbers[0]] {
			strays++
		}
	}
	if strays > maxInFlight {
		t.Fatalf("%d delivered batches older than event %d, the oldest of the newest run, and never sent during the outage; at most %d can have been in flight (%+v)", strays, start, maxInFlight, after)
	}
}
