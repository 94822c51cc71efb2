package mcpsight

import (
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"strconv"
	"sync"
	"time"
)

// Sessions. Stateful HTTP sessions are derived from the transport's session id (Mcp-Session-Id)
// and the project id, so every process serving the same MCP session reports the same id; stdio
// and in-memory connections get one random id per connection. Idle sessions end after 30 minutes.

// sessionState is what mcpsight remembers about one stateful session.
type sessionState struct {
	id string

	mu         sync.Mutex
	lastSeen   time.Time
	identity   *UserIdentity   // attached to the session's events once known
	identified bool            // identify ran (or runs); not again unless the credential changes
	credential string          // fingerprint of the credential identify ran with
	pending    *identityFuture // the identify in flight
	client     NameVersion     // learned at initialize
	protocol   string          // the protocol version initialize settled
}

func (s *sessionState) clientInfo() NameVersion {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.client
}

// deriveSessionID is the deterministic session id of a transport session within a project.
func deriveSessionID(projectID, transportID string, generation int) string {
	h := sha256.New()
	h.Write([]byte(projectID))
	h.Write([]byte{0})
	h.Write([]byte(transportID))
	if generation > 0 {
		h.Write([]byte{0})
		h.Write([]byte(strconv.Itoa(generation)))
	}
	return "ses_" + hex.EncodeToString(h.Sum(nil))[:32]
}

// maxSessions bounds the sessions remembered per project; the least recently active go first.
const maxSessions = 10_000

type sessionEntry struct {
	key        any
	state      *sessionState
	generation int
}

// sessionStore holds one project's sessions in least-recently-active order.
type sessionStore struct {
	projectID string
	mu        sync.Mutex
	order     *list.List
	byKey     map[any]*list.Element
}

func newSessionStore(projectID string) *sessionStore {
	return &sessionStore{projectID: projectID, order: list.New(), byKey: map[any]*list.Element{}}
}

// resolve finds or starts the session of a request; nil means stateless.
func (s *sessionStore) resolve(r *Request, forceStateless *bool, now time.Time) *sessionState {
	if forceStateless != nil && *forceStateless {
		return nil
	}
	var key any
	switch {
	case r.Stateless && forceStateless == nil:
		return nil
	case r.TransportSessionID != "":
		key = "http:" + r.TransportSessionID
	case (forceStateless == nil || *forceStateless) && r.HTTP:
		return nil
	case r.Connection != nil && reflect.TypeOf(r.Connection).Comparable():
		key = r.Connection
	default:
		key = s // one session for a server whose connection cannot be told apart
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	el, ok := s.byKey[key]
	if !ok {
		s.evict(now)
		entry := &sessionEntry{key: key, state: s.newState(r, 0, now)}
		el = s.order.PushBack(entry)
		s.byKey[key] = el
	} else {
		s.order.MoveToBack(el)
	}
	entry := el.Value.(*sessionEntry)
	entry.state.mu.Lock()
	idle := now.Sub(entry.state.lastSeen) > sessionIdleTimeout
	if !idle {
		entry.state.lastSeen = now
	}
	entry.state.mu.Unlock()
	if idle {
		entry.generation++
		entry.state = s.newState(r, entry.generation, now) // seen now
	}
	return entry.state
}

func (s *sessionStore) newState(r *Request, generation int, now time.Time) *sessionState {
	id := "ses_" + randomHex(16)
	if r.TransportSessionID != "" {
		id = deriveSessionID(s.projectID, r.TransportSessionID, generation)
	}
	return &sessionState{id: id, lastSeen: now}
}

// peek is the session of a transport session id, if known (for custom events).
func (s *sessionStore) peek(transportID string) *sessionState {
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.byKey["http:"+transportID]; ok {
		return el.Value.(*sessionEntry).state
	}
	return nil
}

// evict drops idle sessions from the front, and the least recently active while at the cap.
func (s *sessionStore) evict(now time.Time) {
	for el := s.order.Front(); el != nil; el = s.order.Front() {
		entry := el.Value.(*sessionEntry)
		entry.state.mu.Lock()
		idle := now.Sub(entry.state.lastSeen) > sessionIdleTimeout
		entry.state.mu.Unlock()
		if s.order.Len() < maxSessions && !idle {
			return
		}
		s.order.Remove(el)
		delete(s.byKey, entry.key)
	}
}

// projectMemory is what mcpsight remembers per project across server instances (stateless
// servers are often created per request).
type projectMemory struct {
	sessions *sessionStore
	clients  *statelessClients

	mu            sync.Mutex
	injectedTools map[string]bool
	stateless     *lru[statelessSeen]
	identifyCache *lru[*UserIdentity]
	cacheTTL      time.Duration
	// identifying holds, per cache key whose identify is running, the requests waiting for it.
	identifying map[string][]func(identifyOutcome)
}

type statelessSeen struct {
	identity *UserIdentity
	at       time.Time
}

var (
	memoriesMu sync.Mutex
	memories   = map[string]*projectMemory{}
)

func memoryFor(projectID string) *projectMemory {
	memoriesMu.Lock()
	defer memoriesMu.Unlock()
	m := memories[projectID]
	if m == nil {
		m = &projectMemory{
			sessions:      newSessionStore(projectID),
			clients:       newStatelessClients(projectID),
			injectedTools: map[string]bool{},
			stateless:     newLRU[statelessSeen](10_000, 24*time.Hour),
		}
		memories[projectID] = m
	}
	return m
}

func (m *projectMemory) setInjected(tool string, injected bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.injectedTools) < 10_000 {
		m.injectedTools[tool] = injected
	}
}

