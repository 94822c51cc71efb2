// Package jsonwrite writes JSON text the way encoding/json does, byte for byte, without
// reflection for the values MCP content is made of. The core writes events with it (HTML
// escaping off) and adapters write their library's results with it (HTML escaping on, as
// json.Marshal), so that the privacy pass reads the same text either way.
package jsonwrite

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// AppendString appends s as encoding/json writes a string: `"` and `\` escaped, control
// characters as \b, \f, \n, \r, \t or \u00XX, U+2028 and U+2029 escaped, invalid UTF-8 as
// \ufffd, and with escapeHTML `<`, `>` and `&` as \u003c, \u003e and \u0026.
func AppendString[T string | []byte](dst []byte, s T, escapeHTML bool) []byte {
	stop := &plainStop
	if escapeHTML {
		stop = &htmlStop
	}
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		for i < len(s) && !stop[s[i]] {
			i++
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		} else {
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// plainStop and htmlStop are the bytes AppendString looks at: those it escapes, and the first
// bytes of multi-byte UTF-8 (checked for invalid text and the line terminators).
var plainStop, htmlStop = func() (plain, html [256]bool) {
	for c := range 256 {
		plain[c] = c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf
		html[c] = plain[c] || c == '<' || c == '>' || c == '&'
	}
	return plain, html
}()

// DecodeRune is utf8.DecodeRune for either kind of text, without copying it.
func DecodeRune[T string | []byte](s T) (rune, int) {
	if len(s) > utf8.UTFMax {
		s = s[:utf8.UTFMax]
	}
	var buf [utf8.UTFMax]byte
	n := copy(buf[:], s)
	return utf8.DecodeRune(buf[:n])
}

// AppendFloat appends a finite f as encoding/json writes a float64 (no exponent between 1e-6
// and 1e21).
func AppendFloat(dst []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// e-07 → e-7, as encoding/json (and JavaScript) write it.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

// maxDepth is how deep AppendValue writes maps and slices itself; deeper values (and cycles,
// which encoding/json reports as an error) go to json.Marshal.
const maxDepth = 32

// AppendValue appends json.Marshal(v): the plain values decoded JSON is made of (nil, bool,
// string, float64, int64, int, map[string]any, []any) written directly, anything else by
// json.Marshal. The error is json.Marshal's for a value it refuses (NaN, a channel, …).
func AppendValue(dst []byte, v any) ([]byte, error) {
	return appendValue(dst, v, 0)
}

func appendValue(dst []byte, v any, depth int) ([]byte, error) {
	switch t := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		return AppendString(dst, t, true), nil
	case bool:
		return strconv.AppendBool(dst, t), nil
	case float64:
		if !math.IsNaN(t) && !math.IsInf(t, 0) {
			return AppendFloat(dst, t), nil
		}
	case int:
		return strconv.AppendInt(dst, int64(t), 10), nil
	case int64:
		return strconv.AppendInt(dst, t, 10), nil
	case map[string]any:
		if t == nil {
			return append(dst, "null"...), nil
		}
		if depth < maxDepth {
			return appendMap(dst, t, depth)
		}
	case []any:
		if t == nil {
			return append(dst, "null"...), nil
		}
		if depth < maxDepth {
			dst = append(dst, '[')
			for i, item := range t {
				if i > 0 {
					dst = append(dst, ',')
				}
				var err error
				if dst, err = appendValue(dst, item, depth+1); err != nil {
					return dst, err
				}
			}
			return append(dst, ']'), nil
		}
	}
	data, err := json.Marshal(v)
	return append(dst, data...), err
}

// appendMap writes a map's members in the order of their keys, as encoding/json does.
func appendMap(dst []byte, m map[string]any, depth int) ([]byte, error) {
	var buf [16]string
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, strings.Compare)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(AppendString(dst, k, true), ':')
		var err error
		if dst, err = appendValue(dst, m[k], depth+1); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

// maxVerbatimDepth bounds how deep Verbatim reads; deeper text is left to json.Marshal.
const maxVerbatimDepth = 256

// Verbatim reports whether json.Marshal writes text, as a json.RawMessage, exactly as it is:
// one JSON value with no space between its tokens and nothing it escapes (`<`, `>`, `&`,
// U+2028, U+2029). False means "let json.Marshal write it", which compacts, escapes or refuses.
func Verbatim(text []byte) bool {
	end, ok := verbatimValue(text, 0, 0)
	return ok && end == len(text)
}

func verbatimValue(s []byte, i, depth int) (int, bool) {
	if i >= len(s) || depth > maxVerbatimDepth {
		return 0, false
	}
	switch s[i] {
	case '"':
		return verbatimString(s, i)
	case '{', '[':
		closing := byte('}')
		if s[i] == '[' {
			closing = ']'
		}
		i++
		if i < len(s) && s[i] == closing {
			return i + 1, true
		}
		for {
			var ok bool
			if closing == '}' {
				if i, ok = verbatimString(s, i); !ok || i >= len(s) || s[i] != ':' {
					return 0, false
				}
				i++
			}
			if i, ok = verbatimValue(s, i, depth+1); !ok || i >= len(s) {
				return 0, false
			}
			switch s[i] {
			case ',':
				i++
			case closing:
				return i + 1, true
			default:
				return 0, false
			}
		}
	case 't':
		return verbatimWord(s, i, "true")
	case 'f':
		return verbatimWord(s, i, "false")
	case 'n':
		return verbatimWord(s, i, "null")
	default:
		return verbatimNumber(s, i)
	}
}

func verbatimWord(s []byte, i int, word string) (int, bool) {
	if len(s)-i >= len(word) && string(s[i:i+len(word)]) == word {
		return i + len(word), true
	}
	return 0, false
}

// stringStop are the bytes verbatimString looks at: the end of a string, escapes, and what is
// refused or escaped in one.
var stringStop = func() (stop [256]bool) {
	for c := range 0x20 {
		stop[c] = true
	}
	for _, c := range []byte{'"', '\\', '<', '>', '&', 0xE2} {
		stop[c] = true
	}
	return stop
}()

// verbatimString reads the string at s[i] (which must be a `"`).
func verbatimString(s []byte, i int) (int, bool) {
	if i >= len(s) || s[i] != '"' {
		return 0, false
	}
	for j := i + 1; j < len(s); j++ {
		for j < len(s) && !stringStop[s[j]] {
			j++
		}
		if j >= len(s) {
			break
		}
		switch c := s[j]; {
		case c == '"':
			return j + 1, true
		case c == '\\':
			j++
			if j >= len(s) {
				return 0, false
			}
			switch s[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(s) {
					return 0, false
				}
				for _, h := range s[j+1 : j+5] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return 0, false
					}
				}
				j += 4
			default:
				return 0, false
			}
		case c < 0x20, c == '<', c == '>', c == '&':
			return 0, false
		case c == 0xE2 && j+2 < len(s) && s[j+1] == 0x80 && (s[j+2] == 0xA8 || s[j+2] == 0xA9):
			return 0, false
		}
	}
	return 0, false
}

// verbatimNumber reads a number by JSON's grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func verbatimNumber(s []byte, i int) (int, bool) {
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		i = digits(s, i)
	default:
		return 0, false
	}
	if i < len(s) && s[i] == '.' {
		end := digits(s, i+1)
		if end == i+1 {
			return 0, false
		}
		i = end
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		end := digits(s, i)
		if end == i {
			return 0, false
		}
		i = end
	}
	return i, true
}

func digits(s []byte, i int) int {
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i
}
