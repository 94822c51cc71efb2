package mcpsight

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Requests with the same cache key that arrive while identify runs for it share that one call
// (identify runs beside the requests, so without this each would miss the cache and call it).
func TestIdentifyCacheSharesTheCallInProgress(t *testing.T) {
	release := make(chan struct{})
	credential := newEventID() // the project's cache outlives the test: a credential of this run's own
	var calls atomic.Int32
	tracker, err := NewTracker("proj_identify_shared", &Options[testReq]{
		APIBaseURL: "http://127.0.0.1:1",
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Identify: func(context.Context, testReq) (*UserIdentity, error) {
			calls.Add(1)
			<-release
			return &UserIdentity{UserID: "u_shared"}, nil
		},
		IdentifyCache: &IdentifyCacheOptions[testReq]{
			TTL: time.Minute,
			Key: func(context.Context, testReq) string { return credential },
		},
	}, func(r *Request) testReq { return testReq{r.Method} })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdown(t) })
	var settled sync.WaitGroup
	outcomes := make([]identifyOutcome, 3)
	for i := range outcomes {
		settled.Add(1)
		tracker.runIdentify(&Request{Ctx: context.Background(), Method: "tools/call"}, func(o identifyOutcome) {
			outcomes[i] = o
			settled.Done()
		})
	}
	close(release)
	settled.Wait()
	if got := calls.Load(); got != 1 {
		t.Fatalf("identify ran %d times for one credential, want 1", got)
	}
	for i, o := range outcomes {
		if o.kind != identified || o.identity == nil || o.identity.UserID != "u_shared" {
			t.Errorf("request %d: outcome %+v, want the shared identity", i, o)
		}
	}
	// Later requests are answered from the cache.
	done := make(chan identifyOutcome, 1)
	tracker.runIdentify(&Request{Ctx: context.Background(), Method: "tools/call"}, func(o identifyOutcome) { done <- o })
	if o := <-done; o.kind != identified || calls.Load() != 1 {
		t.Fatalf("after the call: outcome %+v, %d identify calls", o, calls.Load())
	}
}
