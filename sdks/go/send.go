package mcpsight

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// batch is a set of events of one project for one collector, compressed once and re-sent as is
// on retry (same ids: the collector ignores repeats).
type batch struct {
	key     batchKey
	body    []byte
	count   int
	dropped int // queue-full drops this batch reports; handed back if it is lost
}

// send posts batches while the collector accepts them: retries first, then full batches, and
// partial ones on a tick or while flushing.
func (rt *runtime) send(partial bool) {
	for {
		select {
		case <-rt.stop:
			return
		default:
		}
		b := rt.nextBatch(partial)
		if b == nil {
			return
		}
		rt.settle(b, rt.post(b))
	}
}

func (rt *runtime) nextBatch(partial bool) *batch {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if time.Now().Before(rt.pausedUntil) {
		return nil
	}
	if len(rt.retries) > 0 {
		b := rt.retries[0]
		rt.retries = rt.retries[1:]
		rt.retryEvents -= b.count
		rt.retryBytes -= len(b.body)
		rt.stats.RetriedBatches++
		rt.inFlightLocked(b)
		return b
	}
	if len(rt.queue) == 0 || (!partial && len(rt.queue) < limitBatchEvents && rt.queueBytes < limitBatchBytes) {
		return nil
	}
	key := rt.queue[0].key
	var events [][]byte
	size, taken, full, skipped := 0, 0, false, false
	var rest []queued
	for _, q := range rt.queue {
		if !full && q.key == key {
			if len(events) < limitBatchEvents && (len(events) == 0 || size+len(q.json)+1 <= limitBatchBytes-64) {
				events = append(events, q.json)
				size += len(q.json) + 1
				taken++
				continue
			}
			full = true
		}
		if !full {
			skipped = true
		}
		if skipped {
			rest = append(rest, q)
		}
	}
	if skipped {
		rt.queue = rest
	} else {
		// The batch is a prefix of the queue (one project): no copy.
		clear(rt.queue[:taken])
		rt.queue = rt.queue[taken:]
	}
	for _, e := range events {
		rt.queueBytes -= len(e)
	}
	body := encodeBatch(events, rt.droppedSinceReport)
	b := &batch{key: key, body: body, count: len(events), dropped: rt.droppedSinceReport}
	if rt.droppedSinceReport > 0 {
		rt.log.debug(fmt.Sprintf("reporting %d dropped events to the collector", rt.droppedSinceReport))
		rt.droppedSinceReport = 0
		rt.loggedFull = false
	}
	rt.inFlightLocked(b)
	return b
}

// inFlightLocked counts a batch being sent toward the queue bound, as one awaiting retry.
func (rt *runtime) inFlightLocked(b *batch) {
	rt.retryEvents += b.count
	rt.retryBytes += len(b.body)
}

// encodeBatch joins the events' JSON into a gzipped {"events":[…],"droppedEvents":n}.
func encodeBatch(events [][]byte, dropped int) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	_, _ = zw.Write([]byte(`{"events":[`))
	for i, e := range events {
		if i > 0 {
			_, _ = zw.Write([]byte{','})
		}
		_, _ = zw.Write(e)
	}
	_, _ = zw.Write([]byte{']'})
	if dropped > 0 {
		_, _ = zw.Write([]byte(`,"droppedEvents":` + strconv.Itoa(dropped)))
	}
	_, _ = zw.Write([]byte{'}'})
	_ = zw.Close()
	return buf.Bytes()
}

type outcomeOf int

const (
	delivered outcomeOf = iota
	retryLater
	rejectedBatch
)

type postOutcome struct {
	kind       outcomeOf
	status     int
	reason     string
	retryAfter time.Duration
	response   batchResponse
}

type batchResponse struct {
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
	Rejected   []struct {
		Index  int    `json:"index"`
		Code   string `json:"code"`
		Field  string `json:"field"`
		Reason string `json:"reason"`
	} `json:"rejected"`
}

