package mcpsight

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"sync"
)

// Privacy for a whole event, and its JSON: the structural pass (sanitize.go) on each content
// field's JSON text, then, with RedactSensitiveInformation, the user's function on every recorded
// string and the structural pass again, then the protocol's size limit. The event's JSON is
// written once, field by field, from the sanitized parts. If the user's function fails the event
// is dropped: it is never sent unredacted.

// The content fields, in the order the writer holds them.
const (
	contentParameters = iota
	contentResponse
	contentProperties
	contentUserData
	contentFields
)

// shrinkOrder is the content dropped, in this order, while an event is over the byte limit.
var shrinkOrder = [...]int{contentResponse, contentParameters, contentProperties, contentUserData}

var (
	omittedText   = `"[omitted: the event was over ` + strconv.Itoa(limitEventBytes) + ` bytes]"`
	omittedObject = `{"omitted":"over the ` + strconv.Itoa(limitEventBytes) + `-byte event limit"}`
)

// eventWriter holds the buffers of one event's privacy pass and JSON, reused from event to
// event (writers are pooled; one writer serves one event at a time).
type eventWriter struct {
	event    Event   // a request event being built
	duration float64 // its duration
	// encoded holds content fields the event's builder wrote as JSON text already (request
	// params and results), taken instead of the event's own field.
	encoded [contentFields][]byte
	sink    sliceWriter
	enc     *json.Encoder
	raw     [contentFields][]byte // content as JSON text, before the pass
	bufs    [contentFields][]byte // after it
	content [contentFields][]byte // bufs, or nil for an absent field
	second  []byte                // a redaction's second pass
	text    []byte                // scratch of the passes
	key     []byte
	out     []byte
}

// sliceWriter is an io.Writer appending to a slice the writer owns.
type sliceWriter struct{ buf []byte }

func (s *sliceWriter) Write(p []byte) (int, error) {
	s.buf = append(s.buf, p...)
	return len(p), nil
}

var writers = sync.Pool{New: func() any {
	w := &eventWriter{}
	w.enc = json.NewEncoder(&w.sink)
	w.enc.SetEscapeHTML(false) // fewer escapes to undo in the pass; the output escapes its own way
	return w
}}

func getWriter() *eventWriter { return writers.Get().(*eventWriter) }

// release returns the writer to the pool unless one of its buffers grew unusually large.
func (w *eventWriter) release() {
	w.event = Event{} // keeps nothing of the host's alive
	w.encoded = [contentFields][]byte{}
	const keep = 1 << 20
	for _, b := range [...][]byte{w.raw[0], w.raw[1], w.raw[2], w.raw[3], w.bufs[0], w.bufs[1], w.bufs[2], w.bufs[3], w.second, w.out} {
		if cap(b) > keep {
			return
		}
	}
	writers.Put(w)
}

// JSONAppender is a recorded value (Request.Params, a result given to Finish) that writes its own
// JSON text: adapters wrap their library's tools/call params and results in one, so that the
// event is written without reflection. AppendJSON appends exactly what json.Marshal writes for
// the value, or returns json.Marshal's error; it runs on the delivery goroutine, after the
// handler returned.
type JSONAppender interface {
	AppendJSON(dst []byte) ([]byte, error)
}

// marshal is the JSON text of a recorded value (json.RawMessage as it is), in the writer's
// buffer for field; nil for null or nothing.
func (w *eventWriter) marshal(field int, v any) ([]byte, error) {
	switch t := v.(type) {
	case json.RawMessage:
		return nonNull(t), nil
	case JSONAppender:
		var err error
		if w.raw[field], err = t.AppendJSON(w.raw[field][:0]); err != nil {
			return nil, err
		}
		return nonNull(w.raw[field]), nil
	case json.Marshaler:
		// Called directly: encoding/json would check and compact what it returns, a second
		// scan the privacy pass makes anyway (it refuses text that is not JSON).
		if rv := reflect.ValueOf(v); rv.Kind() != reflect.Pointer || !rv.IsNil() {
			raw, err := t.MarshalJSON()
			if err != nil {
				return nil, err
			}
			return nonNull(raw), nil
		}
	}
	w.sink.buf = w.raw[field][:0]
	err := w.enc.Encode(v)
	w.raw[field] = w.sink.buf
	if err != nil {
		return nil, err
	}
	return nonNull(bytes.TrimRight(w.raw[field], "\n")), nil
}

