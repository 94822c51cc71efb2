package mcpsight

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	goruntime "runtime"

	"github.com/mcpsight/mcpsight/sdks/go/internal/sinktest"
)

// unreachableURL is a collector address nothing listens on (connections are refused).
func unreachableURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	_ = l.Close()
	return url
}

func TestShutdownWithoutDeadlineIsBounded(t *testing.T) {
	shutdown(t) // whatever an earlier test left
	saved := shutdownTimeout
	shutdownTimeout = 100 * time.Millisecond
	defer func() { shutdownTimeout = saved }()
	tracker := newTestTracker(t, unreachableURL(t), io.Discard)
	record(tracker, 3)
	done := make(chan error, 1)
	go func() { done <- Shutdown(context.Background()) }()
	select {
	case err := <-done:
		// The collector never answered: the flush gave up at the default deadline.
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Shutdown returned %v, want the flush's deadline", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Shutdown(context.Background()) did not return while the collector was unreachable")
	}
	if Stats() != (DeliveryStats{}) {
		t.Fatal("delivery still runs after Shutdown")
	}
}

func TestTrackerResumesAfterShutdown(t *testing.T) {
	s := sinktest.Start(t)
	shutdown(t)
	tracker := newTestTracker(t, s.URL, io.Discard)
	record(tracker, 1)
	shutdown(t)
	record(tracker, 1) // stopped: dropped
	tracker.Resume()   // what tracking the same server again does
	record(tracker, 2)
	stats := flushAndStop(t)
	if stats.Sent != 2 {
		t.Fatalf("%d events sent after Resume, want 2", stats.Sent)
	}
	if got := len(batchIDs(s)); got != 2 {
		t.Fatalf("%d batches delivered in all, want 2 (one before Shutdown, one after Resume)", got)
	}
}

type server struct{ tools [1 << 16]byte }

func TestTrackersLetTheirServersGo(t *testing.T) {
	shutdown(t)
	defer shutdown(t)
	s := sinktest.Start(t)
	var registry Trackers[server]
	kept := &server{}
	for i := 0; i < 50; i++ {
		srv := kept
		if i > 0 {
			srv = &server{}
		}
		if _, added, err := registry.Add(srv, func() (*Tracker, error) { return newTestTracker(t, s.URL, io.Discard), nil }); err != nil || !added {
			t.Fatalf("Add: %v, added %v", err, added)
		}
	}
	if _, added, _ := registry.Add(kept, nil); added || registry.Load(kept) == nil {
		t.Fatal("a server tracked twice got a second tracker")
	}
	for i := 0; i < 100 && registry.Len() > 1; i++ {
		goruntime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if n := registry.Len(); n != 1 {
		t.Fatalf("%d trackers left once 49 of their 50 servers were unreachable, want 1", n)
	}
	goruntime.KeepAlive(kept)
}

func TestCollectorURLMustBeHTTP(t *testing.T) {
	newTracker := func(url string) error {
		_, err := NewTracker("proj_url", &Options[testReq]{APIBaseURL: url}, func(r *Request) testReq { return testReq{r.Method} })
		return err
	}
	for _, url := range []string{"not a url", "ftp://127.0.0.1:4747", "127.0.0.1:4747"} {
		if err := newTracker(url); err == nil || !strings.Contains(err.Error(), "APIBaseURL must be the collector's http(s) URL") {
			t.Fatalf("APIBaseURL %q: %v", url, err)
		}
	}
	t.Setenv("MCPSIGHT_URL", "localhost 4747")
	if err := newTracker(""); err == nil || !strings.Contains(err.Error(), "MCPSIGHT_URL must be") {
		t.Fatalf("MCPSIGHT_URL: %v", err)
	}
	t.Setenv("MCPSIGHT_URL", " http://127.0.0.1:4747/ ") // spaces and a trailing slash are trimmed
	if err := newTracker(""); err != nil {
		t.Fatal(err)
	}
	shutdown(t)
}
