// Package sinktest is a stand-in collector for SDK tests: an HTTP server on 127.0.0.1 that takes
// the SDK's gzip batches, keeps their events, and checks each against the protocol's schema
// (eventcheck). Tests that need what the real collector stores use collectortest instead.
package sinktest

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/mcpsight/mcpsight/sdks/go/internal/eventcheck"
)

// Sink records the batches POSTed to {URL}/v1/batch.
type Sink struct {
	URL string
	// Respond decides the HTTP status of the n-th batch (from 1); nil answers 200.
	Respond func(n int) int

	server  *httptest.Server
	mu      sync.Mutex
	batches []Batch
	invalid []string
}

// Batch is one request the sink received.
type Batch struct {
	Header http.Header
	Events []json.RawMessage
	Body   map[string]any
}

// Start runs a sink until the test ends; when it ends, any event that broke the protocol's
// schema fails the test.
func Start(t testing.TB) *Sink {
	s := &Sink{}
	s.server = httptest.NewServer(http.HandlerFunc(s.handle))
	s.URL = s.server.URL
	t.Cleanup(func() {
		s.server.Close()
		for _, problem := range s.Invalid() {
			t.Error(problem)
		}
	})
	return s
}

func (s *Sink) handle(w http.ResponseWriter, r *http.Request) {
	zr, err := gzip.NewReader(r.Body)
	if err != nil {
		http.Error(w, "not gzip", http.StatusBadRequest)
		return
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		http.Error(w, "bad gzip", http.StatusBadRequest)
		return
	}
	var envelope struct {
		Events []json.RawMessage `json:"events"`
	}
	var body map[string]any
	if json.Unmarshal(data, &envelope) != nil || json.Unmarshal(data, &body) != nil {
		http.Error(w, "not JSON", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.batches = append(s.batches, Batch{Header: r.Header.Clone(), Events: envelope.Events, Body: body})
	n := len(s.batches)
	for _, event := range envelope.Events {
		for _, problem := range eventcheck.Problems(event) {
			s.invalid = append(s.invalid, fmt.Sprintf("invalid event %.300s: %s", event, problem))
		}
	}
	respond := s.Respond
	s.mu.Unlock()
	status := http.StatusOK
	if respond != nil {
		status = respond(n)
	}
	w.Header().Set("Retry-After", "0")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `{"accepted":%d,"duplicates":0,"rejected":[]}`, len(envelope.Events))
}

// Batches returns what was received so far.
func (s *Sink) Batches() []Batch {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Batch(nil), s.batches...)
}

// Events returns every event received so far, decoded, in order.
func (s *Sink) Events() []map[string]any {
	var out []map[string]any
	for _, b := range s.Batches() {
		for _, raw := range b.Events {
			var e map[string]any
			_ = json.Unmarshal(raw, &e)
			out = append(out, e)
		}
	}
	return out
}

// Invalid lists the schema problems of the events received so far.
func (s *Sink) Invalid() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.invalid...)
}

// CloseClientConnections drops the SDK's idle connections to the sink.
func (s *Sink) CloseClientConnections() { s.server.CloseClientConnections() }
