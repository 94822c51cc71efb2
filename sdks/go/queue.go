package mcpsight

import (
	"fmt"
	"time"
)

// What delivery holds, and its bounds (MaxQueueSize events, MaxQueueBytes bytes): requests'
// facts waiting to become events, events waiting for a batch (each as its JSON), and batches
// formed but not yet delivered — in flight, failed and waiting to be retried, or formed while
// delivery backs off. Batches count by their gzipped size once compressed, so an outage keeps
// many times more events within the byte bound. Full → the oldest go first, counted and
// reported to the collector in the next batch's droppedEvents. All under rt.mu.

type batchKey struct{ url, project string }

type queued struct {
	key    batchKey
	json   []byte
	number int // pending.number
}

// batch is a set of events of one project for one collector, compressed once and re-sent as is
// on retry (same ids: the collector ignores repeats).
type batch struct {
	key      batchKey
	seq      int      // order taken from the queue: batches are held, sent and dropped oldest first
	events   [][]byte // the events' JSON until compressed
	numbers  []int    // the events' pending.number
	body     []byte   // the gzipped request body, once compressed
	count    int
	bytes    int  // what it counts toward MaxQueueBytes: its events' JSON, then its body
	counted  bool // counts toward the bounds: held or in flight, not yet settled or dropped
	attempts int
	dropped  int // queue-full drops this batch reports; handed back if it is lost
}

func (rt *runtime) backlogLocked() int {
	return len(rt.waiting) + len(rt.parked) + len(rt.queue) + rt.heldEvents
}

func (rt *runtime) bytesLocked() int {
	return rt.queueBytes + rt.heldBytes
}

// notePeakLocked keeps the high-water mark of the bytes held (tests check the bound with it).
func (rt *runtime) notePeakLocked() {
	rt.peakBytes = max(rt.peakBytes, rt.bytesLocked())
}

// enqueue adds an event's JSON to the queue, making room by dropping the oldest; an event that
// cannot fit (larger than the whole budget, or only batches in flight left to drop) is dropped.
func (rt *runtime) enqueue(key batchKey, number int, data []byte) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if len(data) > rt.maxBytes || !rt.makeRoomLocked(len(data)) {
		rt.dropLocked(number)
		rt.droppedSinceReport++
		rt.logFullLocked()
		return
	}
	rt.queue = append(rt.queue, queued{key: key, json: data, number: number})
	rt.queueBytes += len(data)
	rt.notePeakLocked()
}

// makeRoomLocked drops the oldest until extra more bytes fit; false when nothing is left to drop.
func (rt *runtime) makeRoomLocked(extra int) bool {
	for rt.bytesLocked()+extra > rt.maxBytes {
		if !rt.dropOldestLocked() {
			return false
		}
	}
	return true
}

// dropOldestLocked frees room: the oldest held batch first, else the oldest queued event, else
// the oldest event waiting to be built. Batches in flight are not dropped.
func (rt *runtime) dropOldestLocked() bool {
	n := 0
	switch {
	case len(rt.held) > 0:
		b := rt.held[0]
		rt.held[0] = nil
		rt.held = rt.held[1:]
		rt.releaseLocked(b)
		rt.droppedSinceReport += b.dropped
		rt.stats.FailedBatches++
		rt.dropLocked(b.numbers...)
		n = b.count
	case len(rt.queue) > 0:
		rt.queueBytes -= len(rt.queue[0].json)
		rt.dropLocked(rt.queue[0].number)
		rt.queue[0] = queued{}
		rt.queue = rt.queue[1:]
		n = 1
	case len(rt.waiting) > 0:
		rt.dropLocked(rt.waiting[0].number)
		rt.waiting[0] = nil
		rt.waiting = rt.waiting[1:]
		n = 1
	default:
		return false
	}
	rt.droppedSinceReport += n
	rt.logFullLocked()
	return true
}

func (rt *runtime) logFullLocked() {
	if !rt.loggedFull {
		rt.loggedFull = true
		rt.log.debug(fmt.Sprintf("event queue full (%d events or %d bytes); dropping the oldest until the collector catches up", rt.maxEvents, rt.maxBytes))
	}
}

// dropLocked counts the events with these numbers as lost: queue full, a failing pipeline stage,
// a refused batch.
func (rt *runtime) dropLocked(numbers ...int) {
	rt.stats.Dropped += len(numbers)
	rt.settleLocked(numbers...)
}

// fullBatchLocked reports whether the queue holds a full batch.
func (rt *runtime) fullBatchLocked() bool {
	return len(rt.queue) >= rt.batchEvents || rt.queueBytes >= rt.batchBytes
}

// takeBatchLocked takes the oldest queued events of the first event's project and collector, at
// most batchEvents of them and batchBytes of JSON (always at least one), as a counted batch.
// The first batch after drops reports them.
func (rt *runtime) takeBatchLocked() *batch {
	key := rt.queue[0].key
	var events [][]byte
	var numbers []int
	size, full, skipped := 0, false, false
	var rest []queued
	for _, q := range rt.queue {
		if !full && q.key == key {
			if len(events) < rt.batchEvents && (len(events) == 0 || size+len(q.json)+1 <= rt.batchBytes-64) {
				events = append(events, q.json)
				numbers = append(numbers, q.number)
				size += len(q.json) + 1
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
		clear(rt.queue[:len(events)])
		rt.queue = rt.queue[len(events):]
	}
	b := &batch{key: key, seq: rt.batchSeq, events: events, numbers: numbers, count: len(events), dropped: rt.droppedSinceReport, counted: true}
	rt.batchSeq++
	for _, e := range events {
		rt.queueBytes -= len(e)
		b.bytes += len(e)
	}
	rt.heldEvents += b.count
	rt.heldBytes += b.bytes
	if rt.droppedSinceReport > 0 {
		rt.log.debug(fmt.Sprintf("reporting %d dropped events to the collector", rt.droppedSinceReport))
		rt.droppedSinceReport = 0
		rt.loggedFull = false
	}
	return b
}

// holdLocked puts a batch among the held ones in the order it was taken (a failed batch may be
// older than ones formed during the backoff).
func (rt *runtime) holdLocked(b *batch) {
	i := len(rt.held)
	for i > 0 && rt.held[i-1].seq > b.seq {
		i--
	}
	rt.held = append(rt.held, nil)
	copy(rt.held[i+1:], rt.held[i:])
	rt.held[i] = b
}

// releaseLocked takes a batch out of the bounds: delivered, refused or dropped.
func (rt *runtime) releaseLocked(b *batch) {
	if b.counted {
		b.counted = false
		rt.heldEvents -= b.count
		rt.heldBytes -= b.bytes
	}
}

// backingOffLocked reports whether delivery waits out a backoff at now.
func (rt *runtime) backingOffLocked(now time.Time) bool {
	return now.Before(rt.pausedUntil)
}
