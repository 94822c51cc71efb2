package mcpsight

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/mcpsight/mcpsight/sdks/go/internal/sinktest"
)

type panickingObserver struct{ atStart bool }

func (o panickingObserver) StartRequest(*ObservedRequest) ObservedSpan {
	if o.atStart {
		panic("observer broke at start")
	}
	return panickingSpan{}
}

type panickingSpan struct{}

func (panickingSpan) Context(context.Context) context.Context { panic("observer broke in Context") }
func (panickingSpan) End(*ObservedOutcome)                    { panic("observer broke at end") }

// An observer's panic never reaches the request: the call proceeds and its event is recorded.
func TestObserverPanicsStayInside(t *testing.T) {
	for _, atStart := range []bool{true, false} {
		s := sinktest.Start(t)
		shutdown(t)
		tracker, err := NewTracker("proj_delivery", &Options[testReq]{
			APIBaseURL: s.URL, FlushInterval: 20 * time.Millisecond, Observer: panickingObserver{atStart},
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		}, func(r *Request) testReq { return testReq{r.Method} })
		if err != nil {
			t.Fatal(err)
		}
		call := tracker.Begin(&Request{Ctx: context.Background(), Method: "tools/call", ToolName: "t", ResourceName: "t", Connection: tracker})
		if call == nil {
			t.Fatal("the request went untracked")
		}
		ctx := context.WithValue(context.Background(), testReq{}, 1)
		if got := call.Context(ctx); got != ctx {
			t.Error("a failing observer changed the handler's context")
		}
		call.Finish(map[string]any{"content": []any{}}, nil)
		if stats := flushAndStop(t); stats.Sent != 1 {
			t.Fatalf("observer panicking at start=%v: %+v", atStart, stats)
		}
	}
}
