package mcpsight

import (
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"strings"
	"sync"
	"time"
)

// Who the client is. Stateful servers learned it at initialize; otherwise (stateless, or a
// request before initialize) it comes from the request itself, in this order: initialize
// params, the `io.modelcontextprotocol/clientInfo` _meta key, the X-MCP-Client-Name/-Version
// headers, a specific User-Agent, what initialize announced for the same credential or
// correlation hint (remembered), then a generic HTTP-library User-Agent.

func metaClient(meta map[string]any) NameVersion {
	info, _ := meta[clientInfoMetaKey].(map[string]any)
	name, _ := info["name"].(string)
	if name == "" {
		return NameVersion{}
	}
	version, _ := info["version"].(string)
	return NameVersion{Name: name, Version: version}
}

// userAgentClient reads `Claude-User/1.2 (x)` as name Claude-User, version 1.2.
func userAgentClient(ua string) NameVersion {
	fields := strings.Fields(ua)
	if len(fields) == 0 {
		return NameVersion{}
	}
	first := fields[0]
	if slash := strings.IndexByte(first, '/'); slash > 0 {
		return NameVersion{Name: first[:slash], Version: first[slash+1:]}
	}
	return NameVersion{Name: first}
}

// genericUserAgents are HTTP libraries and tools, not MCP clients: their name says nothing
// about who is calling, so it is used only when nothing else is known.
var genericUserAgents = []string{
	"python-httpx", "python-requests", "python-urllib", "aiohttp", "node", "node-fetch", "undici",
	"go-http-client", "axios", "curl", "wget", "okhttp", "java", "apache-httpclient", "got",
	"reqwest", "ruby", "dart", "bun", "deno", "mozilla",
}

func isGenericUserAgent(name string) bool {
	lower := strings.ToLower(name)
	for _, g := range genericUserAgents {
		if lower == g {
			return true
		}
	}
	return false
}

// explicitClient is what the request itself says about its client (initialize params, _meta,
// headers), without the User-Agent.
func explicitClient(r *Request) NameVersion {
	if r.Method == "initialize" && r.InitializeClient.Name != "" {
		return r.InitializeClient
	}
	if c := metaClient(r.Meta); c.Name != "" {
		return c
	}
	if name := r.header("X-MCP-Client-Name"); name != "" {
		return NameVersion{Name: name, Version: r.header("X-MCP-Client-Version")}
	}
	return NameVersion{}
}

// requestClient resolves a stateless request's client, consulting what was remembered (D6).
func (m *projectMemory) requestClient(r *Request, hint string) NameVersion {
	if c := explicitClient(r); c.Name != "" {
		return c
	}
	ua := userAgentClient(r.header("User-Agent"))
	if ua.Name != "" && !isGenericUserAgent(ua.Name) {
		return ua
	}
	if c, ok := m.clients.get("cred:" + r.credentialFingerprint()); ok && r.credential() != "" {
		return c
	}
	if hint != "" {
		if c, ok := m.clients.get("hint:" + hint); ok {
			return c
		}
	}
	return ua
}

// rememberClient keeps the client an initialize announced, per credential and correlation hint.
func (m *projectMemory) rememberClient(r *Request, hint string) {
	c := r.InitializeClient
	if c.Name == "" {
		return
	}
	if r.credential() != "" {
		m.clients.set("cred:"+r.credentialFingerprint(), c)
	}
	if hint != "" {
		m.clients.set("hint:"+hint, c)
	}
}

// correlationHint groups one anonymous stateless client's requests into a session: a hash of
// stable signals (the _meta clientInfo, the protocol version header, the client's address and
// the User-Agent). Empty when the request carries none of them.
func correlationHint(r *Request) string {
	meta := metaClient(r.Meta)
	host := r.RemoteAddr
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	parts := []string{meta.Name, meta.Version, r.header("Mcp-Protocol-Version"), host, r.header("User-Agent")}
	if strings.Join(parts, "") == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("mcpsight:correlation:" + strings.Join(parts, "\n")))
	return "cor_" + hex.EncodeToString(sum[:16])
}

// lru is a bounded map with a time-to-live, oldest entries evicted first.
type lru[V any] struct {
	mu      sync.Mutex
	max     int
	ttl     time.Duration
	order   *list.List
	entries map[string]*list.Element
}

type lruEntry[V any] struct {
	key     string
	value   V
	expires time.Time
}

func newLRU[V any](max int, ttl time.Duration) *lru[V] {
	return &lru[V]{max: max, ttl: ttl, order: list.New(), entries: map[string]*list.Element{}}
}

func (c *lru[V]) get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var zero V
	el, ok := c.entries[key]
	if !ok {
		return zero, false
	}
	entry := el.Value.(*lruEntry[V])
	if time.Now().After(entry.expires) {
		c.order.Remove(el)
		delete(c.entries, key)
		return zero, false
	}
	return entry.value, true
}

func (c *lru[V]) set(key string, value V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		c.order.Remove(el)
	}
	for c.order.Len() >= c.max {
		oldest := c.order.Front()
		c.order.Remove(oldest)
		delete(c.entries, oldest.Value.(*lruEntry[V]).key)
	}
	c.entries[key] = c.order.PushBack(&lruEntry[V]{key: key, value: value, expires: time.Now().Add(c.ttl)})
}
