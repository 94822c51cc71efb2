package mcpsight

import (
	"context"
	"fmt"
	"net/http"
	goruntime "runtime"
	"slices"
	"sync"
	"time"
)

// The process's delivery: one goroutine that builds, redacts and serializes events off the
// request path (prepare.go), batches them per collector and project (queue.go), and POSTs them,
// up to maxInFlight at once, with retries (send.go). Requests only append their facts to a
// bounded list; a full chunk of them, a tick or a flush wakes it.

type pending struct {
	t        *Tracker
	call     *Call  // a request event
	ready    *Event // an identify or custom event; nil in an identify event's empty slot
	identity *identityFuture
	number   int // its place in the order submit accepted events (see flushWait)
}

// DeliveryStats counts what happened to the events recorded since the delivery started.
type DeliveryStats struct {
	// Queued events wait for a batch; InFlight ones are in batches: being sent, awaiting a
	// retry, or formed while delivery backs off.
	Queued, InFlight int
	// QueuedBytes is what they count toward MaxQueueBytes: queued events' JSON, and batches
	// at their gzipped size once compressed.
	QueuedBytes int
	// Sent were stored by the collector (or were duplicates of stored events).
	Sent int
	// Dropped were lost: queue full, a failing pipeline stage, a rejected batch, or shutdown.
	Dropped int
	// Rejected were refused one by one by the collector (per-event rejections).
	Rejected int
	// FailedBatches were given up on; RetriedBatches were sent again after a failure.
	FailedBatches, RetriedBatches int
}

const (
	// drainBatch events waiting wake the delivery goroutine; fewer wait for its next tick (or a
	// flush). Waking it per request would cost each call a thread hand-off.
	drainBatch = 256
	// yieldEvery events (or batch items) the delivery goroutine lets other goroutines run.
	yieldEvery     = 16
	requestTimeout = 10 * time.Second
	retryBase      = 500 * time.Millisecond
	retryCap       = 5 * time.Second
	retryAfterCap  = 30 * time.Second
)

type runtime struct {
	log           *logger
	maxEvents     int
	maxBytes      int
	flushInterval time.Duration
	transport     *http.Transport
	client        *http.Client
	gzip          batchWriter
	ctx           context.Context // cancelled at stop: aborts a POST in flight
	cancel        context.CancelFunc

	wake   chan struct{}
	stop   chan struct{}
	exited chan struct{}

	// Batch limits and sends in flight (tests make them smaller).
	batchEvents, batchBytes, maxInFlight int
	senders                              sync.WaitGroup

	mu                 sync.Mutex
	waiting            []*pending
	parked             []*pending // waiting for an identify to settle
	queue              []queued
	queueBytes         int
	held               []*batch // formed, not in flight: failed, or formed while backing off; by seq
	heldEvents         int      // events of held batches and of batches in flight
	heldBytes          int      // what those batches count toward maxBytes
	peakBytes          int      // the most queueBytes + heldBytes reached
	batchSeq           int
	inFlight           int
	pausedUntil        time.Time
	failures           int
	droppedSinceReport int
	loggedFull         bool
	accepted, settled  int          // events taken by submit, and those delivered or dropped
	flushes            []*flushWait // the Flush calls waiting
	stopped            bool
	stats              DeliveryStats
	progress           chan struct{}
}

var (
	globalMu sync.Mutex
	global   *runtime
)

// acquireRuntime returns the running delivery, starting one (with cfg's queue settings) if none.
func acquireRuntime(cfg *config, log *logger) *runtime {
	globalMu.Lock()
	defer globalMu.Unlock()
	if global == nil {
		global = newRuntime(cfg, log)
		go global.run()
	}
	return global
}

func newRuntime(cfg *config, log *logger) *runtime {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 4
	ctx, cancel := context.WithCancel(context.Background())
	return &runtime{
		log:           log,
		maxEvents:     cfg.maxQueueSize,
		maxBytes:      cfg.maxQueueBytes,
		flushInterval: cfg.flushInterval,
		batchEvents:   limitBatchEvents,
		batchBytes:    limitBatchBytes,
		maxInFlight:   maxInFlight,
		transport:     transport,
		client:        &http.Client{Transport: transport, Timeout: requestTimeout},
		ctx:           ctx,
		cancel:        cancel,
		wake:          make(chan struct{}, 1),
		stop:          make(chan struct{}),
		exited:        make(chan struct{}),
		progress:      make(chan struct{}),
	}
}

