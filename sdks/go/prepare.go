package mcpsight

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"
)

// Building events, on the delivery goroutine: a request only recorded its facts (Call); here
// they become an event, get the identity, tags and properties, go through the privacy pass and
// are serialized once, into the JSON the queue holds.

// prepare builds, completes, redacts and serializes one event, then queues its JSON. Every
// stage catches its own failure: the event is dropped and counted, never sent half-redacted.
func (rt *runtime) prepare(p *pending) {
	t := p.t
	fail := func(key, msg string) {
		rt.mu.Lock()
		rt.dropLocked(p.number)
		rt.mu.Unlock()
		t.log.warnOnce("pipeline:"+key, msg+"; the event was dropped")
	}
	defer func() {
		if v := recover(); v != nil {
			fail("internal", fmt.Sprintf("internal error while preparing an event (%v)", v))
		}
	}()
	if p.call == nil && p.ready == nil { // an identify event's slot, left empty
		rt.mu.Lock()
		rt.settleLocked(p.number)
		rt.mu.Unlock()
		return
	}
	w := getWriter() // released by whoever runs the last stage with it
	e := p.ready
	if p.call != nil {
		built, err := p.call.build(w)
		if err != nil {
			w.release()
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
	var out scrubResult
	if t.cfg.redact == nil {
		out = scrubAndRelease(w, e, nil)
	} else {
		// The user's function is bounded like every callback; a timeout drops the event too.
		var err error
		if out, err = bounded(rt, t.cfg.identifyTimeout, func() scrubResult { return scrubAndRelease(w, e, t.cfg.redact) }); err != nil {
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
	rt.enqueue(batchKey{t.cfg.apiBaseURL, t.projectID}, p.number, data)
}

// scrubResult is an event's JSON after the privacy pass, or why there is none.
type scrubResult struct {
	data []byte
	err  error
}

// scrubAndRelease runs the privacy pass of e with w, then releases w.
func scrubAndRelease(w *eventWriter, e *Event, redact func(string) (string, error)) scrubResult {
	defer w.release()
	data, err := w.scrub(e, redact)
	if err != nil {
		return scrubResult{err: err}
	}
	return scrubResult{data: bytes.Clone(data)}
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
