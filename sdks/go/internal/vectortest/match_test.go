package vectortest

import "testing"

func TestMatcherRejectsWhatThePlaceholdersDoNotAllow(t *testing.T) {
	cases := []struct {
		name             string
		expected, actual any
		problems         int
	}{
		{"negative duration", "<duration>", -1.0, 1},
		{"timestamp without ms", "<timestamp>", "2026-01-01T00:00:00Z", 1},
		{"optional key missing", map[string]any{"a": "<any?>"}, map[string]any{}, 0},
		{"required key missing", map[string]any{"a": "<any>"}, map[string]any{}, 1},
		{"unexpected key", map[string]any{"a": 1.0}, map[string]any{"a": 1.0, "b": 2.0}, 1},
		{"subset", map[string]any{"$subset": map[string]any{"a": 1.0}}, map[string]any{"a": 1.0, "b": 2.0}, 0},
		{"names in order", map[string]any{"$names": []any{"x", "y"}}, []any{map[string]any{"name": "y"}, map[string]any{"name": "x"}}, 1},
		{"contains", map[string]any{"$contains": "boom"}, "Error: boom!", 0},
		{"language", "<sdkLanguage>", "typescript", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := mismatches(tc.expected, tc.actual, "v", newMatchState()); len(got) != tc.problems {
				t.Fatalf("%d problems %v, want %d", len(got), got, tc.problems)
			}
		})
	}
}

func TestMatcherBindsSessionsAndIDs(t *testing.T) {
	state := newMatchState()
	for i, c := range []struct {
		expected, actual string
		problems         int
	}{
		{"<session:1>", "ses_a", 0}, {"<session:1>", "ses_b", 1}, {"<session:2>", "ses_a", 1},
		{"<id>", "e1", 0}, {"<id>", "e1", 1},
	} {
		if got := mismatches(c.expected, c.actual, "v", state); len(got) != c.problems {
			t.Fatalf("case %d: %v", i, got)
		}
	}
}
