package eventcheck

import (
	"strings"
	"testing"
)

func TestProblems(t *testing.T) {
	valid := `{"id":"e1","projectId":"proj_x","sessionId":"ses_1","eventType":"mcp:tools/call","timestamp":"2026-01-01T00:00:00.000Z"}`
	cases := []struct {
		name, event, want string
	}{
		{"valid", valid, ""},
		{"unknown field", strings.Replace(valid, `"id"`, `"extra":1,"id"`, 1), "additional"},
		{"no session id without stateless", strings.Replace(valid, `"sessionId":"ses_1",`, "", 1), "sessionId"},
		{"emoji counted in UTF-16 units", strings.Replace(valid, `"e1"`, `"`+strings.Repeat("😀", 65)+`"`, 1), "130 UTF-16 units long, over 128"},
		{"tag key in UTF-16 units", strings.Replace(valid, `"id"`, `"tags":{"`+strings.Repeat("é", 16)+strings.Repeat("😀", 9)+`":"v"},"id"`, 1), "(key) is 34 UTF-16 units"},
		{"nesting", strings.Replace(valid, `"id"`, `"parameters":`+strings.Repeat("[", 65)+strings.Repeat("]", 65)+`,"id"`, 1), "nests 65 levels"},
		{"size", strings.Replace(valid, `"id"`, `"response":"`+strings.Repeat("x", 262144)+`","id"`, 1), "bytes of JSON, over 262144"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			problems := strings.Join(Problems([]byte(tc.event)), "\n")
			if tc.want == "" && problems != "" || tc.want != "" && !strings.Contains(problems, tc.want) {
				t.Fatalf("problems %q, want one containing %q", problems, tc.want)
			}
		})
	}
}
