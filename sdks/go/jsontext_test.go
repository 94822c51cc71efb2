package mcpsight

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/mcpsight/mcpsight/sdks/go/internal/jsontest"
)

// The hand-written JSON must be what encoding/json writes (HTML escaping off, as the SDK always
// encoded), and read what encoding/json reads.

func stdJSON(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// trickyStrings are the odd strings and random ones.
func trickyStrings() []string {
	return append(jsontest.OddStrings(), jsontest.RandomStrings(rand.New(rand.NewPCG(1, 2)), 500)...)
}

func TestAppendJSONStringWritesWhatEncodingJSONWrites(t *testing.T) {
	for _, s := range trickyStrings() {
		if got, want := appendJSONString(nil, s), stdJSON(t, s); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
		if got, want := appendJSONString(nil, []byte(s)), stdJSON(t, s); !bytes.Equal(got, want) {
			t.Fatalf("%q as bytes: got %s, want %s", s, got, want)
		}
	}
}

func TestAppendJSONFloatWritesWhatEncodingJSONWrites(t *testing.T) {
	for _, f := range []float64{0, 1, 0.001, 0.231, 1.5, 123456.789, 1e-7, 1.234e-6, 1e20, 1e21, 1.5e300, -2.5, math.SmallestNonzeroFloat64, math.MaxFloat64} {
		if got, want := appendJSONFloat(nil, f), stdJSON(t, f); !bytes.Equal(got, want) {
			t.Errorf("%v: got %s, want %s", f, got, want)
		}
	}
}

func TestUnescapeReadsWhatEncodingJSONReads(t *testing.T) {
	bodies := []string{`plain`, `\"\\\/\b\f\n\r\t`, `\u00e9\u20AC`, `\ud83d\ude00`, `\ud83d`, `\ude00x`, `\ud83dx\ude00`,
		`\ud83d\u0041`, "raw \xff byte", `\u0000`}
	for _, s := range trickyStrings() {
		quoted := stdJSON(t, s)
		bodies = append(bodies, string(quoted[1:len(quoted)-1]))
	}
	for _, body := range bodies {
		var want string
		if err := json.Unmarshal([]byte(`"`+body+`"`), &want); err != nil {
			t.Fatalf("%q: %v", body, err)
		}
		got, err := unescape(nil, []byte(body))
		if err != nil || string(got) != want {
			t.Fatalf("%q: got %q (%v), want %q", body, got, err, want)
		}
	}
	for _, bad := range []string{`\`, `\x`, `\u12`, `\u12G4`} {
		if _, err := unescape(nil, []byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestScanLiteralAcceptsExactlyJSONLiterals(t *testing.T) {
	for _, text := range []string{"0", "-0", "12", "-12.5", "1e5", "1E+5", "2.5e-3", "true", "false", "null", "12345678901234567890"} {
		if end, err := scanLiteral([]byte(text), 0); err != nil || end != len(text) {
			t.Errorf("%s: end %d, err %v", text, end, err)
		}
	}
	for _, text := range []string{"01", "-", "1.", ".5", "1e", "1e+", "+1", "nul", "tru", "NaN", "Infinity", "0x10"} {
		if end, err := scanLiteral([]byte(text), 0); err == nil && end == len(text) {
			t.Errorf("%s accepted", text)
		}
	}
}

func TestAppendEventWritesWhatEncodingJSONWrites(t *testing.T) {
	duration := 12.345
	full := &Event{ID: "id-1", ProjectID: "proj_x", SessionID: "ses_1", EventType: "mcp:tools/call",
		Timestamp: "2026-12-03T10:00:00.123Z", Duration: &duration, ResourceName: "search <notes>",
		UserIntent: "find \u2028 it", IsError: true, Error: &ErrorData{Message: "boom \"x\"", Type: "*errors.errorString", Stack: "a\nb"},
		IdentifyActorGivenID: "u1", IdentifyActorName: "Ada", ClientName: "claude-code", ClientVersion: "2.0",
		ServerName: "notes", ServerVersion: "1.0", SDKLanguage: "go", SDKVersion: "0.1.0",
		Tags: map[string]string{"z": "1", "a": "2", "m<": "3"}, Stateless: true, CorrelationID: "cor_1"}
	content := [contentFields][]byte{[]byte(`{"name":"search"}`), []byte(`{"content":[]}`), []byte(`{"k":1}`), []byte(`{"plan":"pro"}`)}
	minimal := &Event{ID: "id-2", ProjectID: "p", EventType: "mcp:initialize", Timestamp: "2026-12-03T10:00:00.000Z", Error: &ErrorData{}}
	for _, tc := range []struct {
		e       *Event
		content [contentFields][]byte
	}{{full, content}, {minimal, [contentFields][]byte{}}} {
		want := *tc.e
		for field, raw := range tc.content {
			if raw != nil {
				*[]*any{&want.Parameters, &want.Response, &want.Properties, &want.IdentifyActorData}[field] = json.RawMessage(raw)
			}
		}
		if got, want := appendEvent(nil, tc.e, &tc.content), stdJSON(t, &want); !bytes.Equal(got, want) {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	}
}

func TestISOTimestampIsTheProtocolsFormat(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	zone := time.FixedZone("x", 5*3600+30*60)
	for i := 0; i < 2000; i++ {
		at := time.Unix(r.Int64N(4102444800), r.Int64N(1e9)).In(zone)
		if got, want := isoTimestamp(at), at.UTC().Format("2006-01-02T15:04:05.000Z"); got != want {
			t.Fatalf("%v: got %s, want %s", at, got, want)
		}
	}
	far := time.Date(12000, 1, 2, 3, 4, 5, 6e6, time.UTC)
	if got := isoTimestamp(far); got != far.Format("2006-01-02T15:04:05.000Z") {
		t.Errorf("year 12000: %s", got)
	}
}

func TestEventIDsAreUniqueAndCarryTheProcessPrefix(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id := newEventID()
		if seen[id] || !strings.HasPrefix(id, idPrefix+"-") {
			t.Fatalf("id %q", id)
		}
		seen[id] = true
	}
}

// TestSkipStringEndsWhereScanStringEnds, over JSON strings, text with runs of backslashes before
// quotes, and text that never closes.
func TestSkipStringEndsWhereScanStringEnds(t *testing.T) {
	var sources []string
	for _, s := range trickyStrings() {
		data, _ := json.Marshal(s)
		sources = append(sources, string(data), string(data)+`,"next":"x"`, `"`+s)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		b := make([]byte, 1+r.IntN(12))
		for j := range b {
			b[j] = `\"a`[r.IntN(3)]
		}
		sources = append(sources, `"`+string(b), `"`+string(b)+`"`)
	}
	for _, src := range sources {
		end, err := skipString([]byte(src), 0)
		wantEnd, _, wantErr := scanString([]byte(src), 0)
		if end != wantEnd || (err == nil) != (wantErr == nil) {
			t.Errorf("%q: got %d %v, want %d %v", src, end, err, wantEnd, wantErr)
		}
	}
}
