package mcpsight

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// Privacy for a whole event: the structural pass (sanitize.go), then the user's
// RedactSensitiveInformation on every recorded string, then the protocol's limits again. If the
// user's function fails the event is dropped: it is never sent unredacted.

// sanitizeEvent applies the structural pass to an event's content, intent and error, in place.
func sanitizeEvent(e *Event) {
	if e.Parameters != nil {
		e.Parameters = Sanitize(e.Parameters, limitValueString)
	}
	if e.Response != nil {
		e.Response = Sanitize(e.Response, limitValueString)
	}
	if e.Properties != nil {
		e.Properties = Sanitize(e.Properties, limitValueString)
	}
	if e.IdentifyActorData != nil {
		e.IdentifyActorData = Sanitize(e.IdentifyActorData, limitValueString)
	}
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

// scrubEvent is the whole privacy pass of an event: the structural pass, then (with redact) the
// user's function on every recorded string and the structural pass again, then the size limit.
// It returns the event's JSON, or an error when the event must be dropped: redact failed (an
// error or a panic) or the event cannot be serialized. Never a half-redacted event.
func scrubEvent(e *Event, redact func(string) (string, error)) (data []byte, err error) {
	plainJSON(e)
	sanitizeEvent(e)
	if redact != nil {
		if err := redactEvent(e, redact); err != nil {
			return nil, &redactFailure{err}
		}
		sanitizeEvent(e)
	}
	return encodeEvent(e)
}

// redactFailure is RedactSensitiveInformation's error or panic: the event is dropped.
type redactFailure struct{ err error }

func (f *redactFailure) Error() string { return "RedactSensitiveInformation " + f.err.Error() }
func (f *redactFailure) Unwrap() error { return f.err }

// redactEvent runs fn on every recorded string of a sanitized event, in place; it stops at the
// first error (or panic) and returns it.
func redactEvent(e *Event, fn func(string) (string, error)) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panicked (%v)", p)
		}
	}()
	var failed error
	apply := func(s string) string {
		if failed != nil {
			return s
		}
		out, err := fn(s)
		if err != nil {
			failed = fmt.Errorf("returned an error (%w)", err)
			return s
		}
		return out
	}
	for _, field := range []*any{&e.Parameters, &e.Response, &e.Properties, &e.IdentifyActorData} {
		if *field != nil {
			*field = mapStrings(*field, apply)
		}
	}
	if e.UserIntent != "" {
		e.UserIntent = apply(e.UserIntent)
	}
	if e.Error != nil {
		e.Error.Message = apply(e.Error.Message)
		if e.Error.Stack != "" {
			e.Error.Stack = apply(e.Error.Stack)
		}
	}
	return failed
}

// plainJSON turns the user-supplied parts of an event (user data, properties) into plain JSON.
func plainJSON(e *Event) {
	for _, field := range []*any{&e.IdentifyActorData, &e.Properties} {
		if *field == nil {
			continue
		}
		v, err := jsonValue(*field)
		if err != nil {
			v = map[string]any{"omitted": "not JSON: " + err.Error()}
		}
		*field = v
	}
}

// encodeEvent serializes an event (without HTML escaping, as JSON.stringify does), dropping the
// bulkiest content until it fits the protocol's 256 KiB per event.
func encodeEvent(e *Event) ([]byte, error) {
	data, err := marshal(e)
	if err != nil || len(data) <= limitEventBytes {
		return data, err
	}
	out := *e
	omitted := "[omitted: the event was over " + strconv.Itoa(limitEventBytes) + " bytes]"
	objectOmitted := map[string]any{"omitted": fmt.Sprintf("over the %d-byte event limit", limitEventBytes)}
	for _, field := range []*any{&out.Response, &out.Parameters, &out.Properties, &out.IdentifyActorData} {
		if *field == nil {
			continue
		}
		if field == &out.Response || field == &out.Parameters {
			*field = omitted
		} else {
			*field = objectOmitted
		}
		if data, err = marshal(&out); err != nil || len(data) <= limitEventBytes {
			return data, err
		}
	}
	if out.Error != nil {
		shorter := *out.Error
		shorter.Stack = truncate(shorter.Stack, 4096)
		out.Error = &shorter
	}
	return marshal(&out)
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
