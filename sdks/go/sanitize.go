package mcpsight

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// The structural privacy pass, applied to everything recorded before it leaves the process:
// values under secret-looking keys, credential-looking strings, binary content and oversized
// strings are replaced. It walks the JSON text of a recorded value once, writing the sanitized
// text as it goes (no decoding into maps and encoding again), and gives the same output as the
// TypeScript and Python SDKs for the same input (packages/protocol/vectors/scrub.json).

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

const (
	base64MinLength  = 256
	credentialMinLen = 12
)

// secretKeyCache remembers the verdict for up to 10,000 keys (tool arguments reuse few keys).
var secretKeyCache = struct {
	sync.RWMutex
	verdicts map[string]bool
}{verdicts: map[string]bool{}}

// isSecretKey reports whether values under key are treated as secrets (case-insensitive,
// separators ignored).
func isSecretKey(key []byte) bool {
	secretKeyCache.RLock()
	cached, ok := secretKeyCache.verdicts[string(key)]
	secretKeyCache.RUnlock()
	if ok {
		return cached
	}
	var b strings.Builder
	for _, r := range strings.ToLower(string(key)) {
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
	secretKeyCache.Lock()
	if len(secretKeyCache.verdicts) < 10_000 {
		secretKeyCache.verdicts[string(key)] = secret
	}
	secretKeyCache.Unlock()
	return secret
}

// mayBeCredential says whether a string starting with c can match credentialValue ("bearer …",
// "basic …", after optional whitespace, which is ASCII ≤ 32 or non-ASCII): most text skips the
// regular expression.
func mayBeCredential(c byte) bool {
	return c|0x20 == 'b' || c <= 0x20 || c >= 0x80
}

// scrubString is the placeholder for a string that is a credential, base64 payload or data URL,
// or "" when the string is ordinary text. Base64 may be wrapped in lines (MIME) but never
// contains spaces, so prose is left alone.
func scrubString(s string) (string, bool) {
	length := utf16Len(s)
	if length >= credentialMinLen && mayBeCredential(s[0]) && credentialValue.MatchString(s) {
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

// ordinaryText says, from a plain string body (printable ASCII, one unit per byte), that
// sanitizeString leaves it as it is: too short or of the wrong first letter for every
// placeholder, and within maxString. False means "look closer", not "it changes".
func ordinaryText(body []byte, maxString int) bool {
	n := len(body)
	if n == 0 {
		return true
	}
	c := body[0]
	return n <= maxString && n < base64MinLength &&
		(n < credentialMinLen || !mayBeCredential(c)) && (n < 5 || c|0x20 != 'd')
}

func binaryPlaceholder(kind string, length int, isString bool) string {
	if isString {
		return "[" + kind + " omitted, " + strconv.Itoa(length) + " chars]"
	}
	return "[" + kind + " omitted]"
}

func sanitizeString(s string, maxString int) string {
	if placeholder, ok := scrubString(s); ok {
		return placeholder
	}
	return truncate(s, maxString)
}

// Sanitize returns a redacted copy of a JSON value (what encoding/json can encode; a value it
// cannot becomes "[not JSON: …]"); maxString bounds every string in UTF-16 units. Numbers come
// back as json.Number.
//
//	Sanitize(map[string]any{"apiKey": "sk-1", "query": "x"}, 32768) // {"apiKey": "[REDACTED]", "query": "x"}
func Sanitize(value any, maxString int) any {
	raw, err := json.Marshal(value)
	if err == nil {
		pass := textPass{maxString: maxString}
		if raw, err = pass.run(nil, raw); err == nil {
			var out any
			if out, err = jsonValue(json.RawMessage(raw)); err == nil {
				return out
			}
		}
	}
	return "[not JSON: " + err.Error() + "]"
}

// textPass is one run of the structural pass over the JSON text of one recorded value.
type textPass struct {
	maxString int
	// redact is set for the second pass of a redaction: the user's function runs on every
	// string before the rules apply to what it returned (placeholders and markers included, as
	// in the other SDKs). Its first error stops the pass.
	redact func(string) (string, error)
	// params marks a request's params: their _meta is not recorded, and with forwarded neither
	// is the `context` argument taken out as the intent.
	params, forwarded bool

	text []byte // a string's unescaped value
	key  []byte // an object key's unescaped value
}

// run appends the sanitized JSON text of the value src holds to dst.
func (p *textPass) run(dst, src []byte) ([]byte, error) {
	dst, end, err := p.value(dst, src, skipSpace(src, 0), 0, "")
	if err == nil && skipSpace(src, end) != len(src) {
		err = errBadJSON
	}
	return dst, err
}

// value sanitizes the value at src[i], at depth (the recorded value is at 0); omit is a key
// left out if the value is an object.
func (p *textPass) value(dst, src []byte, i, depth int, omit string) ([]byte, int, error) {
	if i >= len(src) {
		return dst, 0, errBadJSON
	}
	switch src[i] {
	case '"':
		return p.stringValue(dst, src, i)
	case '{', '[':
		if depth >= maxDepth {
			end, err := skipValue(src, i)
			return append(dst, `"[nested too deep]"`...), end, err
		}
		if src[i] == '{' {
			return p.object(dst, src, i, depth, omit)
		}
		dst = append(dst, '[')
		first := true
		end, err := elements(src, i, func(item int) (end int, err error) {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst, end, err = p.value(dst, src, item, depth+1, "")
			return end, err
		})
		return append(dst, ']'), end, err
	default:
		end, err := scanLiteral(src, i)
		if err != nil {
			return dst, 0, err
		}
		return append(dst, src[i:end]...), end, nil
	}
}

// stringValue sanitizes the string at src[i]. Ordinary ASCII text is copied as it is.
func (p *textPass) stringValue(dst, src []byte, i int) ([]byte, int, error) {
	end, plain, err := scanString(src, i)
	if err != nil {
		return dst, 0, err
	}
	if plain && p.redact == nil && ordinaryText(src[i+1:end-1], p.maxString) {
		return append(dst, src[i:end]...), end, nil
	}
	s, err := p.stringAt(src, i, end, plain)
	if err != nil {
		return dst, 0, err
	}
	return appendJSONString(dst, sanitizeString(s, p.maxString)), end, nil
}

// stringAt is the value of the string src[i:end], after the user's function in a redaction's
// second pass.
func (p *textPass) stringAt(src []byte, i, end int, plain bool) (string, error) {
	body := src[i+1 : end-1]
	var s string
	if plain {
		s = string(body)
	} else {
		var err error
		if p.text, err = unescape(p.text[:0], body); err != nil {
			return "", err
		}
		s = string(p.text)
	}
	if p.redact != nil {
		return p.redact(s)
	}
	return s, nil
}

// stringLength is the length in UTF-16 units of the string src[i:end] (after the user's
// function in a redaction's second pass), without making a copy of a large payload.
func (p *textPass) stringLength(src []byte, i, end int) (int, error) {
	if p.redact != nil {
		s, err := p.stringAt(src, i, end, false)
		return utf16Len(s), err
	}
	var err error
	p.text, err = unescape(p.text[:0], src[i+1:end-1])
	return utf16Len(p.text), err
}

// object sanitizes the object at src[start]. Entries, first rule that applies: the payload of
// MCP image/audio content, a resource's blob, the value of a secret-looking key, else the value
// walked one level deeper.
func (p *textPass) object(dst, src []byte, start, depth int, omit string) ([]byte, int, error) {
	dst = append(dst, '{')
	first := true
	kind, kindKnown := "", false
	end, err := members(src, start, func(rawKey []byte, plain bool, v int) (int, error) {
		key := rawKey
		if !plain {
			var err error
			if p.key, err = unescape(p.key[:0], rawKey); err != nil {
				return 0, err
			}
			key = p.key
		}
		if (depth == 0 && p.params && string(key) == "_meta") || (omit != "" && string(key) == omit) {
			return skipValue(src, v)
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		if plain {
			dst = append(append(append(dst, '"'), rawKey...), '"', ':')
		} else {
			dst = append(appendJSONString(dst, key), ':')
		}
		c := src[v]
		isString := c == '"'
		if string(key) == "data" && !kindKnown {
			var err error
			if kind, err = p.contentKind(src, start); err != nil {
				return 0, err
			}
			kindKnown = true
		}
		payload := ""
		if string(key) == "data" && (kind == "image" || kind == "audio") {
			payload = kind
		} else if string(key) == "blob" && isString {
			payload = "blob"
		}
		switch {
		case payload != "":
			end, err := skipValue(src, v)
			if err != nil {
				return 0, err
			}
			length := 0
			if isString {
				if length, err = p.stringLength(src, v, end); err != nil {
					return 0, err
				}
			}
			dst = appendJSONString(dst, binaryPlaceholder(payload, length, isString))
			return end, nil
		case (isString || c == '{' || c == '[') && isSecretKey(key):
			end, err := skipValue(src, v)
			if err == nil && isString && p.redact != nil {
				_, err = p.stringAt(src, v, end, false) // the function sees every string
			}
			dst = append(dst, `"`+redacted+`"`...)
			return end, err
		}
		childOmit := ""
		if depth == 0 && p.forwarded && string(key) == "arguments" {
			childOmit = contextParameter
		}
		var end int
		var err error
		dst, end, err = p.value(dst, src, v, depth+1, childOmit)
		return end, err
	})
	return append(dst, '}'), end, err
}

// contentKind is the object's "type" when it is a string (after the user's function in a
// redaction's second pass), the last one if the key repeats, as a decoder would keep it.
func (p *textPass) contentKind(src []byte, start int) (string, error) {
	kind := ""
	var keyBuf []byte
	_, err := members(src, start, func(rawKey []byte, plain bool, v int) (int, error) {
		end, err := skipValue(src, v)
		if err != nil {
			return 0, err
		}
		key := rawKey
		if !plain {
			if keyBuf, err = unescape(keyBuf[:0], rawKey); err != nil {
				return 0, err
			}
			key = keyBuf
		}
		if string(key) == "type" {
			kind = ""
			if src[v] == '"' {
				_, plainValue, _ := scanString(src, v)
				kind, err = p.stringAt(src, v, end, plainValue)
			}
		}
		return end, err
	})
	return kind, err
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
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}
