package mcpsight

import (
	"strconv"
	"unicode/utf8"
)

// utf16Len is the length of s in UTF-16 code units, the protocol's unit for every string limit
// (JavaScript's string length). Invalid UTF-8 counts as U+FFFD, one unit per bad byte.
func utf16Len[T string | []byte](s T) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			n++
			i++
			continue
		}
		r, size := decodeRune(s[i:])
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
		i += size
	}
	return n
}

// clip returns the longest prefix of s of at most max UTF-16 units. A character outside the
// Basic Multilingual Plane (two units, an emoji) is never cut in half: half of one is no
// character, and a database may refuse it.
func clip(s string, max int) string {
	if max <= 0 {
		return ""
	}
	if len(s) <= max {
		return s // every byte is at least one unit, so it already fits
	}
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		units := 1
		if r >= 0x10000 {
			units = 2
		}
		if n+units > max {
			return s[:i]
		}
		n += units
		i += size
	}
	return s
}

// truncate cuts s to max UTF-16 units, ending with a note of how many units were removed:
// `…[truncated N chars]`, as every mcpsight SDK writes it.
func truncate(s string, max int) string {
	length := utf16Len(s)
	if length <= max {
		return s
	}
	note := "…[truncated " + strconv.Itoa(length-max) + " chars]"
	keep := max - utf16Len(note)
	if keep < 0 {
		keep = 0
	}
	return clip(s, keep) + note
}
