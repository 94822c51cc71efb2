package mcpsight

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Event is one analytics event as the protocol defines it (docs/PROTOCOL.md). Field names and
// JSON keys are the wire format shared by every mcpsight SDK.
type Event struct {
	ID                   string            `json:"id"`
	ProjectID            string            `json:"projectId"`
	SessionID            string            `json:"sessionId,omitempty"`
	EventType            string            `json:"eventType"`
	Timestamp            string            `json:"timestamp"`
	Duration             *float64          `json:"duration,omitempty"`
	ResourceName         string            `json:"resourceName,omitempty"`
	Parameters           any               `json:"parameters,omitempty"`
	Response             any               `json:"response,omitempty"`
	UserIntent           string            `json:"userIntent,omitempty"`
	IsError              bool              `json:"isError,omitempty"`
	Error                *ErrorData        `json:"error,omitempty"`
	IdentifyActorGivenID string            `json:"identifyActorGivenId,omitempty"`
	IdentifyActorName    string            `json:"identifyActorName,omitempty"`
	IdentifyActorData    any               `json:"identifyActorData,omitempty"`
	ClientName           string            `json:"clientName,omitempty"`
	ClientVersion        string            `json:"clientVersion,omitempty"`
	ServerName           string            `json:"serverName,omitempty"`
	ServerVersion        string            `json:"serverVersion,omitempty"`
	SDKLanguage          string            `json:"sdkLanguage,omitempty"`
	SDKVersion           string            `json:"sdkVersion,omitempty"`
	Tags                 map[string]string `json:"tags,omitempty"`
	Properties           any               `json:"properties,omitempty"`
	Stateless            bool              `json:"stateless,omitempty"`
	CorrelationID        string            `json:"correlationId,omitempty"`
	TraceID              string            `json:"traceId,omitempty"`
	SpanID               string            `json:"spanId,omitempty"`

	// Parameters are a request's params: their _meta is not recorded, and neither is the
	// `context` argument when it was taken out as the intent (argumentsForwarded).
	requestParams, argumentsForwarded bool
}

// ErrorData describes a failed request: what was thrown (type, message, stack) or the text of a
// tool result with isError.
type ErrorData struct {
	Message string `json:"message"`
	Type    string `json:"type,omitempty"`
	Stack   string `json:"stack,omitempty"`
}

// NameVersion is a client's or server's name and version.
type NameVersion struct {
	Name    string
	Version string
}

// Event ids: one random prefix per process plus a counter, as unique as a random id per event.
// The id is fixed when the event is built, so a retried batch resends the same ids.
var (
	idPrefix  = randomHex(16)
	idCounter atomic.Uint64
)

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand never fails on supported platforms; a time-based id is still unique enough.
		return strconv.FormatInt(time.Now().UnixNano(), 16)
	}
	return hex.EncodeToString(b)
}

func newEventID() string {
	var buf [64]byte
	id := append(append(buf[:0], idPrefix...), '-')
	return string(strconv.AppendUint(id, idCounter.Add(1), 36))
}

// isoTimestamp is the protocol's timestamp: UTC, millisecond precision, `Z`
// (2006-01-02T15:04:05.000Z), written directly: it is made for every event.
func isoTimestamp(t time.Time) string {
	t = t.UTC()
	year, month, day := t.Date()
	hour, minute, second := t.Clock()
	if year < 0 || year > 9999 {
		return t.Format("2006-01-02T15:04:05.000Z")
	}
	var b [24]byte
	put := func(at, value, width int) {
		for i := at + width - 1; i >= at; i-- {
			b[i] = byte('0' + value%10)
			value /= 10
		}
	}
	put(0, year, 4)
	b[4] = '-'
	put(5, int(month), 2)
	b[7] = '-'
	put(8, day, 2)
	b[10] = 'T'
	put(11, hour, 2)
	b[13] = ':'
	put(14, minute, 2)
	b[16] = ':'
	put(17, second, 2)
	b[19] = '.'
	put(20, t.Nanosecond()/1e6, 3)
	b[23] = 'Z'
	return string(b[:])
}

// eventTypeFor is `mcp:<method>`, with characters the protocol does not allow replaced.
func eventTypeFor(method string) string {
	if eventType, ok := knownEventTypes[method]; ok {
		return eventType
	}
	if len(method) <= limitEventType-4 && strings.IndexFunc(method, notEventTypeRune) < 0 {
		return "mcp:" + method
	}
	var b strings.Builder
	b.WriteString("mcp:")
	for _, r := range method {
		if notEventTypeRune(r) {
			b.WriteByte('_')
		} else {
			b.WriteRune(r)
		}
	}
	return clip(b.String(), limitEventType)
}

// knownEventTypes are the event types of MCP's request methods, made once.
var knownEventTypes = func() map[string]string {
	out := map[string]string{}
	for _, method := range []string{"initialize", "server/discover", "tools/list", "tools/call", "resources/list",
		"resources/templates/list", "resources/read", "resources/subscribe", "resources/unsubscribe", "prompts/list",
		"prompts/get", "completion/complete", "logging/setLevel"} {
		out[method] = "mcp:" + method
	}
	return out
}()

func notEventTypeRune(r rune) bool {
	return !((r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || r == '_' || r == '.' || r == '/' || r == '-')
}

// eventBase is what every event of a tracked server carries.
type eventBase struct {
	projectID string
	sessionID string
	client    NameVersion
	server    NameVersion
}

func newEvent(base eventBase, eventType string, at time.Time) *Event {
	e := new(Event)
	fillEvent(e, base, eventType, at)
	return e
}

// fillEvent sets what every event carries on e, which is zero (new, or the event writer's, cleared
// when the writer was released): field by field, not a whole Event copied over it.
func fillEvent(e *Event, base eventBase, eventType string, at time.Time) {
	e.ID = newEventID()
	e.ProjectID = base.projectID
	e.EventType = eventType
	e.Timestamp = isoTimestamp(at)
	e.SDKLanguage, e.SDKVersion = SDKLanguage, SDKVersion
	e.SessionID, e.Stateless = base.sessionID, base.sessionID == ""
	e.ClientName = truncate(base.client.Name, limitName)
	if e.ClientName != "" {
		e.ClientVersion = truncate(base.client.Version, limitName)
	}
	e.ServerName = truncate(base.server.Name, limitName)
	e.ServerVersion = truncate(base.server.Version, limitName)
}

func withIdentity(e *Event, identity *UserIdentity) {
	if identity == nil {
		return
	}
	e.IdentifyActorGivenID = identity.UserID
	e.IdentifyActorName = identity.UserName
	if identity.UserData != nil {
		e.IdentifyActorData = identity.UserData
	}
}

// durationMs is a duration in milliseconds with microsecond precision.
func durationMs(d time.Duration) *float64 {
	ms := durationMillis(d)
	return &ms
}

func durationMillis(d time.Duration) float64 {
	if d < 0 {
		d = 0
	}
	return float64(d.Microseconds()) / 1000
}
