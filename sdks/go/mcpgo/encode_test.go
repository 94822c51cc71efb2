package mcpgo

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpsight/mcpsight/sdks/go/internal/jsontest"
)

// The recorded params and results must be written exactly as json.Marshal writes them: the
// same text reaches the privacy pass, so the event is what it was when json.Marshal wrote it.

// checkSame fails unless v's AppendJSON wrote what json.Marshal writes for v's value, both
// behind a prefix (the writer appends to a buffer in use). fast says whether the value must
// have been written without json.Marshal.
func checkSame(t *testing.T, v interface {
	AppendJSON([]byte) ([]byte, error)
}, value any, fast bool,
) {
	t.Helper()
	want, wantErr := json.Marshal(value)
	got, err := v.AppendJSON([]byte("prefix"))
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("%#v: error %v, json.Marshal's %v", value, err, wantErr)
	}
	if wantErr == nil && !bytes.Equal(got, append([]byte("prefix"), want...)) {
		t.Fatalf("%#v:\n got %s\nwant prefix%s", value, got, want)
	}
	if !fast {
		return
	}
	var direct []byte
	var ok bool
	switch x := value.(type) {
	case *mcp.CallToolResult:
		direct, ok = appendToolResult(nil, x)
	case *mcp.CallToolParams:
		direct, ok = appendToolParams(nil, x)
	}
	if !ok {
		t.Fatalf("%#v was written by json.Marshal, not directly", value)
	}
	if !bytes.Equal(direct, want) {
		t.Fatalf("%#v, written directly:\n got %s\nwant %s", value, direct, want)
	}
}

func TestWriterKnowsTheShapesOfThisRelease(t *testing.T) {
	s := shapes
	for name, known := range map[string]bool{"result": s.result, "params": s.params, "meta": s.meta, "annotations": s.annotations,
		"text": s.text, "image": s.image, "audio": s.audio, "embedded": s.embedded, "textResource": s.textResource, "blobResource": s.blobResource} {
		if !known {
			t.Errorf("the writer does not know mcp-go's %s shape", name)
		}
	}
	if !writerAgrees() {
		t.Fatal("the writer disagrees with json.Marshal on its own samples")
	}
}

func TestResultsAreWrittenAsJSONMarshalWritesThem(t *testing.T) {
	for _, s := range jsontest.OddStrings() {
		priority := 0.5
		annotations := &mcp.Annotations{Audience: []mcp.Role{mcp.Role(s)}, Priority: &priority, LastModified: s}
		meta := &mcp.Meta{AdditionalFields: map[string]any{s: s, "k": []any{s}}}
		results := []*mcp.CallToolResult{
			mcp.NewToolResultText(s),
			mcp.NewToolResultError(s),
			{Result: mcp.Result{Meta: meta}, Content: []mcp.Content{
				mcp.TextContent{Annotated: mcp.Annotated{Annotations: annotations}, Meta: meta, Type: s, Text: s},
				mcp.ImageContent{Type: "image", Data: s, MIMEType: s},
				&mcp.AudioContent{Type: "audio", Data: s, MIMEType: s},
				mcp.EmbeddedResource{Type: "resource", Resource: mcp.TextResourceContents{URI: s, MIMEType: s, Text: s, Meta: map[string]any{s: 1}}},
				mcp.EmbeddedResource{Type: "resource", Resource: &mcp.BlobResourceContents{URI: s, Blob: s}},
			}, StructuredContent: map[string]any{s: map[string]any{s: s}}},
		}
		for _, r := range results {
			checkSame(t, toolResult{r}, r, true)
		}
	}
}

func TestParamsAreWrittenAsJSONMarshalWritesThem(t *testing.T) {
	for _, s := range jsontest.OddStrings() {
		arguments := map[string]any{"text": s, s: []any{1.0, s}}
		raw, err := json.Marshal(arguments)
		if err != nil {
			t.Fatal(err)
		}
		// As received, with HTML characters unescaped (as clients write them) and spaced out.
		unescaped := []byte(strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(raw)))
		var spaced bytes.Buffer
		_ = json.Indent(&spaced, raw, " ", "\t")
		for _, p := range []*mcp.CallToolParams{
			{Name: s, Arguments: arguments},
			{Name: s, Arguments: arguments, RawArguments: raw},
			{Name: "echo", RawArguments: unescaped},
			{Name: "echo", RawArguments: spaced.Bytes()},
			{Name: "echo", RawArguments: json.RawMessage(`{"a":` + string(raw) + `,"b":"` + strings.Repeat(`\"`, 3) + `"}`),
				Meta: &mcp.Meta{ProgressToken: s, AdditionalFields: map[string]any{"progressToken": 2.0, s: s}}},
		} {
			checkSame(t, toolParams{p}, p, false)
		}
	}
	plain := &mcp.CallToolParams{Name: "echo", RawArguments: json.RawMessage(`{"text":"hello","context":"why é"}`)}
	checkSame(t, toolParams{plain}, plain, true)
}

