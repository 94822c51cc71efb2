// Package jsontest holds what the tests of the SDK's JSON writers share: strings that are hard
// to write as JSON exactly as encoding/json writes them.
package jsontest

import "math/rand/v2"

// OddStrings are every byte between two letters, the escapes, HTML characters, the line
// terminators JavaScript needs escaped (and their neighbours), invalid UTF-8 (a lone byte, cut
// sequences, a surrogate), text outside the Basic Multilingual Plane, and text the privacy pass
// looks at (a data URL, a bearer token).
func OddStrings() []string {
	out := []string{"", "plain", `quote " backslash \ slash /`, "<a & b>", "\u2028\u2029", "\u2027\u202a", "é€😀漢",
		"\xff", "a\xc3", "\xe2\x80", "\xe2", "\xed\xa0\x80", "\x7f", "data:image/png;base64,AAAA", "Bearer abcdefghijklmnop"}
	for b := 0; b < 256; b++ {
		out = append(out, string([]byte{'x', byte(b), 'y'}))
	}
	return out
}

// RandomStrings are n strings of up to 39 random bytes from r.
func RandomStrings(r *rand.Rand, n int) []string {
	out := make([]string, n)
	for i := range out {
		b := make([]byte, r.IntN(40))
		for j := range b {
			b[j] = byte(r.IntN(256))
		}
		out[i] = string(b)
	}
	return out
}
