package jsonwrite

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mcpsight/mcpsight/sdks/go/internal/jsontest"
)

// Everything here must write what encoding/json writes, byte for byte.

func encode(t *testing.T, v any, escapeHTML bool) ([]byte, error) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(escapeHTML)
	err := enc.Encode(v)
	return bytes.TrimRight(buf.Bytes(), "\n"), err
}

// oddStrings are the odd strings and random ones from r.
func oddStrings(r *rand.Rand) []string {
	return append(jsontest.OddStrings(), jsontest.RandomStrings(r, 500)...)
}

func TestAppendStringWritesWhatEncodingJSONWrites(t *testing.T) {
	for _, s := range oddStrings(rand.New(rand.NewPCG(1, 2))) {
		for _, html := range []bool{false, true} {
			want, _ := encode(t, s, html)
			if got := AppendString(nil, s, html); !bytes.Equal(got, want) {
				t.Fatalf("%q (HTML %v): got %s, want %s", s, html, got, want)
			}
			if got := AppendString(nil, []byte(s), html); !bytes.Equal(got, want) {
				t.Fatalf("%q as bytes (HTML %v): got %s, want %s", s, html, got, want)
			}
		}
	}
}

func TestAppendFloatWritesWhatEncodingJSONWrites(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	floats := []float64{0, math.Copysign(0, -1), 1, 0.001, 1e-7, 1.234e-6, 1e20, 1e21, 1.5e300, -2.5, math.SmallestNonzeroFloat64, math.MaxFloat64}
	for i := 0; i < 2000; i++ {
		floats = append(floats, (r.Float64()-0.5)*math.Pow(10, float64(r.IntN(80)-40)))
	}
	for _, f := range floats {
		if want, _ := encode(t, f, true); !bytes.Equal(AppendFloat(nil, f), want) {
			t.Fatalf("%v: got %s, want %s", f, AppendFloat(nil, f), want)
		}
	}
}

// randomValue is a value of what decoded JSON is made of, with now and then one AppendValue
// leaves to json.Marshal (or that it refuses).
func randomValue(r *rand.Rand, strs []string, depth int) any {
	n := 10
	if depth > 4 {
		n = 6
	}
	switch r.IntN(n) {
	case 0:
		return nil
	case 1:
		return r.IntN(2) == 0
	case 2, 3:
		return strs[r.IntN(len(strs))]
	case 4:
		return (r.Float64() - 0.5) * math.Pow(10, float64(r.IntN(50)-25))
	case 5:
		switch r.IntN(8) {
		case 0:
			return r.IntN(1000) - 500
		case 1:
			return r.Int64()
		case 2:
			return json.Number("-1.5e3")
		case 3:
			return json.RawMessage(` { "a" : "<" } `)
		case 4:
			return math.NaN()
		case 5:
			return []int{1, 2}
		case 6:
			return map[string]string{"b": "<", "a": "&"}
		default:
			return float32(r.Float64())
		}
	case 6, 7:
		if r.IntN(10) == 0 {
			return map[string]any(nil)
		}
		m := map[string]any{}
		for i := r.IntN(6); i > 0; i-- {
			m[strs[r.IntN(len(strs))]] = randomValue(r, strs, depth+1)
		}
		return m
	default:
		if r.IntN(10) == 0 {
			return []any(nil)
		}
		list := []any{}
		for i := r.IntN(6); i > 0; i-- {
			list = append(list, randomValue(r, strs, depth+1))
		}
		return list
	}
}

func TestAppendValueWritesWhatJSONMarshalWrites(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	strs := oddStrings(r)
	deep := any("bottom")
	for i := 0; i < 100; i++ {
		deep = []any{map[string]any{"d": deep}}
	}
	cycle := map[string]any{}
	cycle["self"] = cycle
	values := []any{deep, cycle, map[string]any{"k": cycle}, math.Inf(-1)}
	for i := 0; i < 5000; i++ {
		values = append(values, randomValue(r, strs, 0))
	}
	for _, v := range values {
		want, wantErr := json.Marshal(v)
		got, err := AppendValue([]byte("prefix"), v)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%#v: error %v, json.Marshal's %v", v, err, wantErr)
		}
		if err == nil && !bytes.Equal(got, append([]byte("prefix"), want...)) {
			t.Fatalf("%#v:\n got %s\nwant prefix%s", v, got, want)
		}
	}
}

// TestVerbatimOnlyForWhatJSONMarshalLeavesAsItIs: text Verbatim accepts is what json.Marshal
// writes for it as a json.RawMessage, and compact JSON without escaped characters is accepted.
func TestVerbatimOnlyForWhatJSONMarshalLeavesAsItIs(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	strs := oddStrings(r)
	texts := []string{"", " ", "{}", "[]", `""`, "0", "-0", "01", "1.", ".5", "1e", "1e+", "1E-2", "-", "tru", "true", "nul", "null ", " null",
		`{"a":1,}`, `[1,]`, `{"a"}`, `{"a":}`, `{1:2}`, `"\u12"`, `"\u12G4"`, `"\x"`, `"a`, "\"\x01\"", `"<"`, "\"\u2028\"", "\"\xe2\x80\"",
		`{"a":[1,{"b":null}],"c":"d"}`, `[[[[]]]]`, strings.Repeat("[", 300) + strings.Repeat("]", 300)}
	const mutations = "{}[]\",:\\ 0e-.a\x00<"
	for i := 0; i < 3000; i++ {
		v := randomValue(r, strs, 0)
		compact, err := encode(t, v, false)
		if err != nil {
			continue
		}
		texts = append(texts, string(compact))
		var spaced bytes.Buffer
		if json.Indent(&spaced, compact, "", " ") == nil {
			texts = append(texts, spaced.String())
		}
		// A byte changed, dropped or added somewhere.
		if len(compact) > 0 {
			b := []byte(string(compact))
			at := r.IntN(len(b))
			switch r.IntN(3) {
			case 0:
				b[at] = mutations[r.IntN(len(mutations))]
			case 1:
				b = append(b[:at], b[at+1:]...)
			default:
				b = append(b[:at], append([]byte{mutations[r.IntN(len(mutations))]}, b[at:]...)...)
			}
			texts = append(texts, string(b))
		}
	}
	accepted := 0
	for _, text := range texts {
		want, err := json.Marshal(json.RawMessage(text))
		verbatim := Verbatim([]byte(text))
		if verbatim && (err != nil || string(want) != text) {
			t.Fatalf("Verbatim accepted %q; json.Marshal writes %q (error %v)", text, want, err)
		}
		// Deeper text is left to json.Marshal on purpose.
		if !verbatim && err == nil && string(want) == text && strings.Count(text, "[")+strings.Count(text, "{") <= maxVerbatimDepth {
			t.Fatalf("Verbatim refused %q, which json.Marshal leaves as it is", text)
		}
		if verbatim {
			accepted++
		}
	}
	if accepted < len(texts)/4 {
		t.Fatalf("Verbatim accepted only %d of %d texts", accepted, len(texts))
	}
}
