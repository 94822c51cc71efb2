package mcpsight

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// identityFuture is the outcome of one identify run: the identity the requests made with that
// credential carry. It resolves once, when identify returns or times out.
type identityFuture struct {
	done     chan struct{}
	once     sync.Once
	identity *UserIdentity
	notify   func()
}

func newFuture(notify func()) *identityFuture {
	return &identityFuture{done: make(chan struct{}), notify: notify}
}

func resolvedFuture(identity *UserIdentity) *identityFuture {
	f := &identityFuture{done: make(chan struct{}), identity: identity}
	close(f.done)
	return f
}

func (f *identityFuture) resolve(identity *UserIdentity) {
	f.once.Do(func() {
		f.identity = identity
		close(f.done)
		if f.notify != nil {
			f.notify()
		}
	})
}

func (f *identityFuture) ready() bool {
	select {
	case <-f.done:
		return true
	default:
		return false
	}
}

// wait returns the identity once resolved.
func (f *identityFuture) wait() *UserIdentity {
	<-f.done
	return f.identity
}

type outcomeKind int

const (
	identified outcomeKind = iota
	anonymous
	failed
)

type identifyOutcome struct {
	kind     outcomeKind
	identity *UserIdentity
	problem  string
}

// toIdentity checks and copies what identify returned.
func toIdentity(v *UserIdentity) (*UserIdentity, bool) {
	if v.UserID == "" {
		return nil, false
	}
	out := &UserIdentity{UserID: clip(v.UserID, limitName), UserName: clip(v.UserName, limitName)}
	if v.UserData != nil {
		out.UserData = v.UserData
	}
	return out, true
}

// runIdentify calls identify (through the cache when configured) and hands the outcome to
// settle exactly once: when identify returns, fails, panics, or after the timeout. It returns
// at once; identify runs on its own goroutine so the request never waits for it. With the cache,
// requests with the same key that arrive while identify runs for it share that call.
func (t *Tracker) runIdentify(r *Request, settle func(identifyOutcome)) {
	cache := t.memory.cache(t.cfg.identifyCacheTTL)
	key := ""
	if cache != nil {
		key = t.cacheKey(r)
		if key != "" {
			if hit, ok := cache.get(key); ok {
				if hit == nil {
					settle(identifyOutcome{kind: anonymous})
				} else {
					settle(identifyOutcome{kind: identified, identity: hit})
				}
				return
			}
			if t.memory.joinIdentify(key, settle) {
				return
			}
		}
	}
	var once sync.Once
	finish := func(o identifyOutcome) {
		once.Do(func() {
			if o.kind == failed {
				t.log.warnOnce("identify:"+strings.Fields(o.problem)[0],
					"identify "+o.problem+"; the request was tracked without (new) identity")
			} else if key != "" {
				cache.set(key, o.identity)
			}
			settle(o)
			if key != "" {
				for _, waiting := range t.memory.identifyDone(key) {
					waiting(o)
				}
			}
		})
	}
	timeout := t.cfg.identifyTimeout
	timer := time.AfterFunc(timeout, func() {
		finish(identifyOutcome{kind: failed, problem: fmt.Sprintf("timed out after %s", timeout)})
	})
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Ctx), timeout)
	go func() {
		defer cancel()
		defer timer.Stop()
		o := t.callIdentify(ctx, r)
		if o.kind == failed && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			// Identify gave up on the context mcpsight bounded: that is the timeout, said once.
			o.problem = fmt.Sprintf("timed out after %s", timeout)
		}
		finish(o)
	}()
}

func (t *Tracker) callIdentify(ctx context.Context, r *Request) (outcome identifyOutcome) {
	defer func() {
		if p := recover(); p != nil {
			outcome = identifyOutcome{kind: failed, problem: fmt.Sprintf("panicked (%v)", p)}
		}
	}()
	identity, err := t.cfg.identify(ctx, r)
	if err != nil {
		return identifyOutcome{kind: failed, problem: fmt.Sprintf("returned an error (%v)", err)}
	}
	if identity == nil {
		return identifyOutcome{kind: anonymous}
	}
	checked, ok := toIdentity(identity)
	if !ok {
		return identifyOutcome{kind: failed, problem: "returned an identity without UserID"}
	}
	return identifyOutcome{kind: identified, identity: checked}
}

func (t *Tracker) cacheKey(r *Request) (key string) {
	if t.cfg.identifyCacheKey == nil {
		return r.credentialFingerprint()
	}
	defer func() {
		if p := recover(); p != nil {
			t.log.warnOnce("identifyCache.key", fmt.Sprintf("IdentifyCache.Key panicked (%v); not caching", p))
			key = ""
		}
	}()
	if custom := t.cfg.identifyCacheKey(r.Ctx, r); custom != "" {
		return fingerprint(custom)
	}
	return ""
}

// identifySession identifies a stateful session once, and again when its credential changes.
func (t *Tracker) identifySession(state *sessionState, r *Request, at time.Time) {
	credential := r.credentialFingerprint()
	state.mu.Lock()
	if state.identified && state.credential == credential {
		state.mu.Unlock()
		return
	}
	state.identified = true
	state.credential = credential
	previous := state.pending
	if previous == nil {
		previous = resolvedFuture(state.identity)
	}
	future := newFuture(t.rt().wakeUp)
	state.pending = future
	state.mu.Unlock()

	slot := t.identifyEventSlot(future)
	t.runIdentify(r, func(o identifyOutcome) {
		defer t.recoverInternal("identify")
		var identity *UserIdentity
		switch o.kind {
		case identified:
			identity = o.identity
		case failed:
			identity = previous.wait() // the session keeps its identity
		}
		state.mu.Lock()
		emit := false
		if state.credential == credential { // not superseded by a newer credential
			switch o.kind {
			case identified:
				if identityChanged(state.identity, o.identity) {
					state.identity = o.identity
					emit = true
				}
			case anonymous:
				state.identity = nil
			}
		}
		if state.pending == future {
			state.pending = nil
		}
		state.mu.Unlock()
		// The event fills its slot before the identity is released (deferred: even if building
		// the event fails).
		defer future.resolve(identity)
		if emit {
			slot.ready = t.identifyEvent(state, r, at)
		}
	})
}

// identifyEventSlot queues the place of the identify event that the identify run resolving
// future may emit, when the run starts: ahead of the events of the requests waiting for that
// identity, and accepted before them, so that the identify event is delivered first and a Flush
// that waits for them waits for it too. The run fills the slot before it resolves future;
// delivery passes over a slot left empty (no new identity).
func (t *Tracker) identifyEventSlot(future *identityFuture) *pending {
	slot := &pending{t: t, identity: future}
	t.rt().submit(slot)
	return slot
}

// identifyStateless identifies one stateless request.
func (t *Tracker) identifyStateless(r *Request, at time.Time) *identityFuture {
	future := newFuture(t.rt().wakeUp)
	slot := t.identifyEventSlot(future)
	t.runIdentify(r, func(o identifyOutcome) {
		defer t.recoverInternal("identify")
		if o.kind != identified {
			future.resolve(nil)
			return
		}
		defer future.resolve(o.identity)
		if t.memory.noteStatelessIdentity(o.identity, at) {
			slot.ready = t.identifyEvent(nil, r, at)
		}
	})
	return future
}
