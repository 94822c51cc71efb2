package mcpsight

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// The structural privacy pass, applied to everything recorded before it leaves the process:
// values under secret-looking keys, credential-looking strings, binary content and oversized
// strings are replaced. It works on plain JSON values (what jsonValue returns) and gives the same
// output as the TypeScript and Python SDKs for the same input (packages/protocol/vectors/scrub.json).

// secretKeyParts are key fragments (lower-case, separators removed) whose values are secrets.
var secretKeyParts = []string{
	"token", "password", "passwd", "passphrase", "secret", "apikey", "authorization", "cookie",
	"session", "privatekey", "accesskey", "credential", "bearer", "signature", "clientsecret",
}

// secretKeys are secrets only as a whole word (as fragments they would match too much).
var secretKeys = map[string]bool{"auth": true, "pwd": true, "pass": true, "jwt": true, "otp": true, "ssn": true, "xapikey": true}

// jsSpace is JavaScript's \s, so that a credential surrounded by any whitespace is caught as in
// the other SDKs (RE2's \s is ASCII only).
const jsSpace = `[\t\n\v\f\r \x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\x{feff}]`

var (
	// ASCII-only case-insensitivity, as JavaScript's /i without /u: RE2's (?i) would also fold
	// ſ to s and the Kelvin sign to K.
	credentialValue = regexp.MustCompile(`^` + jsSpace + `*([Bb][Ee][Aa][Rr][Ee][Rr]|[Bb][Aa][Ss][Ii][Cc])` + jsSpace + `+[A-Za-z0-9._~+/=-]{8,}` + jsSpace + `*$`)
	dataURL         = regexp.MustCompile(`^[Dd][Aa][Tt][Aa]:([\w.+-]+/[\w.+-]+)?(;[\w=.-]+)*;[Bb][Aa][Ss][Ee]64,`)
	base64Text      = regexp.MustCompile(`^[A-Za-z0-9+/_-]+={0,2}$`)
	lineBreaks      = strings.NewReplacer("\r\n", "", "\n", "")
)

const base64MinLength = 256

var (
	secretKeyCache     sync.Map // key → bool, bounded by secretKeyCacheSize
	secretKeyCacheSize atomic.Int32
)

// isSecretKey reports whether values under key are treated as secrets (case-insensitive,
// separators ignored).
func isSecretKey(key string) bool {
	if cached, ok := secretKeyCache.Load(key); ok {
		return cached.(bool)
	}
	var b strings.Builder
	for _, r := range strings.ToLower(key) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	normalized := b.String()
	secret := secretKeys[normalized]
	for _, part := range secretKeyParts {
		if secret {
			break
		}
		secret = strings.Contains(normalized, part)
	}
	if secretKeyCacheSize.Add(1) <= 10000 {
		secretKeyCache.Store(key, secret)
	}
	return secret
}

// scrubString is the placeholder for a string that is a credential, base64 payload or data URL,
// or "" when the string is ordinary text. Base64 may be wrapped in lines (MIME) but never
// contains spaces, so prose is left alone.
func scrubString(s string) (string, bool) {
	length := utf16Len(s)
	if length >= 12 && credentialValue.MatchString(s) {
		return redacted, true
	}
	if len(s) >= 5 && strings.EqualFold(s[:5], "data:") && dataURL.MatchString(s) {
		return "[data URL, " + strconv.Itoa(length) + " chars]", true
	}
	if length >= base64MinLength && base64Text.MatchString(lineBreaks.Replace(s)) {
		return "[base64 data, " + strconv.Itoa(length) + " chars]", true
	}
	return "", false
}

func binaryPlaceholder(kind string, value any) string {
	if s, ok := value.(string); ok {
		return "[" + kind + " omitted, " + strconv.Itoa(utf16Len(s)) + " chars]"
	}
	return "[" + kind + " omitted]"
}

// Sanitize returns a redacted copy of a plain JSON value (nil, bool, float64, json.Number,
// string, []any, map[string]any); maxString bounds every string in UTF-16 units.
//
//	Sanitize(map[string]any{"apiKey": "sk-1", "query": "x"}, 32768) // {"apiKey": "[REDACTED]", "query": "x"}
func Sanitize(value any, maxString int) any {
	return walk(value, 0, maxString)
}

func sanitizeString(s string, maxString int) string {
	if placeholder, ok := scrubString(s); ok {
		return placeholder
	}
	return truncate(s, maxString)
}

func walk(value any, depth, maxString int) any {
	switch v := value.(type) {
	case string:
		return sanitizeString(v, maxString)
	case nil, bool, float64, json.Number:
		return v
	case []any:
		if depth >= maxDepth {
			return "[nested too deep]"
		}
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = walk(item, depth+1, maxString)
		}
		return out
	case map[string]any:
		if depth >= maxDepth {
			return "[nested too deep]"
		}
		return walkObject(v, depth, maxString)
	default:
		// Not plain JSON: make it plain first (the adapters always pass plain values).
		plain, err := jsonValue(v)
		if err != nil {
			return "[not JSON: " + err.Error() + "]"
		}
		return walk(plain, depth, maxString)
	}
}

func walkObject(object map[string]any, depth, maxString int) map[string]any {
	out := make(map[string]any, len(object))
	// MCP image/audio content: keep the type and mime type, drop the payload.
	kind, _ := object["type"].(string)
	binaryContent := kind == "image" || kind == "audio"
	for key, item := range object {
		switch {
		case binaryContent && key == "data":
			out[key] = binaryPlaceholder(kind, item)
		case key == "blob" && isString(item):
			out[key] = binaryPlaceholder("blob", item)
		case item != nil && !isNumberOrBool(item) && isSecretKey(key):
			// Numbers and booleans under such keys (max_tokens, session_count) are not secrets.
			out[key] = redacted
		default:
			out[key] = walk(item, depth+1, maxString)
		}
	}
	return out
}

func isString(v any) bool {
	_, ok := v.(string)
	return ok
}

func isNumberOrBool(v any) bool {
	switch v.(type) {
	case bool, float64, json.Number, int, int64, float32, int32, uint, uint64:
		return true
	}
	return false
}

// jsonValue turns any Go value into plain JSON values (numbers as json.Number, so large
// integers keep their digits). json.RawMessage is decoded directly.
func jsonValue(v any) (any, error) {
	var raw []byte
	switch t := v.(type) {
	case nil:
		return nil, nil
	case json.RawMessage:
		if len(t) == 0 {
			return nil, nil
		}
		raw = t
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		raw = b
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}

// mapStrings applies fn to every string inside a plain JSON value, returning a new value.
func mapStrings(value any, fn func(string) string) any {
	switch v := value.(type) {
	case string:
		return fn(v)
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = mapStrings(item, fn)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for key, item := range v {
			out[key] = mapStrings(item, fn)
		}
		return out
	}
	return value
}
