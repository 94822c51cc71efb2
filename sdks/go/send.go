package mcpsight

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	goruntime "runtime"
	"strconv"
	"strings"
	"time"
)

// maxInFlight is how many batches are POSTed at once (as the TypeScript SDK): events keep being
// built and batched while the collector answers.
const maxInFlight = 4

// pump starts sends while delivery is not backing off and fewer than maxInFlight are in flight:
// held batches first (oldest first), then full batches from the queue, and a partial one on a
// tick or while flushing. While backing off it still forms full batches, compresses them and
// holds them, so that they count by their compressed size. On the delivery goroutine.
func (rt *runtime) pump(partial bool) {
	for {
		select {
		case <-rt.stop:
			return
		default:
		}
		b, send := rt.nextBatch(partial)
		if b == nil {
			return
		}
		rt.compress(b)
		if send {
			rt.launch(b)
		}
	}
}

// nextBatch is the next batch to send (send), or one formed and held during a backoff, or nil.
func (rt *runtime) nextBatch(partial bool) (b *batch, send bool) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.backingOffLocked(time.Now()) {
		if len(rt.queue) == 0 || !rt.fullBatchLocked() {
			return nil, false
		}
		b = rt.takeBatchLocked()
		rt.holdLocked(b)
		return b, false
	}
	if rt.inFlight >= rt.maxInFlight {
		return nil, false
	}
	switch {
	case len(rt.held) > 0:
		b = rt.held[0]
		rt.held[0] = nil
		rt.held = rt.held[1:]
		if b.attempts > 0 {
			rt.stats.RetriedBatches++
		}
	case len(rt.queue) > 0 && (partial || rt.fullBatchLocked()):
		b = rt.takeBatchLocked()
	default:
		return nil, false
	}
	rt.inFlight++
	return b, true
}

// launch POSTs a batch on its own goroutine (Shutdown waits for it), then wakes delivery.
func (rt *runtime) launch(b *batch) {
	rt.senders.Add(1)
	go func() {
		defer rt.senders.Done()
		rt.settle(b, rt.post(b))
		rt.wakeUp()
	}()
}

// compress makes a batch's body once, outside the lock (the request path takes it); from then on
// the batch counts toward MaxQueueBytes by its compressed size.
func (rt *runtime) compress(b *batch) {
	if b.body != nil {
		return
	}
	body := rt.gzip.batch(b.events, b.dropped)
	rt.mu.Lock()
	defer rt.mu.Unlock()
	b.body, b.events = body, nil
	if b.counted {
		rt.heldBytes += len(body) - b.bytes
		rt.makeRoomLocked(0) // gzip rarely grows text; if it did, the bound still holds
		rt.notePeakLocked()
	}
	b.bytes = len(body)
}

// batchWriter gzips batch bodies with one reused writer (only the delivery goroutine uses it).
type batchWriter struct {
	buf bytes.Buffer
	zw  *gzip.Writer
}

var (
	batchOpen  = []byte(`{"events":[`)
	batchComma = []byte{','}
	batchClose = []byte{']'}
	batchEnd   = []byte{'}'}
)

// batch joins the events' JSON into a gzipped {"events":[…],"droppedEvents":n}.
func (w *batchWriter) batch(events [][]byte, dropped int) []byte {
	w.buf.Reset()
	if w.zw == nil {
		w.zw, _ = gzip.NewWriterLevel(&w.buf, gzip.BestSpeed)
	} else {
		w.zw.Reset(&w.buf)
	}
	_, _ = w.zw.Write(batchOpen)
	for i, e := range events {
		if i > 0 {
			_, _ = w.zw.Write(batchComma)
		}
		_, _ = w.zw.Write(e)
		if i%(4*yieldEvery) == 4*yieldEvery-1 {
			goruntime.Gosched() // see process: compressing a batch is a burst too
		}
	}
	_, _ = w.zw.Write(batchClose)
	if dropped > 0 {
		_, _ = w.zw.Write([]byte(`,"droppedEvents":` + strconv.Itoa(dropped)))
	}
	_, _ = w.zw.Write(batchEnd)
	_ = w.zw.Close()
	return bytes.Clone(w.buf.Bytes())
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

// settle records what became of a batch. On the sender's goroutine.
func (rt *runtime) settle(b *batch, o postOutcome) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	defer rt.notifyLocked()
	rt.inFlight--
	b.attempts++
	if o.kind == retryLater && !rt.stopped {
		rt.failures++
		delay := o.retryAfter
		if delay == 0 {
			delay = backoff(rt.failures - 1)
		}
		if until := time.Now().Add(delay); until.After(rt.pausedUntil) {
			rt.pausedUntil = until
		}
		rt.holdLocked(b) // still counted: it waits with the others, oldest first
		msg := fmt.Sprintf("could not deliver %d events (%s); retrying in %s", b.count, o.reason, delay.Round(time.Millisecond))
		if rt.failures == 1 {
			rt.log.warn(msg)
		} else {
			rt.log.debug(msg)
		}
		return
	}
	rt.releaseLocked(b)
	switch o.kind {
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
		rt.settleLocked(b.numbers...)
		rt.log.debug(fmt.Sprintf("delivered %d events (HTTP %d)", b.count-len(rejected), o.status))
	case retryLater: // after Shutdown nothing is retried
		rt.stats.FailedBatches++
		rt.droppedSinceReport += b.dropped
		rt.dropLocked(b.numbers...)
		rt.log.debug(fmt.Sprintf("dropping %d events after shutdown (%s)", b.count, o.reason))
	default:
		rt.failures = 0 // the collector answered: backing off would not help
		rt.stats.FailedBatches++
		rt.droppedSinceReport += b.dropped
		rt.dropLocked(b.numbers...)
		if o.status == http.StatusNotFound && strings.Contains(o.reason, `"not_found"`) {
			// No such route: the URL is not a collector's base URL (a path after it, or another server).
			rt.log.warnOnce("404:route", fmt.Sprintf("%s answered HTTP 404 to POST /v1/batch: it is no mcpsight collector's base URL; %d events dropped. Set APIBaseURL (or MCPSIGHT_URL) to the URL the collector prints when it starts, such as http://127.0.0.1:4747, without a path", b.key.url, b.count))
		} else if o.status == http.StatusNotFound {
			rt.log.warnOnce("404:"+b.key.project, fmt.Sprintf("the collector at %s does not know project %q: create it (mcpsight project create <name>) or check the project id; %d events dropped", b.key.url, b.key.project, b.count))
		} else {
			rt.log.warnOnce("rejected-batch:"+strconv.Itoa(o.status), fmt.Sprintf("the collector rejected %d events with HTTP %d; dropping them (a retry would fail the same way): %s", b.count, o.status, o.reason))
		}
	}
}