func (rt *runtime) wakeUp() {
	select {
	case rt.wake <- struct{}{}:
	default:
	}
}

// submit queues an event for the delivery goroutine. O(1), never blocks on the network.
func (rt *runtime) submit(p *pending) {
	rt.mu.Lock()
	if rt.stopped {
		rt.stats.Dropped++
		rt.mu.Unlock()
		return
	}
	if rt.backlogLocked() >= rt.maxEvents {
		rt.dropOldestLocked()
	}
	p.number = rt.accepted
	rt.accepted++
	rt.waiting = append(rt.waiting, p)
	n := len(rt.waiting)
	rt.mu.Unlock()
	if n%drainBatch == 0 {
		rt.wakeUp()
	}
}

func (rt *runtime) notifyLocked() {
	close(rt.progress)
	rt.progress = make(chan struct{})
}

func (rt *runtime) run() {
	defer close(rt.exited)
	timer := time.NewTimer(rt.flushInterval)
	defer timer.Stop()
	nextTick := time.Now().Add(rt.flushInterval)
	for {
		select {
		case <-rt.stop:
			return
		case <-rt.wake:
		case <-timer.C:
		}
		now := time.Now()
		tick := !now.Before(nextTick)
		if tick {
			nextTick = now.Add(rt.flushInterval)
		}
		rt.process()
		rt.mu.Lock()
		partial := tick || len(rt.flushes) > 0
		rt.mu.Unlock()
		rt.pump(partial)

		// Sleep until the next tick or the end of a backoff; a chunk of new events, a flush, a
		// settled identify or a finished send wakes it sooner.
		rt.mu.Lock()
		wait := time.Until(nextTick)
		if len(rt.waiting) > 0 && (len(rt.flushes) > 0 || len(rt.waiting) >= drainBatch) {
			wait = 0
		}
		if now := time.Now(); rt.backingOffLocked(now) && (len(rt.held) > 0 || len(rt.flushes) > 0 && len(rt.queue) > 0) {
			wait = min(wait, rt.pausedUntil.Sub(now))
		}
		rt.mu.Unlock()
		if wait < time.Millisecond {
			wait = time.Millisecond
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(wait)
	}
}

// process prepares every event that is ready (its identify settled), in order, and sends full
// batches as they form.
func (rt *runtime) process() {
	rt.mu.Lock()
	work := append(rt.parked, rt.waiting...)
	rt.waiting = nil
	rt.parked = nil
	rt.mu.Unlock()
	var parked []*pending
	for i, p := range work {
		select {
		case <-rt.stop:
			parked = append(parked, p)
			continue
		default:
		}
		if p.identity != nil && !p.identity.ready() {
			parked = append(parked, p)
			continue
		}
		rt.prepare(p)
		if i%drainBatch == drainBatch-1 {
			rt.pump(false)
		}
		if i%yieldEvery == yieldEvery-1 {
			// Woken by a request, this goroutine runs on that request's P, ahead of it: a
			// burst of work without yielding would hold the request up for milliseconds.
			goruntime.Gosched()
		}
	}
	if len(parked) > 0 {
		rt.mu.Lock()
		rt.parked = append(parked, rt.parked...)
		rt.mu.Unlock()
	}
}

// flushWait is a Flush call's account of the events accepted before it, numbered below goal:
// left of them are neither delivered nor dropped yet. Events settle in another order than they
// were accepted in (one parked while its identify runs while later ones go out, other projects'
// batches, parallel sends), so a flush counts its own events, not how many settled.
type flushWait struct {
	goal, left int
}

// settleLocked records that the events with these numbers were delivered or dropped.
func (rt *runtime) settleLocked(numbers ...int) {
	rt.settled += len(numbers)
	for _, f := range rt.flushes {
		for _, n := range numbers {
			if n < f.goal {
				f.left--
			}
		}
	}
	rt.notifyLocked()
}

// flush waits until every event accepted before the call is sent or dropped, or ctx ends.
func (rt *runtime) flush(ctx context.Context) error {
	rt.mu.Lock()
	f := &flushWait{goal: rt.accepted, left: rt.accepted - rt.settled}
	rt.flushes = append(rt.flushes, f)
	rt.mu.Unlock()
	defer func() {
		rt.mu.Lock()
		rt.flushes = slices.DeleteFunc(rt.flushes, func(other *flushWait) bool { return other == f })
		rt.mu.Unlock()
	}()
	rt.wakeUp()
	for {
		rt.mu.Lock()
		if f.left <= 0 || rt.stopped {
			rt.mu.Unlock()
			return nil
		}
		progress := rt.progress
		rt.mu.Unlock()
		select {
		case <-progress:
		case <-ctx.Done():
			return fmt.Errorf("mcpsight: flush: %w", ctx.Err())
		}
	}
}

// shutdown flushes within ctx, then stops the goroutine and drops what is left.
func (rt *runtime) shutdown(ctx context.Context) error {
	err := rt.flush(ctx)
	rt.mu.Lock()
	if rt.stopped {
		rt.mu.Unlock()
		return err
	}
	rt.stopped = true
	rt.mu.Unlock()
	close(rt.stop)
	rt.cancel()
	<-rt.exited
	rt.senders.Wait() // a send in flight settles (its events dropped unless delivered)
	rt.mu.Lock()
	left := len(rt.waiting) + len(rt.parked) + len(rt.queue) + rt.heldEvents
	for _, b := range rt.held {
		rt.releaseLocked(b)
	}
	rt.waiting, rt.parked, rt.queue, rt.held = nil, nil, nil, nil
	rt.queueBytes = 0
	if left > 0 {
		// Stopped: no flush waits for them any more.
		rt.stats.Dropped += left
		rt.settled += left
		rt.log.debug(fmt.Sprintf("shut down with %d undelivered events", left))
	}
	rt.notifyLocked() // a Flush still waiting returns
	rt.mu.Unlock()
	rt.transport.CloseIdleConnections()
	return err
}

func (rt *runtime) isStopped() bool {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.stopped
}

func (rt *runtime) snapshot() DeliveryStats {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	s := rt.stats
	s.Queued = len(rt.waiting) + len(rt.parked) + len(rt.queue)
	s.InFlight = rt.heldEvents
	s.QueuedBytes = rt.bytesLocked()
	return s
}

// Flush sends every event recorded so far (including those waiting for identify) and returns
// when they are delivered or dropped, or when ctx ends (then with ctx's error).
//
//	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
//	defer cancel()
//	_ = mcpsight.Flush(ctx)
func Flush(ctx context.Context) error {
	globalMu.Lock()
	rt := global
	globalMu.Unlock()
	if rt == nil {
		return nil
	}
	return rt.flush(ctx)
}

// DefaultShutdownTimeout bounds Shutdown when its context has no deadline.
const DefaultShutdownTimeout = 5 * time.Second

// shutdownTimeout is DefaultShutdownTimeout (tests shorten it).
var shutdownTimeout = DefaultShutdownTimeout

// Shutdown flushes within ctx's deadline (DefaultShutdownTimeout when ctx has none, so that
// `defer Shutdown(context.Background())` returns even when the collector cannot be reached),
// then stops the delivery goroutine; events recorded afterwards by servers tracked before it are
// dropped. A later Track (of a new server or one tracked before) starts delivery again. Call it
// when your server stops (from your own signal handling: mcpsight installs none).
//
//	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
//	defer cancel()
//	_ = mcpsight.Shutdown(ctx)
func Shutdown(ctx context.Context) error {
	globalMu.Lock()
	rt := global
	global = nil
	globalMu.Unlock()
	if rt == nil {
		return nil
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, shutdownTimeout)
		defer cancel()
	}
	return rt.shutdown(ctx)
}

// Stats reports the running delivery's counters (zero when none runs).
func Stats() DeliveryStats {
	globalMu.Lock()
	rt := global
	globalMu.Unlock()
	if rt == nil {
		return DeliveryStats{}
	}
	return rt.snapshot()
}
