package mcpsight

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The shared scrubbing vectors (packages/protocol/vectors/scrub.json): the same input gives the
// same output in every mcpsight SDK.

func loadVectors(t *testing.T, name string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "packages", "protocol", "vectors", name))
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// expand replaces the vector file's macros ($repeat, $concat, $nest) by what they build.
func expand(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			out[i] = expand(item)
		}
		return out
	case map[string]any:
		if len(x) == 1 {
			for key, arg := range x {
				args, _ := expand(arg).([]any)
				switch key {
				case "$repeat":
					return strings.Repeat(args[0].(string), int(args[1].(float64)))
				case "$concat":
					var b strings.Builder
					for _, part := range args {
						b.WriteString(part.(string))
					}
					return b.String()
				case "$nest":
					leaf := args[2]
					for i := 0; i < int(args[1].(float64)); i++ {
						if args[0] == nil {
							leaf = []any{leaf}
						} else {
							leaf = map[string]any{args[0].(string): leaf}
						}
					}
					return leaf
				}
			}
		}
		out := make(map[string]any, len(x))
		for key, item := range x {
			out[key] = expand(item)
		}
		return out
	}
	return v
}

// sameJSON compares two values by their JSON meaning (numbers as float64).
func sameJSON(a, b any) bool {
	norm := func(v any) any {
		data, _ := json.Marshal(v)
		var out any
		_ = json.Unmarshal(data, &out)
		return out
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

// vectorRedactions are the file's `redactions`; "fail" is Go's failure, an error.
var vectorRedactions = map[string]func(string) (string, error){
	"upper": func(s string) (string, error) {
		return strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' {
				return r - 'a' + 'A'
			}
			return r
		}, s), nil
	},
	"double": func(s string) (string, error) { return s + s, nil },
	"fail":   func(string) (string, error) { return "", errors.New("redaction failed") },
}

func TestScrubVectorsValues(t *testing.T) {
	vectors := loadVectors(t, "scrub.json")
	for _, raw := range vectors["values"].([]any) {
		c := raw.(map[string]any)
		t.Run(c["name"].(string), func(t *testing.T) {
			max := limitValueString
			if m, ok := c["maxString"].(float64); ok {
				max = int(m)
			}
			got := Sanitize(expand(c["input"]), max)
			if want := expand(c["expected"]); !sameJSON(got, want) {
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(want)
				t.Fatalf("got  %.400s\nwant %.400s", g, w)
			}
		})
	}
}

func merged(defaults, fields map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range defaults {
		out[k] = v
	}
	for k, v := range fields {
		out[k] = v
	}
	return out
}

func TestScrubVectorsEvents(t *testing.T) {
	vectors := loadVectors(t, "scrub.json")
	defaults := vectors["eventDefaults"].(map[string]any)
	for _, raw := range vectors["events"].([]any) {
		c := raw.(map[string]any)
		t.Run(c["name"].(string), func(t *testing.T) {
			input, _ := json.Marshal(merged(defaults, expand(c["event"]).(map[string]any)))
			var e Event
			if err := json.Unmarshal(input, &e); err != nil {
				t.Fatal(err)
			}
			var redact func(string) (string, error)
			if name, ok := c["redact"].(string); ok {
				redact = vectorRedactions[name]
			}
			got, err := scrubEvent(&e, redact)
			if c["expected"] == nil {
				if err == nil {
					t.Fatalf("the event must be dropped, got %s", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("the event was dropped: %v", err)
			}
			want := merged(defaults, expand(c["expected"]).(map[string]any))
			var gotValue any
			_ = json.Unmarshal(got, &gotValue)
			if !sameJSON(gotValue, want) {
				w, _ := json.Marshal(want)
				t.Fatalf("got  %.600s\nwant %.600s", got, w)
			}
		})
	}
}
