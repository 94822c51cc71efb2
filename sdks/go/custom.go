package mcpsight

import (
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"
)

// CustomEventData is an event of your own (mcpsight:custom), recorded in a session.
type CustomEventData struct {
	ResourceName string
	Parameters   any
	Response     any
	// Message is recorded as the event's intent.
	Message  string
	Duration time.Duration
	IsError  bool
	// Error marks the event as an error and records its message and type.
	Error      error
	Tags       map[string]string
	Properties map[string]any
}

// latestTrackers holds the latest tracker per project, for custom events addressed by session id.
var latestTrackers sync.Map // project id → *Tracker

// ErrNotTracked is returned by PublishCustomEvent when no server is tracked for the project.
var ErrNotTracked = errors.New("mcpsight: no server is tracked for this project in this process; call Track first")

// PublishCustomEvent records a custom event in the session of an MCP session id (the
// transport's Mcp-Session-Id), through the same privacy pass as tracked requests. It returns
// once the event is queued.
//
//	_ = mcpsight.PublishCustomEvent(sessionID, "proj_…", &mcpsight.CustomEventData{ResourceName: "export", Message: "exported 3 notes"})
func PublishCustomEvent(sessionID, projectID string, data *CustomEventData) error {
	v, ok := latestTrackers.Load(projectID)
	if !ok {
		return ErrNotTracked
	}
	t := v.(*Tracker)
	state := t.memory.sessions.peek(sessionID)
	id := deriveSessionID(projectID, sessionID, 0)
	if state != nil {
		id = state.id
	}
	return t.publish(state, id, nil, data)
}

// statelessRequest is a stateless request as a custom event published during it needs it: its
// user (identify's outcome) and what names its client and correlates its session; nothing that
// holds the library's objects (its session, and through it the server, which a tracker must not
// keep alive: see Trackers).
type statelessRequest struct {
	method, remoteAddr, tokenCredential string
	header                              http.Header
	meta                                map[string]any
	initializeClient                    NameVersion
	identity                            *identityFuture
}

// request is the Request the client resolution reads, from the facts kept.
func (s *statelessRequest) request() *Request {
	return &Request{Method: s.method, Header: s.header, Meta: s.meta, RemoteAddr: s.remoteAddr,
		InitializeClient: s.initializeClient, TokenCredential: s.tokenCredential}
}

// PublishCustomEvent records a custom event in the session of the tracker's latest request: a
// stateful server's session, or, on a stateless one, the latest request's user, client and
// correlation, so that the event joins the stateless session that request is grouped into.
func (t *Tracker) PublishCustomEvent(data *CustomEventData) error {
	if t == nil {
		return ErrNotTracked
	}
	if last := t.lastStateless.Load(); last != nil {
		return t.publish(nil, "", last, data)
	}
	state := t.lastState.Load()
	id := ""
	if state != nil {
		id = state.id
	}
	return t.publish(state, id, nil, data)
}

// publish records a custom event in a stateful session (state), or beside a stateless request.
func (t *Tracker) publish(state *sessionState, sessionID string, stateless *statelessRequest, data *CustomEventData) (err error) {
	defer func() {
		if p := recover(); p != nil {
			t.log.warnOnce("publishCustomEvent", "PublishCustomEvent failed; event not sent")
			err = errors.New("mcpsight: PublishCustomEvent failed")
		}
	}()
	if data == nil {
		data = &CustomEventData{}
	}
	var client NameVersion
	var identity *identityFuture
	correlationID := ""
	switch {
	case state != nil:
		client = state.clientInfo()
		state.mu.Lock()
		if state.pending != nil {
			identity = state.pending
		} else if state.identity != nil {
			identity = resolvedFuture(state.identity)
		}
		state.mu.Unlock()
	case stateless != nil:
		client, correlationID = t.memory.clients.resolve(stateless.request(), "")
		identity = stateless.identity
	}
	e := newEvent(eventBase{projectID: t.projectID, sessionID: sessionID, client: client, server: t.serverInfo()}, eventTypeCustom, time.Now())
	e.CorrelationID = correlationID
	e.ResourceName = truncate(data.ResourceName, limitName)
	// Encoded now: a value that is not JSON is the caller's error to know.
	for _, field := range []struct {
		value any
		to    *any
	}{{data.Parameters, &e.Parameters}, {data.Response, &e.Response}} {
		if field.value != nil {
			raw, err := json.Marshal(field.value)
			if err != nil {
				return err
			}
			*field.to = json.RawMessage(raw)
		}
	}
	e.UserIntent = data.Message
	if data.Duration > 0 {
		e.Duration = durationMs(data.Duration)
	}
	if data.IsError || data.Error != nil {
		e.IsError = true
	}
	if data.Error != nil {
		e.Error = errorDataOf(data.Error)
	}
	tags, problems := validateTags(data.Tags)
	if len(problems) > 0 {
		t.log.warnOnce("customTags:invalid", "PublishCustomEvent: invalid tags dropped")
	}
	e.Tags = tags
	if len(data.Properties) > 0 {
		e.Properties = data.Properties
	}
	t.rt().submit(&pending{t: t, ready: e, identity: identity})
	return nil
}