func nonNull(raw []byte) []byte {
	if trimmed := bytes.TrimSpace(raw); len(trimmed) == 0 || string(trimmed) == "null" {
		return nil
	}
	return raw
}

// scrubEvent is the whole privacy pass of an event: it returns the event's JSON, or an error when
// the event must be dropped: redact failed (an error or a panic) or the event cannot be
// serialized. Never a half-redacted event.
func scrubEvent(e *Event, redact func(string) (string, error)) ([]byte, error) {
	w := getWriter()
	defer w.release()
	data, err := w.scrub(e, redact)
	return bytes.Clone(data), err
}

// scrub runs the privacy pass on e (in place) and returns its JSON, in the writer's buffer.
func (w *eventWriter) scrub(e *Event, redact func(string) (string, error)) ([]byte, error) {
	values := [contentFields]any{e.Parameters, e.Response, e.Properties, e.IdentifyActorData}
	var userFn func(string) (string, error)
	if redact != nil {
		userFn = guarded(redact)
	}
	for field, value := range values {
		w.content[field] = nil
		var err error
		raw := w.encoded[field]
		if raw == nil {
			if raw, err = w.contentJSON(field, value); err != nil {
				return nil, err
			}
		}
		if raw == nil {
			continue
		}
		pass := textPass{maxString: limitValueString, text: w.text, key: w.key}
		if field == contentParameters {
			pass.params, pass.forwarded = e.requestParams, e.argumentsForwarded
		}
		w.bufs[field], err = pass.run(w.bufs[field][:0], raw)
		if err == nil && userFn != nil {
			pass = textPass{maxString: limitValueString, redact: userFn, text: pass.text, key: pass.key}
			w.second, err = pass.run(w.second[:0], w.bufs[field])
			w.bufs[field], w.second = w.second, w.bufs[field]
		}
		w.text, w.key = pass.text, pass.key
		if err != nil {
			return nil, passFailure(err)
		}
		w.content[field] = w.bufs[field]
	}
	if err := scrubTexts(e, userFn); err != nil {
		return nil, err
	}
	return w.fit(e), nil
}

// contentJSON is a content field's JSON text: request params and results as recorded, user
// data and properties as plain JSON (a value that is not becomes a note saying so).
func (w *eventWriter) contentJSON(field int, value any) ([]byte, error) {
	if value == nil {
		return nil, nil
	}
	raw, err := w.marshal(field, value)
	if err != nil && (field == contentProperties || field == contentUserData) {
		return w.marshal(field, map[string]any{"omitted": "not JSON: " + err.Error()})
	}
	return raw, err
}

// scrubTexts applies the string rules to the intent and the error, with the user's function
// between two structural passes when there is one.
func scrubTexts(e *Event, userFn func(string) (string, error)) error {
	sanitizeTexts(e)
	if userFn == nil {
		return nil
	}
	var err error
	if e.UserIntent != "" {
		if e.UserIntent, err = userFn(e.UserIntent); err != nil {
			return err
		}
	}
	if e.Error != nil {
		if e.Error.Message, err = userFn(e.Error.Message); err != nil {
			return err
		}
		if e.Error.Stack != "" {
			if e.Error.Stack, err = userFn(e.Error.Stack); err != nil {
				return err
			}
		}
	}
	sanitizeTexts(e)
	return nil
}

func sanitizeTexts(e *Event) {
	if e.UserIntent != "" {
		e.UserIntent = sanitizeString(e.UserIntent, limitUserIntent)
	}
	if e.Error != nil {
		e.Error = &ErrorData{
			Message: sanitizeString(e.Error.Message, limitErrorMessage),
			Type:    truncate(e.Error.Type, limitName),
			Stack:   truncate(e.Error.Stack, limitErrorStack),
		}
	}
}

// guarded is the user's function with its errors and panics made failures of the redaction.
func guarded(redact func(string) (string, error)) func(string) (string, error) {
	return func(s string) (out string, err error) {
		defer func() {
			if p := recover(); p != nil {
				err = &redactFailure{fmt.Errorf("panicked (%v)", p)}
			}
		}()
		if out, err = redact(s); err != nil {
			err = &redactFailure{fmt.Errorf("returned an error (%w)", err)}
		}
		return out, err
	}
}

