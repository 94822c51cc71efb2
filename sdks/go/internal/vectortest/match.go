package vectortest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
)

// The file's `matching` rules: placeholders for what differs between runs and languages, and the
// structural matchers $contains, $subset and $names.

var timestamp = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)

// matchState is what one scenario's matching shares: session bindings and the ids seen.
type matchState struct {
	sessions map[string]string
	ids      map[string]bool
}

func newMatchState() *matchState {
	return &matchState{sessions: map[string]string{}, ids: map[string]bool{}}
}

// mismatches lists, as readable lines, where actual does not match expected. A missing key is
// represented by absent=true.
func mismatches(expected, actual any, path string, state *matchState) []string {
	fail := func(what string) []string {
		got, _ := json.Marshal(actual)
		return []string{fmt.Sprintf("%s: expected %s, got %.300s", path, what, got)}
	}
	if text, ok := expected.(string); ok && strings.HasPrefix(text, "<") && strings.HasSuffix(text, ">") {
		if name, ok := strings.CutPrefix(strings.TrimSuffix(text, ">"), "<session:"); ok {
			id, _ := actual.(string)
			if id == "" {
				return fail("a session id")
			}
			bound, known := state.sessions[name]
			if !known {
				for _, other := range state.sessions {
					if other == id {
						return fail("a session id other than the others")
					}
				}
				state.sessions[name] = id
			} else if bound != id {
				return fail("the session id " + bound)
			}
			return nil
		}
		switch text {
		case "<id>":
			id, _ := actual.(string)
			if id == "" || state.ids[id] {
				return fail("a new event id")
			}
			state.ids[id] = true
			return nil
		case "<timestamp>":
			if s, ok := actual.(string); ok && timestamp.MatchString(s) {
				return nil
			}
			return fail("a UTC timestamp with ms")
		case "<duration>":
			if d, ok := actual.(float64); ok && d >= 0 {
				return nil
			}
			return fail("a duration")
		case "<sdkLanguage>":
			if actual == "go" {
				return nil
			}
			return fail(`"go"`)
		case "<sdkVersion>":
			if s, ok := actual.(string); ok && s != "" {
				return nil
			}
			return fail("a version")
		case "<any>", "<any?>":
			if actual == nil {
				return fail("a value")
			}
			return nil
		}
	}
	if object, ok := expected.(map[string]any); ok && len(object) == 1 {
		for key, inner := range object {
			switch key {
			case "$contains":
				if s, ok := actual.(string); ok && strings.Contains(s, fmt.Sprint(inner)) {
					return nil
				}
				return fail(fmt.Sprintf("text containing %v", inner))
			case "$names":
				items, ok := actual.([]any)
				if !ok {
					return fail("an array")
				}
				names := make([]any, len(items))
				for i, item := range items {
					m, _ := item.(map[string]any)
					names[i] = m["name"]
				}
				if reflect.DeepEqual(names, inner) {
					return nil
				}
				return fail(fmt.Sprintf("names %v", inner))
			case "$subset":
				want, ok1 := inner.(map[string]any)
				got, ok2 := actual.(map[string]any)
				if !ok1 || !ok2 {
					return fail("an object")
				}
				var problems []string
				for _, k := range sortedKeys(want) {
					problems = append(problems, mismatches(want[k], got[k], path+"."+k, state)...)
				}
				return problems
			}
		}
	}
	switch want := expected.(type) {
	case []any:
		got, ok := actual.([]any)
		if !ok || len(got) != len(want) {
			return fail(fmt.Sprintf("%d items", len(want)))
		}
		var problems []string
		for i := range want {
			problems = append(problems, mismatches(want[i], got[i], fmt.Sprintf("%s[%d]", path, i), state)...)
		}
		return problems
	case map[string]any:
		got, ok := actual.(map[string]any)
		if !ok {
			return fail("an object")
		}
		keys := map[string]bool{}
		for k := range want {
			keys[k] = true
		}
		for k := range got {
			keys[k] = true
		}
		var problems []string
		for _, k := range sortedKeys(keys) {
			w, inWant := want[k]
			g, inGot := got[k]
			switch {
			case !inWant:
				data, _ := json.Marshal(g)
				problems = append(problems, fmt.Sprintf("%s.%s: not expected, got %.300s", path, k, data))
			case !inGot:
				if w != "<any?>" {
					problems = append(problems, fmt.Sprintf("%s.%s: missing", path, k))
				}
			default:
				problems = append(problems, mismatches(w, g, path+"."+k, state)...)
			}
		}
		return problems
	}
	if reflect.DeepEqual(expected, actual) {
		return nil
	}
	data, _ := json.Marshal(expected)
	return fail(string(data))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
