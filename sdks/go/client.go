package mcpsight

import (
	"container/list"
	"strings"
	"sync"
	"time"
)

// Who the client is. Stateful servers learned it at initialize; otherwise (a request before
// initialize, or stateless: see stateless_client.go) it comes from the request itself: initialize
// params, the `io.modelcontextprotocol/clientInfo` _meta key, the X-MCP-Client-Name/-Version
// headers, then the User-Agent.

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

// get returns a live entry and marks it most recently used.
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
	c.order.MoveToBack(el)
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