func TestWhatJSONMarshalRefusesFailsAlike(t *testing.T) {
	nan := math.NaN()
	results := []*mcp.CallToolResult{
		{Content: []mcp.Content{mcp.TextContent{Type: "text", Annotated: mcp.Annotated{Annotations: &mcp.Annotations{Priority: &nan}}}}},
		{StructuredContent: map[string]any{"x": math.Inf(1)}},
		{Result: mcp.Result{Meta: &mcp.Meta{ProgressToken: func() {}}}},
		{RawStructuredContent: json.RawMessage(`{"a":`)},
		{StructuredContent: map[string]any{"c": make(chan int)}},
	}
	for _, r := range results {
		checkSame(t, toolResult{r}, r, false)
	}
	for _, p := range []*mcp.CallToolParams{
		{Name: "echo", RawArguments: json.RawMessage(`{"a":1,}`)},
		{Name: "echo", RawArguments: json.RawMessage(`{"a":1}x`)},
		{Name: "echo", Arguments: map[string]any{"n": nan}},
	} {
		checkSame(t, toolParams{p}, p, false)
	}
}

func TestRandomResultsAndParamsAreWrittenAsJSONMarshalWritesThem(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	g := &generator{r: r, strings: jsontest.OddStrings()}
	direct := [2]int{}
	for i := 0; i < 3000; i++ {
		result := g.result()
		checkSame(t, toolResult{result}, result, false)
		params := g.params()
		checkSame(t, toolParams{params}, params, false)
		if _, ok := appendToolResult(nil, result); ok {
			direct[0]++
		}
		if _, ok := appendToolParams(nil, params); ok {
			direct[1]++
		}
	}
	// Not a test of json.Marshal alone: most values are written directly.
	if direct[0] < 1000 || direct[1] < 1000 {
		t.Fatalf("only %d results and %d params of 3000 were written directly", direct[0], direct[1])
	}
}

// generator makes random results and params of every shape, known to the writer or not.
type generator struct {
	r       *rand.Rand
	strings []string
}

func (g *generator) str() string {
	if g.r.IntN(3) == 0 {
		b := make([]byte, g.r.IntN(12))
		for i := range b {
			b[i] = byte(g.r.IntN(256))
		}
		return string(b)
	}
	return g.strings[g.r.IntN(len(g.strings))]
}

func (g *generator) float() float64 {
	switch g.r.IntN(5) {
	case 0:
		return float64(g.r.IntN(2000) - 1000)
	case 1:
		return g.r.Float64() * math.Pow(10, float64(g.r.IntN(60)-30))
	case 2:
		return -g.r.NormFloat64() * 1e21
	case 3:
		return float64(g.r.Int64())
	default:
		return g.r.Float64()
	}
}

// value is a random JSON-like value, with now and then one encoding/json writes its own way.
func (g *generator) value(depth int) any {
	n := 9
	if depth > 3 {
		n = 5
	}
	switch g.r.IntN(n) {
	case 0:
		return nil
	case 1:
		return g.r.IntN(2) == 0
	case 2:
		return g.str()
	case 3:
		return g.float()
	case 4:
		switch g.r.IntN(6) {
		case 0:
			return g.r.IntN(100)
		case 1:
			return int64(g.r.Int64())
		case 2:
			return json.Number("12.50")
		case 3:
			return []string{g.str()}
		case 4:
			return struct {
				A string `json:"a"`
				B int    `json:"b,omitempty"`
			}{A: g.str()}
		default:
			return float32(g.float())
		}
	case 5, 6:
		m := map[string]any{}
		if g.r.IntN(8) == 0 {
			m = nil
		}
		for i := g.r.IntN(5); i > 0; i-- {
			if m == nil {
				m = map[string]any{}
			}
			m[g.str()] = g.value(depth + 1)
		}
		return m
	default:
		var list []any
		if g.r.IntN(8) != 0 {
			list = []any{}
		}
		for i := g.r.IntN(5); i > 0; i-- {
			list = append(list, g.value(depth+1))
		}
		return list
	}
}

func (g *generator) meta() *mcp.Meta {
	if g.r.IntN(3) != 0 {
		return nil
	}
	m := &mcp.Meta{}
	if g.r.IntN(2) == 0 {
		m.ProgressToken = g.value(3)
	}
	if fields, ok := g.value(2).(map[string]any); ok {
		m.AdditionalFields = fields
	}
	if g.r.IntN(4) == 0 {
		if m.AdditionalFields == nil {
			m.AdditionalFields = map[string]any{}
		}
		m.AdditionalFields["progressToken"] = g.str()
	}
	return m
}

