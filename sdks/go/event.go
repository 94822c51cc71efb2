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
	return idPrefix + "-" + strconv.FormatUint(idCounter.Add(1), 36)
}

// isoTimestamp is the protocol's timestamp: UTC, millisecond precision, `Z`.
func isoTimestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// eventTypeFor is `mcp:<method>`, with characters the protocol does not allow replaced.
func eventTypeFor(method string) string {
	var b strings.Builder
	b.WriteString("mcp:")
	for _, r := range method {
		if (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || r == '_' || r == '.' || r == '/' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return clip(b.String(), limitEventType)
}

// eventBase is what every event of a tracked server carries.
type eventBase struct {
	projectID string
	sessionID string
	client    NameVersion
	server    NameVersion
}

func newEvent(base eventBase, eventType string, at time.Time) *Event {
	e := &Event{
		ID:          newEventID(),
		ProjectID:   base.projectID,
		EventType:   eventType,
		Timestamp:   isoTimestamp(at),
		SDKLanguage: SDKLanguage,
		SDKVersion:  SDKVersion,
		SessionID:   base.sessionID,
		Stateless:   base.sessionID == "",
	}
	e.ClientName = truncate(base.client.Name, limitName)
	if e.ClientName != "" {
		e.ClientVersion = truncate(base.client.Version, limitName)
	}
	e.ServerName = truncate(base.server.Name, limitName)
	e.ServerVersion = truncate(base.server.Version, limitName)
	return e
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
	if d < 0 {
		d = 0
	}
	ms := float64(d.Microseconds()) / 1000
	return &ms
}
