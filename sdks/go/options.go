package mcpsight

import (
	"context"
	"log/slog"
	neturl "net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// UserIdentity is who is behind a session, as returned by Options.Identify. A nil identity means
// anonymous.
type UserIdentity struct {
	// UserID is the user's stable id in your system. Required: an identity without one is ignored.
	UserID string
	// UserName is shown in the dashboard.
	UserName string
	// UserData holds extra facts (plan, company…); secret-looking keys are redacted before sending.
	UserData map[string]any
}

// IdentifyCacheOptions memoises Identify per credential for TTL. R is the adapter's request type.
type IdentifyCacheOptions[R any] struct {
	// TTL is how long a cached identity (or anonymous result) stays valid. Required (> 0).
	TTL time.Duration
	// Key returns a cache key for a request whose credential is not in a header or token info
	// (an API key argument, say). It is hashed before use; "" skips the cache for that request.
	Key func(ctx context.Context, req R) string
}

// Options configure tracking. R is the adapter's request type: *mcp.CallToolRequest of the
// official SDK or of mcp-go (the adapters name it Options). The zero value is a working default.
//
// Every callback may be called from several goroutines at once. A callback that panics, fails
// or (for Identify) takes longer than IdentifyTimeout never affects the request: the event is
// recorded without what it would have added, and one warning is logged.
type Options[R any] struct {
	// Identify resolves the user behind a request. Stateful servers: once per session, on its
	// first tool call, and again when the request's credential changes. Stateless: every request.
	// For requests other than tools/call, req carries the request's session and HTTP data with
	// empty tool params. Return nil, nil for an anonymous user.
	Identify func(ctx context.Context, req R) (*UserIdentity, error)
	// IdentifyTimeout bounds Identify (and EventTags/EventProperties/RedactSensitiveInformation).
	// Default 5 s.
	IdentifyTimeout time.Duration
	// IdentifyCache memoises Identify per credential (a SHA-256 hash of the bearer token,
	// Authorization, X-API-Key or Api-Key header). Off when nil.
	IdentifyCache *IdentifyCacheOptions[R]
	// RedactSensitiveInformation runs on every recorded string (arguments, results, intent,
	// errors, properties, user data) after mcpsight's own scrubbing, and returns the text to
	// record. If it returns an error, panics or takes longer than IdentifyTimeout, the event is
	// dropped, never sent unredacted (one warning is logged).
	RedactSensitiveInformation func(text string) (string, error)
	// EventTags returns string tags for each request event (≤50 entries, keys ≤32 chars of
	// [A-Za-z0-9$_.:- ], one-line values ≤200 chars; invalid entries are dropped with a warning).
	EventTags func(ctx context.Context, req R) map[string]string
	// EventProperties returns JSON properties for each request event.
	EventProperties func(ctx context.Context, req R) map[string]any
	// EnableTracing records request events. Default true (nil). Identify and custom events are
	// sent either way.
	EnableTracing *bool
	// EnableToolCallContext adds a required `context` (agent intent) argument to every tool.
	// Default true (nil).
	EnableToolCallContext *bool
	// CustomContextDescription is how that argument is described to agents.
	CustomContextDescription string
	// EnableReportMissing adds the get_more_tools tool. Default true (nil).
	EnableReportMissing *bool
	// APIBaseURL is the collector. Default: env MCPSIGHT_URL, then MCPCAT_API_URL, then
	// http://127.0.0.1:4747.
	APIBaseURL string
	// Stateless forces stateless (true) or stateful (false) mode. Default (nil): an HTTP request
	// without a transport session id is stateless.
	Stateless *bool
	// MaxQueueSize bounds the events held in memory (default 100,000); beyond it, or beyond
	// MaxQueueBytes of event JSON (default 32 MiB), the oldest are dropped and counted.
	MaxQueueSize  int
	MaxQueueBytes int
	// FlushInterval is how often queued events are sent. Default 1 s.
	FlushInterval time.Duration
	// Logger receives the SDK's diagnostics: warnings (once per kind) and, at debug level,
	// details. Default: warnings to stderr (never stdout).
	Logger *slog.Logger
	// Debug writes debug lines to stderr when Logger is nil.
	Debug bool
	// Observer is told of every request besides its event; the otel package's New makes one
	// that records OpenTelemetry spans and metrics. Default: none.
	Observer RequestObserver
}

// Bool returns a pointer to v, for the optional switches of Options.
//
//	opts := &officialsdk.Options{EnableReportMissing: mcpsight.Bool(false)}
func Bool(v bool) *bool { return &v }

// DefaultAPIBaseURL is the collector used when neither APIBaseURL nor the environment names one.
const DefaultAPIBaseURL = "http://127.0.0.1:4747"

// config is Options after defaults, with the callbacks bound to the adapter's request type.
type config struct {
	identify            func(ctx context.Context, r *Request) (*UserIdentity, error)
	identifyCacheKey    func(ctx context.Context, r *Request) string
	identifyCacheTTL    time.Duration
	identifyTimeout     time.Duration
	redact              func(string) (string, error)
	observer            RequestObserver
	eventTags           func(ctx context.Context, r *Request) map[string]string
	eventProperties     func(ctx context.Context, r *Request) map[string]any
	enableTracing       bool
	enableContext       bool
	contextDescription  string
	enableReportMissing bool
	apiBaseURL          string
	stateless           *bool
	maxQueueSize        int
	maxQueueBytes       int
	flushInterval       time.Duration
	logger              *slog.Logger
	apiBaseURLFrom      string // APIBaseURL, a variable's name, or "the default"
	// userSeesRequests: a callback or the observer is handed requests (their arguments as
	// received), so the `context` argument is never taken out of them in place.
	userSeesRequests bool
}

func orDefault[T int | time.Duration](v, fallback T) T {
	if v > 0 {
		return v
	}
	return fallback
}

func boolOr(v *bool, fallback bool) bool {
	if v == nil {
		return fallback
	}
	return *v
}

// apiBaseURLOf is the collector URL and where it came from (the option or a variable), spaces
// and trailing slashes trimmed.
func apiBaseURLOf(option string) (url, from string) {
	if v := strings.TrimSpace(option); v != "" {
		return strings.TrimRight(v, "/"), "APIBaseURL"
	}
	for _, name := range []string{"MCPSIGHT_URL", "MCPCAT_API_URL"} {
		if v := strings.TrimSpace(os.Getenv(name)); v != "" {
			return strings.TrimRight(v, "/"), name
		}
	}
	return DefaultAPIBaseURL, "the default"
}

// isHTTPURL reports whether a collector URL can be sent to: absolute, http or https.
func isHTTPURL(value string) bool {
	u, err := neturl.Parse(value)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// resolve applies defaults; toReq turns a request into the adapter's R for the callbacks.
func resolve[R any](opts *Options[R], toReq func(*Request) R) *config {
	if opts == nil {
		opts = &Options[R]{}
	}
	c := &config{
		identifyTimeout:     orDefault(opts.IdentifyTimeout, 5*time.Second),
		redact:              opts.RedactSensitiveInformation,
		enableTracing:       boolOr(opts.EnableTracing, true),
		enableContext:       boolOr(opts.EnableToolCallContext, true),
		contextDescription:  opts.CustomContextDescription,
		enableReportMissing: boolOr(opts.EnableReportMissing, true),
		stateless:           opts.Stateless,
		maxQueueSize:        orDefault(opts.MaxQueueSize, 100_000),
		maxQueueBytes:       orDefault(opts.MaxQueueBytes, 32<<20),
		flushInterval:       orDefault(opts.FlushInterval, time.Second),
		logger:              opts.Logger,
		observer:            opts.Observer,
	}
	if c.contextDescription == "" {
		c.contextDescription = defaultContextDescription
	}
	c.apiBaseURL, c.apiBaseURLFrom = apiBaseURLOf(opts.APIBaseURL)
	if c.logger == nil {
		c.logger = stderrLogger(opts.Debug)
	}
	if f := opts.Identify; f != nil {
		c.identify = func(ctx context.Context, r *Request) (*UserIdentity, error) { return f(ctx, toReq(r)) }
	}
	if cache := opts.IdentifyCache; cache != nil && cache.TTL > 0 {
		c.identifyCacheTTL = cache.TTL
		if f := cache.Key; f != nil {
			c.identifyCacheKey = func(ctx context.Context, r *Request) string { return f(ctx, toReq(r)) }
		}
	}
	if f := opts.EventTags; f != nil {
		c.eventTags = func(ctx context.Context, r *Request) map[string]string { return f(ctx, toReq(r)) }
	}
	if f := opts.EventProperties; f != nil {
		c.eventProperties = func(ctx context.Context, r *Request) map[string]any { return f(ctx, toReq(r)) }
	}
	c.userSeesRequests = c.identify != nil || c.identifyCacheKey != nil || c.eventTags != nil || c.eventProperties != nil || c.observer != nil
	return c
}

var (
	stderrWarn  = sync.OnceValue(func() *slog.Logger { return stderrAt(slog.LevelWarn) })
	stderrDebug = sync.OnceValue(func() *slog.Logger { return stderrAt(slog.LevelDebug) })
)

// stderrLogger is the logger of trackers given none: one per level, shared (see loggerFor).
func stderrLogger(debug bool) *slog.Logger {
	if debug {
		return stderrDebug()
	}
	return stderrWarn()
}

func stderrAt(level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(stderr{}, &slog.HandlerOptions{Level: level}))
}

// stderr writes to os.Stderr as it is when a line is written.
type stderr struct{}

func (stderr) Write(p []byte) (int, error) { return os.Stderr.Write(p) }
