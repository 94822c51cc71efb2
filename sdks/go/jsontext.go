package mcpsight

import (
	"bytes"
	"errors"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/mcpsight/mcpsight/sdks/go/internal/jsonwrite"
)

// JSON text, written and read without reflection: events are written field by field, and the
// privacy pass walks recorded content as JSON text (sanitize.go) instead of decoding it into maps
// and encoding it again. The output is byte for byte what encoding/json writes with HTML escaping
// off (as JSON.stringify: `<`, `>` and `&` stay as they are); jsontext_test.go checks it.

// appendJSONString appends s as a JSON string: `"` and `\` escaped, control characters as \b,
// \f, \n, \r, \t or \u00XX, U+2028 and U+2029 escaped (JavaScript line terminators), invalid
// UTF-8 as \ufffd.
func appendJSONString[T string | []byte](dst []byte, s T) []byte {
	return jsonwrite.AppendString(dst, s, false)
}

// decodeRune is utf8.DecodeRune for either kind of text, without copying it.
func decodeRune[T string | []byte](s T) (rune, int) {
	return jsonwrite.DecodeRune(s)
}

// appendJSONFloat appends f as encoding/json writes a float64 (no exponent between 1e-6 and
// 1e21).
func appendJSONFloat(dst []byte, f float64) []byte {
	return jsonwrite.AppendFloat(dst, f)
}

// appendKey appends `"key":` (with a comma before it unless first) for the event writer.
func appendKey(dst []byte, key string, first bool) []byte {
	if !first {
		dst = append(dst, ',')
	}
	dst = append(dst, '"')
	dst = append(dst, key...)
	return append(dst, '"', ':')
}

var errBadJSON = errors.New("invalid JSON text")

func skipSpace(src []byte, i int) int {
	for i < len(src) && (src[i] == ' ' || src[i] == '\t' || src[i] == '\n' || src[i] == '\r') {
		i++
	}
	return i
}

// scanString reads the JSON string at src[i] (a `"`). It returns the index after its closing
// quote and whether its body is plain: printable ASCII without escapes, so the body is the
// string's value and can be written out as it is.
func scanString(src []byte, i int) (end int, plain bool, err error) {
	plain = true
	for j := i + 1; j < len(src); j++ {
		switch c := src[j]; {
		case c == '"':
			return j + 1, plain, nil
		case c == '\\':
			plain = false
			j++ // the escaped character (a \u's digits are ordinary bytes)
		case c < 0x20 || c >= 0x7f:
			plain = false
		}
	}
	return 0, false, errBadJSON
}

// skipString returns the index after the JSON string at src[i] (a `"`), as scanString does,
// searching for its closing quote with bytes.IndexByte.
func skipString(src []byte, i int) (int, error) {
	for j := i + 1; ; {
		k := bytes.IndexByte(src[j:], '"')
		if k < 0 {
			return 0, errBadJSON
		}
		j += k
		// The quote ends the string unless an odd run of backslashes escapes it.
		backslashes := 0
		for src[j-1-backslashes] == '\\' {
			backslashes++
		}
		if backslashes%2 == 0 {
			return j + 1, nil
		}
		j++
	}
}

// unescape appends the value of a JSON string body (without its quotes) to dst, as
// encoding/json decodes it: invalid UTF-8 and unpaired surrogates become U+FFFD.
func unescape(dst, body []byte) ([]byte, error) {
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case c == '\\':
			if i+1 >= len(body) {
				return dst, errBadJSON
			}
			i++
			switch e := body[i]; e {
			case '"', '\\', '/':
				dst = append(dst, e)
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				r, ok := hex4(body, i+1)
				if !ok {
					return dst, errBadJSON
				}
				i += 4
				if utf16.IsSurrogate(r) {
					if low, ok := hex4(body, i+3); ok && i+2 < len(body) && body[i+1] == '\\' && body[i+2] == 'u' {
						if pair := utf16.DecodeRune(r, low); pair != utf8.RuneError {
							r = pair
							i += 6
						} else {
							r = utf8.RuneError
						}
					} else {
						r = utf8.RuneError
					}
				}
				dst = utf8.AppendRune(dst, r)
			default:
				return dst, errBadJSON
			}
			i++
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			i++
		default:
			r, size := utf8.DecodeRune(body[i:])
			dst = utf8.AppendRune(dst, r) // RuneError for an invalid byte
			i += size
		}
	}
	return dst, nil
}

