package mcpsight

import "time"

// Who the client of a stateless request is. Only initialize names the client on 2025-era
// requests; the requests after it carry a User-Agent that is often just the HTTP library
// (python-httpx2/2.16.2, Go-http-client/1.1), so the collector would see two clients and two
// sessions. The name announced at a stateless initialize is remembered, per credential and client
// signals (or per correlation id for anonymous clients), and used for the requests that follow.

const (
	maxRememberedClients = 10_000
	clientMemoryTTL      = 24 * time.Hour
)

// statelessClients is one project's memory of announced clients.
type statelessClients struct {
	projectID string
	names     *lru[NameVersion]
}

func newStatelessClients(projectID string) *statelessClients {
	return &statelessClients{projectID: projectID, names: newLRU[NameVersion](maxRememberedClients, clientMemoryTTL)}
}

// announce remembers the client a successful stateless initialize named; initializeVersion is
// its result's protocolVersion.
func (m *statelessClients) announce(r *Request, initializeVersion string) {
	if r.Method != "initialize" {
		return
	}
	client := explicitClient(r)
	key := m.keyFor(r, signalsOf(r, initializeVersion))
	if client.Name == "" || key == "" {
		return
	}
	m.names.set(key, client)
}

// resolve is the client of a stateless request (what the request names, else the name remembered
// from its initialize, else the User-Agent) and its correlation id ("" when none is sent).
func (m *statelessClients) resolve(r *Request, initializeVersion string) (NameVersion, string) {
	signals := signalsOf(r, initializeVersion)
	if client := explicitClient(r); client.Name != "" {
		return client, signals.correlationID(m.projectID)
	}
	if key := m.keyFor(r, signals); key != "" {
		if client, ok := m.names.get(key); ok {
			return client, signals.correlationID(m.projectID)
		}
	}
	return userAgentClient(r.header("User-Agent")), signals.correlationID(m.projectID)
}

// keyFor is the memory key of a request: a credential's clients are told apart by their signals
// too (two clients sharing an API key keep their own names); anonymous clients are known by their
// correlation id only ("" when they have none: nothing is remembered).
func (m *statelessClients) keyFor(r *Request, signals correlationSignals) string {
	if fp := r.credentialFingerprint(); fp != "" {
		return fp + ":" + signals.digest(m.projectID)
	}
	return signals.correlationID(m.projectID)
}
