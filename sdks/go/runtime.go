package mcpsight

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// The process's delivery: one goroutine that builds, redacts and serializes events off the
// request path, batches them per collector and project, and POSTs them with retries. Requests
// only append to a bounded list and, now and then, wake it.

type pending struct {
	t        *Tracker
	call     *Call  // a request event
	ready    *Event // an identify or custom event
	identity *identityFuture
}

type batchKey struct{ url, project string }

type queued struct {
	key  batchKey
	json []byte
}

// DeliveryStats counts what happened to the events recorded since the delivery started.
type DeliveryStats struct {
	// Queued events wait to be sent; InFlight ones are in batches being sent or awaiting retry.
	Queued, InFlight int
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
	drainBatch     = 256
	drainDelay     = 5 * time.Millisecond
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
	ctx           context.Context // cancelled at stop: aborts a POST in flight
	cancel        context.CancelFunc

	wake   chan struct{}
	stop   chan struct{}
	exited chan struct{}

	mu                 sync.Mutex
	waiting            []*pending
	parked             []*pending // waiting for an identify to settle
	queue              []queued
	queueBytes         int
	retries            []*batch
	retryEvents        int
	retryBytes         int
	pausedUntil        time.Time
	failures           int
	droppedSinceReport int
	loggedFull         bool
	accepted, settled  int
	flushing           int
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
	rt.accepted++
	if rt.backlogLocked() >= rt.maxEvents {
		rt.dropOldestLocked()
	}
	rt.waiting = append(rt.waiting, p)
	n := len(rt.waiting)
	rt.mu.Unlock()
	// The first event arms the short drain timer; a full chunk is processed at once.
	if n == 1 || n >= drainBatch {
		rt.wakeUp()
	}
}

func (rt *runtime) backlogLocked() int {
	return len(rt.waiting) + len(rt.parked) + len(rt.queue) + rt.retryEvents
}

// dropOldestLocked frees room for one event: a batch awaiting retry first, else the oldest
// queued event, else the oldest event waiting to be processed. Drops are reported to the
// collector in the next batch's droppedEvents.
func (rt *runtime) dropOldestLocked() bool {
	n := 0
	switch {
	case len(rt.retries) > 0:
		b := rt.retries[0]
		rt.retries = rt.retries[1:]
		rt.retryEvents -= b.count
		rt.retryBytes -= len(b.body)
		rt.droppedSinceReport += b.dropped
		rt.stats.FailedBatches++
		n = b.count
	case len(rt.queue) > 0:
		rt.queueBytes -= len(rt.queue[0].json)
		rt.queue[0] = queued{}
		rt.queue = rt.queue[1:]
		n = 1
	case len(rt.waiting) > 0:
		rt.waiting[0] = nil
		rt.waiting = rt.waiting[1:]
		n = 1
	default:
		return false
	}
	rt.stats.Dropped += n
	rt.settled += n
	rt.droppedSinceReport += n
	if !rt.loggedFull {
		rt.loggedFull = true
		rt.log.debug(fmt.Sprintf("event queue full (%d events or %d bytes); dropping the oldest until the collector catches up", rt.maxEvents, rt.maxBytes))
	}
	rt.notifyLocked()
	return true
}