// hex4 reads the four hex digits at body[i:].
func hex4(body []byte, i int) (rune, bool) {
	if i+4 > len(body) {
		return 0, false
	}
	var r rune
	for _, c := range body[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// scanLiteral reads the number, true, false or null at src[i] and returns the index after it.
// Numbers follow JSON's grammar exactly: the pass copies them as they are, and the text it
// writes must be JSON whatever a MarshalJSON method returned.
func scanLiteral(src []byte, i int) (int, error) {
	for _, word := range [...]string{"true", "false", "null"} {
		if len(src)-i >= len(word) && string(src[i:i+len(word)]) == word {
			return i + len(word), nil
		}
	}
	j := i
	if j < len(src) && src[j] == '-' {
		j++
	}
	switch {
	case j < len(src) && src[j] == '0':
		j++
	case j < len(src) && src[j] >= '1' && src[j] <= '9':
		j = digits(src, j)
	default:
		return 0, errBadJSON
	}
	if j < len(src) && src[j] == '.' {
		if k := digits(src, j+1); k > j+1 {
			j = k
		} else {
			return 0, errBadJSON
		}
	}
	if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
		k := j + 1
		if k < len(src) && (src[k] == '+' || src[k] == '-') {
			k++
		}
		if e := digits(src, k); e > k {
			j = e
		} else {
			return 0, errBadJSON
		}
	}
	return j, nil
}

func digits(src []byte, i int) int {
	for i < len(src) && src[i] >= '0' && src[i] <= '9' {
		i++
	}
	return i
}

// skipValue returns the index after the JSON value at src[i] (after leading space).
func skipValue(src []byte, i int) (int, error) {
	i = skipSpace(src, i)
	if i >= len(src) {
		return 0, errBadJSON
	}
	switch src[i] {
	case '"':
		return skipString(src, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(src); j++ {
			switch src[j] {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			case '"':
				end, err := skipString(src, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			}
		}
		return 0, errBadJSON
	default:
		return scanLiteral(src, i)
	}
}

// members iterates over the members of the JSON object at src[i] (a `{`): fn gets each key's
// raw body (between its quotes, plain reports whether it has no escapes) and the index of its
// value, and returns the index after the value. members returns the index after the object.
func members(src []byte, i int, fn func(key []byte, plain bool, value int) (int, error)) (int, error) {
	return items(src, i, '}', func(i int) (int, error) {
		if src[i] != '"' {
			return 0, errBadJSON
		}
		end, plain, err := scanString(src, i)
		if err != nil {
			return 0, err
		}
		key := src[i+1 : end-1]
		i = skipSpace(src, end)
		if i >= len(src) || src[i] != ':' {
			return 0, errBadJSON
		}
		return fn(key, plain, skipSpace(src, i+1))
	})
}

// elements is members for the JSON array at src[i] (a `[`).
func elements(src []byte, i int, fn func(value int) (int, error)) (int, error) {
	return items(src, i, ']', fn)
}

// items iterates over the comma-separated items of the object or array opening at src[i] and
// closing with closing: fn reads the item at its index and returns the index after it.
func items(src []byte, i int, closing byte, fn func(item int) (int, error)) (int, error) {
	i = skipSpace(src, i+1)
	if i < len(src) && src[i] == closing {
		return i + 1, nil
	}
	for i < len(src) {
		var err error
		if i, err = fn(i); err != nil {
			return 0, err
		}
		i = skipSpace(src, i)
		if i >= len(src) {
			break
		}
		switch src[i] {
		case ',':
			i = skipSpace(src, i+1)
		case closing:
			return i + 1, nil
		default:
			return 0, errBadJSON
		}
	}
	return 0, errBadJSON
}