func (g *generator) annotations() mcp.Annotated {
	if g.r.IntN(3) != 0 {
		return mcp.Annotated{}
	}
	a := &mcp.Annotations{}
	for i := g.r.IntN(3); i > 0; i-- {
		a.Audience = append(a.Audience, mcp.Role(g.str()))
	}
	if g.r.IntN(2) == 0 {
		p := g.float()
		a.Priority = &p
	}
	if g.r.IntN(2) == 0 {
		a.LastModified = g.str()
	}
	return mcp.Annotated{Annotations: a}
}

func (g *generator) resource() mcp.ResourceContents {
	var meta map[string]any
	if m, ok := g.value(2).(map[string]any); ok {
		meta = m
	}
	switch g.r.IntN(5) {
	case 0:
		return mcp.TextResourceContents{Meta: meta, URI: g.str(), MIMEType: g.str(), Text: g.str()}
	case 1:
		return &mcp.TextResourceContents{URI: g.str(), Text: g.str()}
	case 2:
		return mcp.BlobResourceContents{Meta: meta, URI: g.str(), MIMEType: g.str(), Blob: g.str()}
	case 3:
		return &mcp.BlobResourceContents{URI: g.str(), Blob: g.str()}
	default:
		return nil
	}
}

func (g *generator) content() mcp.Content {
	switch g.r.IntN(10) {
	case 0:
		return mcp.TextContent{Annotated: g.annotations(), Meta: g.meta(), Type: "text", Text: g.str()}
	case 1:
		return &mcp.TextContent{Annotated: g.annotations(), Type: g.str(), Text: g.str()}
	case 2:
		return mcp.ImageContent{Annotated: g.annotations(), Meta: g.meta(), Type: "image", Data: g.str(), MIMEType: g.str()}
	case 3:
		return &mcp.ImageContent{Type: "image", Data: g.str()}
	case 4:
		return mcp.AudioContent{Annotated: g.annotations(), Meta: g.meta(), Type: "audio", Data: g.str(), MIMEType: g.str()}
	case 5:
		return &mcp.AudioContent{Type: "audio", Data: g.str(), MIMEType: g.str()}
	case 6:
		return mcp.EmbeddedResource{Annotated: g.annotations(), Meta: g.meta(), Type: "resource", Resource: g.resource()}
	case 7:
		return &mcp.EmbeddedResource{Type: "resource", Resource: g.resource()}
	case 8:
		return mcp.ResourceLink{Type: "resource_link", URI: g.str(), Name: g.str()} // written by json.Marshal
	default:
		return (*mcp.TextContent)(nil)
	}
}

func (g *generator) result() *mcp.CallToolResult {
	r := &mcp.CallToolResult{Result: mcp.Result{Meta: g.meta()}, IsError: g.r.IntN(4) == 0}
	for i := g.r.IntN(4); i > 0; i-- {
		r.Content = append(r.Content, g.content())
	}
	switch g.r.IntN(4) {
	case 0:
		r.StructuredContent = g.value(1)
	case 1:
		if raw, err := json.MarshalIndent(g.value(1), "", " "); err == nil {
			r.RawStructuredContent = raw
		}
	}
	v := reflect.ValueOf(r).Elem()
	if shapes.resultType != nil && g.r.IntN(3) == 0 {
		v.FieldByIndex(shapes.resultType).SetString(g.str())
	}
	if shapes.resultState != nil && g.r.IntN(3) == 0 {
		v.FieldByIndex(shapes.resultState).SetString(g.str())
	}
	return r
}

func (g *generator) params() *mcp.CallToolParams {
	p := &mcp.CallToolParams{Name: g.str(), Meta: g.meta()}
	arguments := g.value(0)
	if g.r.IntN(4) != 0 {
		p.Arguments = arguments
	}
	if raw, err := json.Marshal(arguments); err == nil && g.r.IntN(3) != 0 {
		switch g.r.IntN(3) {
		case 0:
			p.RawArguments = raw
		case 1:
			p.RawArguments = []byte(strings.NewReplacer(`\u003c`, "<", `\u0026`, "&").Replace(string(raw)))
		default:
			var spaced bytes.Buffer
			_ = json.Indent(&spaced, raw, "", "  ")
			p.RawArguments = spaced.Bytes()
		}
	}
	if g.r.IntN(10) == 0 {
		ttl := int64(5)
		p.Task = &mcp.TaskParams{TTL: &ttl}
	}
	v := reflect.ValueOf(p).Elem()
	if shapes.paramsState != nil && g.r.IntN(10) == 0 {
		v.FieldByIndex(shapes.paramsState).SetString(g.str())
	}
	return p
}