// passFailure is a pass's error: the user's function failing, or text that is not JSON.
func passFailure(err error) error {
	if _, ok := err.(*redactFailure); ok {
		return err
	}
	return fmt.Errorf("the recorded content is not JSON: %w", err)
}

// redactFailure is RedactSensitiveInformation's error or panic: the event is dropped.
type redactFailure struct{ err error }

func (f *redactFailure) Error() string { return "RedactSensitiveInformation " + f.err.Error() }
func (f *redactFailure) Unwrap() error { return f.err }

// fit writes the event, dropping the bulkiest content until it fits the protocol's 256 KiB per
// event (then, if still over, shortening the stack).
func (w *eventWriter) fit(e *Event) []byte {
	w.out = appendEvent(w.out[:0], e, &w.content)
	if len(w.out) <= limitEventBytes {
		return w.out
	}
	content := w.content
	for _, field := range shrinkOrder {
		if content[field] == nil {
			continue
		}
		if field == contentResponse || field == contentParameters {
			content[field] = []byte(omittedText)
		} else {
			content[field] = []byte(omittedObject)
		}
		if w.out = appendEvent(w.out[:0], e, &content); len(w.out) <= limitEventBytes {
			return w.out
		}
	}
	if e.Error != nil {
		shorter := *e.Error
		shorter.Stack = truncate(shorter.Stack, 4096)
		e.Error = &shorter
	}
	w.out = appendEvent(w.out[:0], e, &content)
	return w.out
}

// appendEvent writes an event's JSON: the fields of Event in order, empty ones left out, as
// encoding/json would write the struct with its content fields holding content's JSON text.
func appendEvent(dst []byte, e *Event, content *[contentFields][]byte) []byte {
	dst = append(dst, '{')
	str := func(key, value string, always bool) {
		if value != "" || always {
			dst = appendJSONString(appendKey(dst, key, false), value)
		}
	}
	raw := func(key string, value []byte) {
		if value != nil {
			dst = append(appendKey(dst, key, false), value...)
		}
	}
	dst = appendJSONString(appendKey(dst, "id", true), e.ID)
	str("projectId", e.ProjectID, true)
	str("sessionId", e.SessionID, false)
	str("eventType", e.EventType, true)
	str("timestamp", e.Timestamp, true)
	if e.Duration != nil {
		dst = appendJSONFloat(appendKey(dst, "duration", false), *e.Duration)
	}
	str("resourceName", e.ResourceName, false)
	raw("parameters", content[contentParameters])
	raw("response", content[contentResponse])
	str("userIntent", e.UserIntent, false)
	if e.IsError {
		dst = append(appendKey(dst, "isError", false), "true"...)
	}
	if e.Error != nil {
		dst = appendJSONString(appendKey(append(appendKey(dst, "error", false), '{'), "message", true), e.Error.Message)
		str("type", e.Error.Type, false)
		str("stack", e.Error.Stack, false)
		dst = append(dst, '}')
	}
	str("identifyActorGivenId", e.IdentifyActorGivenID, false)
	str("identifyActorName", e.IdentifyActorName, false)
	raw("identifyActorData", content[contentUserData])
	str("clientName", e.ClientName, false)
	str("clientVersion", e.ClientVersion, false)
	str("serverName", e.ServerName, false)
	str("serverVersion", e.ServerVersion, false)
	str("sdkLanguage", e.SDKLanguage, false)
	str("sdkVersion", e.SDKVersion, false)
	if len(e.Tags) > 0 {
		keys := make([]string, 0, len(e.Tags))
		for k := range e.Tags {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		dst = append(appendKey(dst, "tags", false), '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(append(appendJSONString(dst, k), ':'), e.Tags[k])
		}
		dst = append(dst, '}')
	}
	raw("properties", content[contentProperties])
	if e.Stateless {
		dst = append(appendKey(dst, "stateless", false), "true"...)
	}
	str("correlationId", e.CorrelationID, false)
	str("traceId", e.TraceID, false)
	str("spanId", e.SpanID, false)
	return append(dst, '}')
}
