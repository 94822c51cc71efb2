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

// redactEvent runs fn on every recorded string of a sanitized event, in place.
func redactEvent(e *Event, fn func(string) string) {
	if e.Parameters != nil {
		e.Parameters = mapStrings(e.Parameters, fn)
	}
	if e.Response != nil {
		e.Response = mapStrings(e.Response, fn)
	}
	if e.Properties != nil {
		e.Properties = mapStrings(e.Properties, fn)
	}
	if e.IdentifyActorData != nil {
		e.IdentifyActorData = mapStrings(e.IdentifyActorData, fn)
	}
	if e.UserIntent != "" {
		e.UserIntent = fn(e.UserIntent)
	}
	if e.Error != nil {
		e.Error.Message = fn(e.Error.Message)
		if e.Error.Stack != "" {
			e.Error.Stack = fn(e.Error.Stack)
		}
	}
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
