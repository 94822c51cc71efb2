package mcpsight

import (
	"context"
	"log/slog"
	"sync"
)

// logger writes the SDK's diagnostics to the user's *slog.Logger (stderr by default, never
// stdout): each distinct warning once, repeats and details at debug level.
type logger struct {
	slog *slog.Logger
	mu   sync.Mutex
	seen map[string]bool
}

func newLogger(l *slog.Logger) *logger {
	return &logger{slog: l, seen: map[string]bool{}}
}

// loggers share one logger (and its warnings already given) among the trackers writing to the
// same *slog.Logger: a server built and tracked per request warns once, not once per request.
var (
	loggersMu sync.Mutex
	loggers   = map[*slog.Logger]*logger{}
)

// maxSharedLoggers bounds loggers (a new *slog.Logger per Track gets a logger of its own).
const maxSharedLoggers = 64

func loggerFor(l *slog.Logger) *logger {
	loggersMu.Lock()
	defer loggersMu.Unlock()
	if shared := loggers[l]; shared != nil {
		return shared
	}
	created := newLogger(l)
	if len(loggers) < maxSharedLoggers {
		loggers[l] = created
	}
	return created
}

// safe calls the user's handler; a handler that panics must not break tracking.
func (l *logger) log(level slog.Level, msg string, args ...any) {
	defer func() { _ = recover() }()
	l.slog.Log(context.Background(), level, "mcpsight: "+msg, args...)
}

func (l *logger) debug(msg string, args ...any) { l.log(slog.LevelDebug, msg, args...) }
func (l *logger) warn(msg string, args ...any)  { l.log(slog.LevelWarn, msg, args...) }
func (l *logger) error(msg string, args ...any) { l.log(slog.LevelError, msg, args...) }

// warnOnce logs msg as a warning the first time key is seen; later at debug level.
func (l *logger) warnOnce(key, msg string, args ...any) {
	l.mu.Lock()
	first := !l.seen[key]
	if first {
		if len(l.seen) > 1000 {
			l.seen = map[string]bool{}
		}
		l.seen[key] = true
	}
	l.mu.Unlock()
	if first {
		l.warn(msg, args...)
	} else {
		l.debug(msg, args...)
	}
}