// dropLocked counts events lost in a pipeline stage.
func (rt *runtime) dropLocked(n int) {
	rt.stats.Dropped += n
	rt.settled += n
	rt.notifyLocked()
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
		partial := tick || rt.flushing > 0
		rt.mu.Unlock()
		rt.send(partial)

		// Sleep until the next tick, the end of a backoff, or a short drain delay.
		rt.mu.Lock()
		wait := time.Until(nextTick)
		if len(rt.waiting) > 0 && rt.flushing == 0 && wait > drainDelay {
			wait = drainDelay
		} else if len(rt.waiting) > 0 {
			wait = 0
		}
		if len(rt.retries) > 0 || rt.flushing > 0 && len(rt.queue) > 0 {
			if until := time.Until(rt.pausedUntil); until < wait {
				wait = until
			}
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

// process prepares every event that is ready (its identify settled), in order.
func (rt *runtime) process() {
	rt.mu.Lock()
	work := append(rt.parked, rt.waiting...)
	rt.waiting = nil
	rt.parked = nil
	rt.mu.Unlock()
	var parked []*pending
	for _, p := range work {
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
	}
	if len(parked) > 0 {
		rt.mu.Lock()
		rt.parked = append(parked, rt.parked...)
		rt.mu.Unlock()
	}
}

// prepare builds, completes, redacts and serializes one event, then queues its JSON. Every
// stage catches its own failure: the event is dropped and counted, never sent half-redacted.
func (rt *runtime) prepare(p *pending) {
	t := p.t
	fail := func(key, msg string) {
		rt.mu.Lock()
		rt.dropLocked(1)
		rt.mu.Unlock()
		t.log.warnOnce("pipeline:"+key, msg+"; the event was dropped")
	}
	defer func() {
		if v := recover(); v != nil {
			fail("internal", fmt.Sprintf("internal error while preparing an event (%v)", v))
		}
	}()
	e := p.ready
	if p.call != nil {
		built, err := p.call.build()
		if err != nil {
			fail("build", "could not record a "+p.call.req.Method+" event: "+err.Error())
			return
		}
		e = built
	}
	if p.identity != nil {
		withIdentity(e, p.identity.wait())
	}
	if p.call != nil {
		t.addCallbackData(rt, e, p.call.req)
	}
	type scrubbed struct {
		data []byte
		err  error
	}
	scrub := func() scrubbed {
		data, err := scrubEvent(e, t.cfg.redact)
		return scrubbed{data, err}
	}
	var out scrubbed
	if t.cfg.redact == nil {
		out = scrub()
	} else {
		// The user's function is bounded like every callback; a timeout drops the event too.
		var err error
		if out, err = bounded(rt, t.cfg.identifyTimeout, scrub); err != nil {
			out.err = &redactFailure{err}
		}
	}
	if out.err != nil {
		var redactErr *redactFailure
		if errors.As(out.err, &redactErr) {
			fail("redact", out.err.Error()+", not sent unredacted")
		} else {
			fail("encode", "could not serialize an event ("+out.err.Error()+")")
		}
		return
	}
	data := out.data
	rt.enqueue(batchKey{t.cfg.apiBaseURL, t.projectID}, data)
}

func (rt *runtime) enqueue(key batchKey, data []byte) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	for rt.queueBytes+rt.retryBytes+len(data) > rt.maxBytes && rt.dropOldestLocked() {
	}
	rt.queue = append(rt.queue, queued{key: key, json: data})
	rt.queueBytes += len(data)
}

// addCallbackData runs EventTags and EventProperties, each bounded by the identify timeout.
func (t *Tracker) addCallbackData(rt *runtime, e *Event, r *Request) {
	if f := t.cfg.eventTags; f != nil {
		tags, err := bounded(rt, t.cfg.identifyTimeout, func() map[string]string { return f(ctxOf(r), r) })
		if err != nil {
			t.log.warnOnce("eventTags:"+err.Error(), "EventTags "+err.Error()+"; tags omitted")
		}
		valid, problems := validateTags(tags)
		if len(problems) > 0 {
			t.log.warnOnce("eventTags:invalid", fmt.Sprintf("EventTags: %v; dropped", problems))
		}
		e.Tags = valid
	}
	if f := t.cfg.eventProperties; f != nil {
		props, err := bounded(rt, t.cfg.identifyTimeout, func() map[string]any { return f(ctxOf(r), r) })
		if err != nil {
			t.log.warnOnce("eventProperties:"+err.Error(), "EventProperties "+err.Error()+"; properties omitted")
		}
		if len(props) > 0 {
			e.Properties = props
		}
	}
}

func ctxOf(r *Request) context.Context {
	return context.WithoutCancel(r.Ctx)
}

// bounded runs a user callback with a timeout and turns its panic into an error. A callback
// that never returns is abandoned (its goroutine ends when it does), never waited for.
func bounded[T any](rt *runtime, timeout time.Duration, fn func() T) (T, error) {
	type outcome struct {
		value T
		err   error
	}
	ch := make(chan outcome, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				ch <- outcome{err: fmt.Errorf("panicked (%v)", p)}
			}
		}()
		ch <- outcome{value: fn()}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var zero T
	select {
	case o := <-ch:
		return o.value, o.err
	case <-timer.C:
		return zero, fmt.Errorf("timed out after %s", timeout)
	case <-rt.stop:
		return zero, fmt.Errorf("was abandoned at shutdown")
	}
}

// flush waits until every event accepted before the call is sent or dropped, or ctx ends.
func (rt *runtime) flush(ctx context.Context) error {
	rt.mu.Lock()
	goal := rt.accepted
	rt.flushing++
	rt.mu.Unlock()
	defer func() {
		rt.mu.Lock()
		rt.flushing--
		rt.mu.Unlock()
	}()
	rt.wakeUp()
	for {
		rt.mu.Lock()
		if rt.settled >= goal || rt.stopped {
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
	rt.mu.Lock()
	left := len(rt.waiting) + len(rt.parked) + len(rt.queue) + rt.retryEvents
	rt.waiting, rt.parked, rt.queue, rt.retries = nil, nil, nil, nil
	rt.retryEvents, rt.retryBytes, rt.queueBytes = 0, 0, 0
	if left > 0 {
		rt.dropLocked(left)
		rt.log.debug(fmt.Sprintf("shut down with %d undelivered events", left))
	}
	rt.mu.Unlock()
	rt.transport.CloseIdleConnections()
	return err
}

func (rt *runtime) snapshot() DeliveryStats {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	s := rt.stats
	s.Queued = len(rt.waiting) + len(rt.parked) + len(rt.queue)
	s.InFlight = rt.retryEvents
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

// Shutdown flushes within ctx's deadline, then stops the delivery goroutine; events recorded
// afterwards by servers tracked before it are dropped. A later Track starts delivery again.
// Call it when your server stops (from your own signal handling: mcpsight installs none).
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
