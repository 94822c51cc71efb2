package mcpsight

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"regexp"
	"strings"
)

// Stable signals of a stateless request, and the correlation id built from them, so that one
// client's run against a stateless server (no session id) groups into one session. The recipe is
// part of the protocol (docs/PROTOCOL.md, "Stateless sessions"): every mcpsight SDK computes the
// same id from the same request, checked by packages/protocol/vectors/correlation.json.

const (
	protocolVersionMetaKey = "io.modelcontextprotocol/protocolVersion"
	// firstHeaderRevision is the first protocol revision whose clients must send
	// MCP-Protocol-Version after initialize; older versions count as no version, or a client's
	// initialize and its later requests would differ.
	firstHeaderRevision     = "2025-06-18"
	correlationDigestPrefix = "mcpsight:correlation:1"
	correlationIDPrefix     = "cor_"
)

// correlationSignals identify one client's run across stateless requests; "" where absent.
// Values are used as received (no trimming, no case change) except the address.
type correlationSignals struct {
	clientName, clientVersion, protocolVersion, address, userAgent string
}

// signalsOf reads a request's signals. initializeVersion is the protocolVersion of an
// initialize's result (the version the client sends afterwards), "" for other requests.
func signalsOf(r *Request, initializeVersion string) correlationSignals {
	s := correlationSignals{userAgent: r.header("User-Agent"), address: r.clientAddress()}
	if info, ok := r.Meta[clientInfoMetaKey].(map[string]any); ok {
		s.clientName, _ = info["name"].(string)
		if s.clientName != "" {
			s.clientVersion, _ = info["version"].(string)
		}
	}
	version := r.header("Mcp-Protocol-Version")
	if version == "" {
		version, _ = r.Meta[protocolVersionMetaKey].(string)
	}
	if version == "" && r.Method == "initialize" {
		version = initializeVersion
	}
	if version < firstHeaderRevision {
		version = ""
	}
	s.protocolVersion = version
	return s
}

// digest is the first 32 hex digits of SHA-256 over the signals within a project (fields joined
// with U+0000, as UTF-8), or "" when every signal is absent.
func (s correlationSignals) digest(projectID string) string {
	if s.clientName == "" && s.protocolVersion == "" && s.address == "" && s.userAgent == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(strings.Join([]string{correlationDigestPrefix, projectID,
		s.clientName, s.clientVersion, s.protocolVersion, s.address, s.userAgent}, "\x00")))
	return hex.EncodeToString(sum[:16])
}

// correlationID is the correlationId of a stateless event: sent only when the client's address
// is known, since without it the other signals tell kinds of clients apart, not clients.
func (s correlationSignals) correlationID(projectID string) string {
	if s.address == "" {
		return ""
	}
	return correlationIDPrefix + s.digest(projectID)
}

var ipv4Mapped = regexp.MustCompile(`^::ffff:\d{1,3}(\.\d{1,3}){3}$`)

// clientAddress is the client's IP address: the first X-Forwarded-For entry without the spaces
// and tabs around it (set by a proxy in front), else the peer address the adapter saw. IPv4-mapped
// IPv6 addresses are written as IPv4, letters in lower case.
func (r *Request) clientAddress() string {
	address := r.header("X-Forwarded-For")
	if comma := strings.IndexByte(address, ','); comma >= 0 {
		address = address[:comma]
	}
	address = strings.Trim(address, " \t")
	if address == "" {
		address = r.RemoteAddr
		if host, _, err := net.SplitHostPort(address); err == nil {
			address = host
		}
	}
	address = strings.ToLower(address)
	if ipv4Mapped.MatchString(address) {
		address = address[len("::ffff:"):]
	}
	return address
}