// injected reports whether a tools/list in this process gave the tool the `context` argument
// (known false: none listed it).
func (m *projectMemory) injected(tool string) (injected, known bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	injected, known = m.injectedTools[tool]
	return injected, known
}

// cache is the project's identify cache, created by the first tracker asking (its TTL wins).
func (m *projectMemory) cache(ttl time.Duration) *lru[*UserIdentity] {
	if ttl <= 0 {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.identifyCache == nil {
		m.identifyCache = newLRU[*UserIdentity](10_000, ttl)
	}
	return m.identifyCache
}

// joinIdentify adds settle to the requests waiting for an identify already running for key and
// reports true; with none running it records that the caller starts one and reports false.
func (m *projectMemory) joinIdentify(key string, settle func(identifyOutcome)) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if waiting, ok := m.identifying[key]; ok {
		m.identifying[key] = append(waiting, settle)
		return true
	}
	if m.identifying == nil {
		m.identifying = map[string][]func(identifyOutcome){}
	}
	m.identifying[key] = nil
	return false
}

// identifyDone ends the identify running for key and returns the requests that waited for it.
func (m *projectMemory) identifyDone(key string) []func(identifyOutcome) {
	m.mu.Lock()
	defer m.mu.Unlock()
	waiting := m.identifying[key]
	delete(m.identifying, key)
	return waiting
}

// noteStatelessIdentity reports whether an identify event is due for a stateless user: first
// seen, changed, or back after the session idle timeout.
func (m *projectMemory) noteStatelessIdentity(identity *UserIdentity, now time.Time) bool {
	known, ok := m.stateless.get(identity.UserID)
	m.stateless.set(identity.UserID, statelessSeen{identity: identity, at: now})
	return !ok || identityChanged(known.identity, identity) || now.Sub(known.at) > sessionIdleTimeout
}

func identityChanged(previous, next *UserIdentity) bool {
	if previous == nil {
		return next != nil
	}
	if next == nil || previous.UserID != next.UserID || previous.UserName != next.UserName {
		return true
	}
	return !reflect.DeepEqual(previous.UserData, next.UserData)
}
