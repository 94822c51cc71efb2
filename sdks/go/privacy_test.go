package mcpsight

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/mcpsight/mcpsight/sdks/go/internal/jsontest"
	"github.com/mcpsight/mcpsight/sdks/go/internal/sinktest"
)

// How recorded content becomes an event's JSON: the privacy pass over the content's JSON text,
// with the request-params rules, and isError results.

func TestTextPassRequestParams(t *testing.T) {
	cases := []struct {
		name              string
		params, forwarded bool
		in, want          string
	}{
		{"params drop their _meta, not a nested one", true, false,
			`{"name":"t","_meta":{"progressToken":1},"arguments":{"_meta":"kept","q":"x"}}`,
			`{"name":"t","arguments":{"_meta":"kept","q":"x"}}`},
		{"forwarded arguments lose context, at their top only", true, true,
			`{"name":"t","arguments":{"context":"why","q":{"context":"kept"}}}`,
			`{"name":"t","arguments":{"q":{"context":"kept"}}}`},
		{"an escaped key is the same key", true, true,
			`{"\u005fmeta":1,"arguments":{"\u0063ontext":"why","q":1}}`,
			`{"arguments":{"q":1}}`},
		{"other content keeps both", false, false,
			`{"_meta":1,"arguments":{"context":"x"}}`,
			`{"_meta":1,"arguments":{"context":"x"}}`},
		{"members keep their order", false, false,
			`{"z":1,"a":[true,null,-1.5e3],"m":"text"}`,
			`{"z":1,"a":[true,null,-1.5e3],"m":"text"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pass := textPass{maxString: limitValueString, params: tc.params, forwarded: tc.forwarded}
			got, err := pass.run(nil, []byte(tc.in))
			if err != nil || string(got) != tc.want {
				t.Fatalf("got %s (%v), want %s", got, err, tc.want)
			}
		})
	}
}

func TestTextPassRefusesWhatIsNotJSON(t *testing.T) {
	for _, in := range []string{``, `{`, `{"a":}`, `{"a":1,}`, `[1,]`, `{"a" 1}`, `{"a":nul}`, `{"a":01}`, `"open`, `{} {}`, `{"a":"\x"}`} {
		pass := textPass{maxString: limitValueString}
		if out, err := pass.run(nil, []byte(in)); err == nil {
			t.Errorf("%q accepted as %s", in, out)
		}
	}
}

func TestCutContext(t *testing.T) {
	cases := []struct {
		in, rest, intent string
		ok               bool
	}{
		{`{"context":"why","q":1}`, `{"q":1}`, "why", true},
		{` { "q" : [1, 2] , "context" : "a \"quoted\" why" } `, `{"q":[1, 2]}`, `a "quoted" why`, true},
		{`{"\u0063ontext":"escaped key","q":1}`, `{"q":1}`, "escaped key", true},
		{`{"context":42,"q":1}`, `{"q":1}`, "", true},
		{`{"context":"first","context":"last"}`, `{}`, "last", true},
		{`{"q":1}`, "", "", false},
		{`["context"]`, "", "", false},
		{`{"context":"x"`, "", "", false},
	}
	for _, tc := range cases {
		rest, intent, ok := cutContext([]byte(tc.in))
		if string(rest) != tc.rest || intent != tc.intent || ok != tc.ok {
			t.Errorf("%s: got %s %q %v, want %s %q %v", tc.in, rest, intent, ok, tc.rest, tc.intent, tc.ok)
		}
	}
}

// TestCutContextSplicesCompactText: arguments as clients send them are cut by splicing the text,
// into what writing their members again gives; other text is written again.
func TestCutContextSplicesCompactText(t *testing.T) {
	var values []string
	for _, s := range jsontest.OddStrings() {
		data, _ := json.Marshal(s)
		values = append(values, string(data))
	}
	values = append(values, `1`, `-2.5e3`, `true`, `null`, `{}`, `[]`, `{"context":"inner","a":[1,{"b":"}"}]}`, `["]",{"x":"["}]`)
	compact := func(members ...string) string { return "{" + strings.Join(members, ",") + "}" }
	var spliced, inputs []string
	for _, v := range values {
		spliced = append(spliced,
			compact(`"context":`+v),
			compact(`"context":`+v, `"q":1`),
			compact(`"q":1`, `"context":`+v),
			compact(`"a":`+v, `"context":"why"`, `"b":`+v),
			compact(`"a":`+v, `"b":true`))
		inputs = append(inputs,
			compact(`"context":"first"`, `"a":`+v, `"context":"last"`),
			`{"context":`+v+` ,"q":1}`,
			`{"q": 1,"context":`+v+`}`,
			compact(`"\u0063ontext":`+v, `"q":1`),
			compact(`"é":`+v, `"context":"why"`),
			compact(`"q":`+v, `"context":"why"`)+" ",
			compact(`"q":`+v, `"context":"why"`)[:12])
	}
	inputs = append(inputs, spliced...)
	inputs = append(inputs, `{}`, `{"context"}`, `{"context":}`, `{"context":"x",}`, `{"a":{"b":1}`, `{"a":1}}`, `{,"a":1}`)
	for _, in := range inputs {
		for _, wantIntent := range []bool{true, false} {
			rest, intent, ok := cutContextMember([]byte(in), wantIntent)
			wantRest, wantIntentText, wantOK := rewriteWithoutContext([]byte(in), wantIntent)
			if string(rest) != string(wantRest) || intent != wantIntentText || ok != wantOK {
				t.Errorf("%s (intent %v): got %s %q %v, written again %s %q %v", in, wantIntent, rest, intent, ok, wantRest, wantIntentText, wantOK)
			}
		}
	}
	for _, in := range spliced {
		if _, _, _, done := spliceContext([]byte(in), true); !done {
			t.Errorf("%s was not spliced", in)
		}
	}
}

// customJSON has its own encoding, which is what gets recorded.
type customJSON struct{ text string }

func (c customJSON) MarshalJSON() ([]byte, error) { return []byte(c.text), nil }

// recordOne records one tools/call through a tracker and returns what the sink received.
func recordOne(t *testing.T, r *Request, result any, err error) (map[string]any, DeliveryStats, string) {
	t.Helper()
	s := sinktest.Start(t)
	shutdown(t)
	var logs bytes.Buffer
	tracker := newTestTracker(t, s.URL, &logs)
	r.Ctx, r.Method, r.Connection = context.Background(), "tools/call", tracker
	call := tracker.Begin(r)
	call.Finish(result, err)
	stats := flushAndStop(t)
	events := s.Events()
	if len(events) > 1 {
		t.Fatalf("%d events", len(events))
	}
	if len(events) == 0 {
		return nil, stats, logs.String()
	}
	return events[0], stats, logs.String()
}

func TestRequestEventContent(t *testing.T) {
	args := json.RawMessage(`{"context":"Looks up the rota.","query":"rota","apiKey":"sk-123"}`)
	r := &Request{ToolName: "search", ResourceName: "search", RawArguments: args,
		Params: json.RawMessage(`{"name":"search","arguments":` + string(args) + `,"_meta":{"progressToken":7}}`)}
	event, _, _ := recordOne(t, r, customJSON{`{"content":[{"type":"text","text":"on call: Ada"}],"structuredContent":{"big":12345678901234567890}}`}, nil)
	want := map[string]any{"name": "search", "arguments": map[string]any{"query": "rota", "apiKey": redacted}}
	if !reflect.DeepEqual(event["parameters"], want) {
		t.Errorf("parameters %v, want %v", event["parameters"], want)
	}
	if event["userIntent"] != "Looks up the rota." || event["isError"] != nil {
		t.Errorf("intent %v, isError %v", event["userIntent"], event["isError"])
	}
	response, _ := json.Marshal(event["response"])
	if !strings.Contains(string(response), `"text":"on call: Ada"`) {
		t.Errorf("response %s", response)
	}
}

// TestARequestBegunTwiceIsTwoCalls: Begin puts the first Call in the Request; a second Begin of
// the same Request gets a Call of its own, and both are recorded.
func TestARequestBegunTwiceIsTwoCalls(t *testing.T) {
	s := sinktest.Start(t)
	shutdown(t)
	tracker := newTestTracker(t, s.URL, io.Discard)
	r := &Request{Ctx: context.Background(), Method: "tools/call", ToolName: "t", ResourceName: "t", Connection: tracker}
	first, second := tracker.Begin(r), tracker.Begin(r)
	if first == nil || second == nil || first == second {
		t.Fatalf("calls %p and %p", first, second)
	}
	second.Finish(nil, errors.New("second"))
	first.Finish(nil, errors.New("first"))
	flushAndStop(t)
	var messages []string
	for _, e := range s.Events() {
		data, _ := e["error"].(map[string]any)
		message, _ := data["message"].(string)
		messages = append(messages, message)
	}
	if len(messages) != 2 || messages[0] == messages[1] {
		t.Fatalf("events with errors %q", messages)
	}
}

func TestLargeIntegersKeepTheirDigits(t *testing.T) {
	s := sinktest.Start(t)
	shutdown(t)
	tracker := newTestTracker(t, s.URL, io.Discard)
	call := tracker.Begin(&Request{Ctx: context.Background(), Method: "tools/call", Connection: tracker,
		Params: map[string]any{"id": json.Number("12345678901234567890")}})
	call.Finish(nil, nil)
	shutdown(t)
	if batches := s.Batches(); len(batches) != 1 || !strings.Contains(string(batches[0].Events[0]), `"parameters":{"id":12345678901234567890}`) {
		t.Fatalf("batches %v", batches)
	}
}

func TestToolResultWithIsError(t *testing.T) {
	cases := []struct {
		name, result, message string
		isError               bool
	}{
		{"its text is the message", `{"content":[{"type":"text","text":"no such note"},{"type":"image","data":"AA=="},{"type":"text","text":"try again"}],"isError":true}`,
			"no such note\ntry again", true},
		{"without text", `{"content":[],"isError":true}`, "Tool returned isError: true", true},
		{"only at the top", `{"content":[{"type":"text","text":"x","isError":true}]}`, "", false},
		{"false", `{"content":[],"isError":false}`, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			event, _, _ := recordOne(t, &Request{ToolName: "t"}, json.RawMessage(tc.result), nil)
			errorData, _ := event["error"].(map[string]any)
			if isError, _ := event["isError"].(bool); isError != tc.isError || tc.isError && (errorData["message"] != tc.message || errorData["type"] != "ToolResultError") {
				t.Fatalf("isError %v, error %v", event["isError"], event["error"])
			}
		})
	}
}

func TestContentThatIsNotJSONDropsTheEvent(t *testing.T) {
	event, stats, logs := recordOne(t, &Request{ToolName: "t"}, customJSON{`{"content":[1,]}`}, nil)
	if event != nil || stats.Dropped != 1 || !strings.Contains(logs, "could not serialize an event") {
		t.Fatalf("event %v, stats %+v, logs:\n%s", event, stats, logs)
	}
}

// FuzzTextPass: whatever a MarshalJSON method returns, the pass never panics, accepts all JSON,
// and writes only JSON (`go test -fuzz FuzzTextPass` explores beyond these seeds).
func FuzzTextPass(f *testing.F) {
	for _, seed := range []string{`{"a":[1,{"type":"image","data":"AAAA"}],"token":"x"}`, `"Bearer abcdefghijkl"`, `[[[[]]]]`,
		`{"blob":"QUJD","data":1,"type":"audio"}`, `{"a":"\ud83d\ude00\u2028"}`, `-0.5e-3`, `{"a":}`, "\"\xff\""} {
		f.Add([]byte(seed), false)
	}
	f.Fuzz(func(t *testing.T, src []byte, params bool) {
		pass := textPass{maxString: 20, params: params, forwarded: params}
		out, err := pass.run(nil, src)
		if err == nil && !json.Valid(out) {
			t.Fatalf("%q became %q, not JSON", src, out)
		}
		if err != nil && json.Valid(src) {
			t.Fatalf("%q is JSON but was refused: %v", src, err)
		}
	})
}
