package mcpsight

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"sync"
)

// Request is what an adapter tells the core about one MCP request it received. Adapters fill
// it from their library's request; the core never sees a library type except through Raw.
type Request struct {
	// Ctx is the request's context (auth token info, HTTP-context values).
	Ctx context.Context
	// Method is the JSON-RPC method, e.g. "tools/call".
	Method string
	// Params are the request's params as the library holds them; recorded (as JSON, without
	// _meta) when the event is built, after the handler returned. An adapter may leave their
	// _meta out (Meta holds it).
	Params any
	// ToolName and Arguments of a tools/call (Arguments decoded; nil when absent), and the
	// arguments as JSON text when the library keeps them so (either or both may be set).
	ToolName     string
	Arguments    map[string]any
	RawArguments json.RawMessage
	// ArgumentsOwned says Arguments were decoded for this request alone (from RawArguments):
	// when no callback or observer is handed the request, the core takes the `context`
	// argument out of that map in place, and Call.Forward is the same map, not a copy.
	ArgumentsOwned bool
	// ResourceName is the tool name, resource URI or prompt name.
	ResourceName string
	// TransportSessionID is the Streamable HTTP session id (Mcp-Session-Id), if any.
	TransportSessionID string
	// Connection identifies a stdio or in-memory connection (a comparable value, e.g. the
	// library's session pointer); used when there is no transport session id.
	Connection any
	// HTTP is true when the request arrived over HTTP.
	HTTP bool
	// Stateless is true when the library serves the request without a session (a stateless
	// HTTP handler); the Stateless option still overrides it.
	Stateless bool
	// Header holds the HTTP request headers, if any.
	Header http.Header
	// Meta is the request's _meta.
	Meta map[string]any
	// SessionClient is the client the library learned at initialize, when it knows it.
	SessionClient NameVersion
	// InitializeClient is params.clientInfo of an initialize request.
	InitializeClient NameVersion
	// Tools, when set, looks up the input schema of a tool that no tools/list in this process
	// has shown (see Tracker.stripsContext).
	Tools ToolSchemas
	// TokenCredential stands for the request's credential when no header carries it (from the
	// library's verified token info); it is hashed, never stored.
	TokenCredential string
	// RemoteAddr is the connection's peer address (host or host:port), when the library
	// exposes it; X-Forwarded-For takes precedence (see clientAddress).
	RemoteAddr string
	// RequestID is the JSON-RPC request id as text, when the library exposes it.
	RequestID string
	// Raw is the library's own request, handed back to the adapter to build callback arguments.
	Raw any

	// The credential's fingerprint, computed once (identify, its cache, sessions and the client
	// memory all ask).
	fingerprintOnce  sync.Once
	fingerprintValue string

	// call is where Begin puts the request's Call, allocated with it; callTaken once it did.
	call      Call
	callTaken bool
}

func (r *Request) header(name string) string {
	if r.Header == nil {
		return ""
	}
	return r.Header.Get(name)
}

// credential is the raw credential of the request: the Authorization, X-API-Key or Api-Key
// header, else the library's token info.
func (r *Request) credential() string {
	for _, name := range []string{"Authorization", "X-Api-Key", "Api-Key"} {
		if v := r.header(name); v != "" {
			return v
		}
	}
	return r.TokenCredential
}

// credentialFingerprint is the SHA-256 of the credential, so the secret is never kept.
func (r *Request) credentialFingerprint() string {
	r.fingerprintOnce.Do(func() {
		if c := r.credential(); c != "" {
			r.fingerprintValue = fingerprint(c)
		}
	})
	return r.fingerprintValue
}

// fingerprint is the hex SHA-256 of a secret, namespaced as in every mcpsight SDK.
func fingerprint(secret string) string {
	h := sha256.New()
	h.Write([]byte("mcpsight:credential:"))
	h.Write([]byte(secret))
	return hex.EncodeToString(h.Sum(nil))
}

// modernRevision is the first protocol revision without initialize and sessions: every request
// names its protocol version and client in _meta (2026-07-28).
const modernRevision = "2026-07-28"

// Modern reports whether the request uses the session-less protocol of 2026-07-28 or later
// (server/discover, or a protocol version of that revision in the header or _meta). Such a
// request over HTTP belongs to no session, whatever mode the server's handler runs in.
func (r *Request) Modern() bool {
	if r.Method == "server/discover" {
		return true
	}
	version := r.header("Mcp-Protocol-Version")
	if version == "" {
		version, _ = r.Meta[protocolVersionMetaKey].(string)
	}
	return version >= modernRevision
}

// ToolSchemas finds a tool's input schema as the tracked server would list it, before mcpsight
// adds `context` (found false: the server has no such tool).
type ToolSchemas interface {
	ToolSchema(r *Request, name string) (schema map[string]any, found bool)
}