// post sends one batch. Never panics: every failure becomes an outcome.
func (rt *runtime) post(b *batch) (out postOutcome) {
	defer func() {
		if p := recover(); p != nil {
			out = postOutcome{kind: retryLater, reason: fmt.Sprint(p)}
		}
	}()
	req, err := http.NewRequestWithContext(rt.ctx, http.MethodPost, b.key.url+"/v1/batch", bytes.NewReader(b.body))
	if err != nil {
		return postOutcome{kind: rejectedBatch, reason: "invalid collector URL: " + err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("X-MCPSight-Protocol", "1")
	req.Header.Set("X-MCPSight-SDK", SDKLanguage+"/"+SDKVersion)
	req.Header.Set("X-MCPSight-Project", b.key.project)
	resp, err := rt.client.Do(req)
	if err != nil {
		return postOutcome{kind: retryLater, reason: err.Error()}
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	status := resp.StatusCode
	switch {
	case status >= 200 && status < 300:
		out := postOutcome{kind: delivered, status: status}
		_ = json.Unmarshal(text, &out.response)
		return out
	case status == 408 || status == 429 || status >= 500:
		return postOutcome{kind: retryLater, status: status, reason: "HTTP " + strconv.Itoa(status), retryAfter: parseRetryAfter(resp.Header.Get("Retry-After"))}
	default:
		return postOutcome{kind: rejectedBatch, status: status, reason: strings.TrimSpace(string(text[:min(len(text), 500)]))}
	}
}

// parseRetryAfter reads delta-seconds or an HTTP date, capped at 30 s; 0 when absent or invalid.
func parseRetryAfter(value string) time.Duration {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseFloat(value, 64); err == nil {
		d = time.Duration(secs * float64(time.Second))
	} else if at, err := http.ParseTime(value); err == nil {
		d = time.Until(at)
	}
	return max(0, min(d, retryAfterCap))
}

// backoff is exponential with full jitter: uniform in [0, min(cap, base·2^attempt)).
func backoff(attempt int) time.Duration {
	ceiling := retryBase << min(attempt, 20)
	if ceiling > retryCap || ceiling <= 0 {
		ceiling = retryCap
	}
	return time.Duration(rand.Int64N(int64(ceiling)))
}

func (rt *runtime) settle(b *batch, o postOutcome) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.retryEvents -= b.count
	rt.retryBytes -= len(b.body)
	if rt.stopped {
		if o.kind != delivered {
			rt.dropLocked(b.count)
			return
		}
	}
	switch o.kind {
	case retryLater:
		rt.failures++
		delay := o.retryAfter
		if delay == 0 {
			delay = backoff(rt.failures - 1)
		}
		rt.pausedUntil = time.Now().Add(delay)
		rt.retries = append([]*batch{b}, rt.retries...)
		rt.retryEvents += b.count
		rt.retryBytes += len(b.body)
		msg := fmt.Sprintf("could not deliver %d events (%s); retrying in %s", b.count, o.reason, delay.Round(time.Millisecond))
		if rt.failures == 1 {
			rt.log.warn(msg)
		} else {
			rt.log.debug(msg)
		}
		return
	case delivered:
		if rt.failures > 0 {
			rt.log.debug("collector reachable again")
		}
		rt.failures = 0
		rejected := map[int]bool{}
		for _, r := range o.response.Rejected {
			if r.Index >= 0 && r.Index < b.count {
				if !rejected[r.Index] {
					rt.log.warnOnce("rejected:"+r.Code, fmt.Sprintf("the collector rejected events (%s: %s %s); they were dropped", r.Code, r.Field, r.Reason))
				}
				rejected[r.Index] = true
			}
		}
		rt.stats.Sent += b.count - len(rejected)
		rt.stats.Rejected += len(rejected)
		rt.stats.Dropped += len(rejected)
		rt.settled += b.count
		rt.log.debug(fmt.Sprintf("delivered %d events (HTTP %d)", b.count-len(rejected), o.status))
	default:
		rt.failures = 0 // the collector answered: backing off would not help
		rt.stats.Dropped += b.count
		rt.stats.FailedBatches++
		rt.settled += b.count
		rt.droppedSinceReport += b.dropped
		if o.status == http.StatusNotFound {
			rt.log.warnOnce("404:"+b.key.project, fmt.Sprintf("the collector at %s does not know project %q: create it (mcpsight project create <name>) or check the project id; %d events dropped", b.key.url, b.key.project, b.count))
		} else {
			rt.log.warnOnce("rejected-batch:"+strconv.Itoa(o.status), fmt.Sprintf("the collector rejected %d events with HTTP %d; dropping them (a retry would fail the same way): %s", b.count, o.status, o.reason))
		}
	}
	rt.notifyLocked()
}
