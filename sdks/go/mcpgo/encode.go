package mcpgo

import (
	"bytes"
	"encoding/json"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpsight/mcpsight/sdks/go/internal/jsonwrite"
)

// The JSON of recorded tools/call params and results, written straight into the event writer
// (mcpsight.JSONAppender): mcp-go's own MarshalJSON builds maps and walks them by reflection,
// most of what building a tools/call event cost. The text is byte for byte what json.Marshal
// writes for the value (encode_test.go compares them over many values). What this file does not
// know is written by json.Marshal: a content type of the host's own, a value it refuses (NaN),
// fields a newer mcp-go added (the shapes are checked once, by reflection, and the writer checks
// itself against json.Marshal on sample values before its first use).

// toolParams are a tools/call's params as recorded (without _meta).
type toolParams struct{ *mcp.CallToolParams }

// AppendJSON appends json.Marshal(p.CallToolParams).
func (p toolParams) AppendJSON(dst []byte) ([]byte, error) {
	if writerAgrees() {
		if out, ok := appendToolParams(dst, p.CallToolParams); ok {
			return out, nil
		}
	}
	return appendMarshaled(dst, p.CallToolParams)
}

// toolResult is a tools/call result as recorded.
type toolResult struct{ *mcp.CallToolResult }

// AppendJSON appends json.Marshal(r.CallToolResult).
func (r toolResult) AppendJSON(dst []byte) ([]byte, error) {
	if writerAgrees() {
		if out, ok := appendToolResult(dst, r.CallToolResult); ok {
			return out, nil
		}
	}
	return appendMarshaled(dst, r.CallToolResult)
}

func appendMarshaled(dst []byte, v any) ([]byte, error) {
	data, err := json.Marshal(v)
	return append(dst, data...), err
}

// appendToolResult writes what CallToolResult.MarshalJSON writes: a map, so its keys in order
// (_meta, content, inputRequests, isError, requestState, resultType, structuredContent). ok is
// false when json.Marshal must write the result instead.
func appendToolResult(dst []byte, r *mcp.CallToolResult) (out []byte, ok bool) {
	if !shapes.result || r == nil {
		return dst, false
	}
	var resultType, requestState string
	if v := reflect.ValueOf(r).Elem(); shapes.resultExtras {
		if shapes.inputRequests != nil && v.FieldByIndex(shapes.inputRequests).Len() > 0 {
			return dst, false
		}
		if shapes.resultType != nil {
			resultType = v.FieldByIndex(shapes.resultType).String()
		}
		if shapes.resultState != nil {
			requestState = v.FieldByIndex(shapes.resultState).String()
		}
	}
	dst = append(dst, '{')
	if r.Meta != nil {
		if dst, ok = appendMeta(append(dst, `"_meta":`...), r.Meta); !ok {
			return dst, false
		}
		dst = append(dst, ',')
	}
	dst = append(dst, `"content":[`...)
	for i, c := range r.Content {
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, ok = appendContent(dst, c); !ok {
			return dst, false
		}
	}
	dst = append(dst, ']')
	if r.IsError {
		dst = append(dst, `,"isError":true`...)
	}
	if requestState != "" {
		dst = jsonwrite.AppendString(append(dst, `,"requestState":`...), requestState, true)
	}
	if resultType != "" {
		dst = jsonwrite.AppendString(append(dst, `,"resultType":`...), resultType, true)
	}
	if len(r.RawStructuredContent) > 0 {
		data, err := json.Marshal(r.RawStructuredContent)
		if err != nil {
			return dst, false
		}
		dst = append(append(dst, `,"structuredContent":`...), data...)
	} else if r.StructuredContent != nil {
		var err error
		if dst, err = jsonwrite.AppendValue(append(dst, `,"structuredContent":`...), r.StructuredContent); err != nil {
			return dst, false
		}
	}
	return append(dst, '}'), true
}

// appendToolParams writes what CallToolParams.MarshalJSON writes: name, arguments (the JSON
// text as received when mcp-go kept it, compacted), _meta, task and the multi-round-trip fields.
func appendToolParams(dst []byte, p *mcp.CallToolParams) (out []byte, ok bool) {
	if !shapes.params || p == nil || p.Task != nil {
		return dst, false
	}
	if v := reflect.ValueOf(p).Elem(); shapes.paramsExtras {
		if shapes.inputResponses != nil && v.FieldByIndex(shapes.inputResponses).Len() > 0 {
			return dst, false
		}
		if shapes.paramsState != nil && v.FieldByIndex(shapes.paramsState).String() != "" {
			return dst, false
		}
	}
	dst = jsonwrite.AppendString(append(dst, `{"name":`...), p.Name, true)
	if len(p.RawArguments) > 0 {
		// json.Marshal compacts a json.RawMessage and escapes HTML in it: text that needs
		// neither (as clients send it) is written as it is.
		if !jsonwrite.Verbatim(p.RawArguments) {
			return dst, false
		}
		dst = append(append(dst, `,"arguments":`...), p.RawArguments...)
	} else if p.Arguments != nil {
		var err error
		if dst, err = jsonwrite.AppendValue(append(dst, `,"arguments":`...), p.Arguments); err != nil {
			return dst, false
		}
	}
	if p.Meta != nil {
		if dst, ok = appendMeta(append(dst, `,"_meta":`...), p.Meta); !ok {
			return dst, false
		}
	}
	return append(dst, '}'), true
}

// appendMeta writes what Meta.MarshalJSON writes: AdditionalFields with progressToken among
// them (the additional field of that name wins).
func appendMeta(dst []byte, m *mcp.Meta) ([]byte, bool) {
	if !shapes.meta {
		return dst, false
	}
	fields := m.AdditionalFields
	if m.ProgressToken != nil {
		if _, has := fields["progressToken"]; !has {
			fields = maps.Clone(fields)
			if fields == nil {
				fields = map[string]any{}
			}
			fields["progressToken"] = m.ProgressToken
		}
	}
	if fields == nil {
		return append(dst, '{', '}'), true
	}
	dst, err := jsonwrite.AppendValue(dst, fields)
	return dst, err == nil
}

// appendContent writes one content item of a result.
func appendContent(dst []byte, c mcp.Content) ([]byte, bool) {
	switch v := c.(type) {
	case mcp.TextContent:
		return appendText(dst, &v)
	case *mcp.TextContent:
		if v != nil {
			return appendText(dst, v)
		}
	case mcp.ImageContent:
		return appendMedia(dst, shapes.image, v.Annotations, v.Meta, v.Type, v.Data, v.MIMEType)
	case *mcp.ImageContent:
		if v != nil {
			return appendMedia(dst, shapes.image, v.Annotations, v.Meta, v.Type, v.Data, v.MIMEType)
		}
	case mcp.AudioContent:
		return appendMedia(dst, shapes.audio, v.Annotations, v.Meta, v.Type, v.Data, v.MIMEType)
	case *mcp.AudioContent:
		if v != nil {
			return appendMedia(dst, shapes.audio, v.Annotations, v.Meta, v.Type, v.Data, v.MIMEType)
		}
	case mcp.EmbeddedResource:
		return appendEmbedded(dst, &v)
	case *mcp.EmbeddedResource:
		if v != nil {
			return appendEmbedded(dst, v)
		}
	}
	data, err := json.Marshal(c)
	return append(dst, data...), err == nil
}

// appendHead writes a content item's `{`, annotations and _meta (each followed by a comma:
// `type` always comes next).
func appendHead(dst []byte, a *mcp.Annotations, meta *mcp.Meta) ([]byte, bool) {
	dst = append(dst, '{')
	if a != nil {
		if !shapes.annotations {
			return dst, false
		}
		dst = append(dst, `"annotations":{`...)
		comma := false
		if len(a.Audience) > 0 {
			dst = append(dst, `"audience":[`...)
			for i, role := range a.Audience {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = jsonwrite.AppendString(dst, string(role), true)
			}
			dst = append(dst, ']')
			comma = true
		}
		if a.Priority != nil {
			if math.IsNaN(*a.Priority) || math.IsInf(*a.Priority, 0) {
				return dst, false
			}
			if comma {
				dst = append(dst, ',')
			}
			dst = jsonwrite.AppendFloat(append(dst, `"priority":`...), *a.Priority)
			comma = true
		}
		if a.LastModified != "" {
			if comma {
				dst = append(dst, ',')
			}
			dst = jsonwrite.AppendString(append(dst, `"lastModified":`...), a.LastModified, true)
		}
		dst = append(dst, '}', ',')
	}
	if meta != nil {
		var ok bool
		if dst, ok = appendMeta(append(dst, `"_meta":`...), meta); !ok {
			return dst, false
		}
		dst = append(dst, ',')
	}
	return dst, true
}

func appendText(dst []byte, c *mcp.TextContent) ([]byte, bool) {
	if !shapes.text {
		return dst, false
	}
	dst, ok := appendHead(dst, c.Annotations, c.Meta)
	if !ok {
		return dst, false
	}
	dst = jsonwrite.AppendString(append(dst, `"type":`...), c.Type, true)
	dst = jsonwrite.AppendString(append(dst, `,"text":`...), c.Text, true)
	return append(dst, '}'), true
}

// appendMedia writes image and audio content (the same fields).
func appendMedia(dst []byte, known bool, a *mcp.Annotations, meta *mcp.Meta, kind, data, mimeType string) ([]byte, bool) {
	if !known {
		return dst, false
	}
	dst, ok := appendHead(dst, a, meta)
	if !ok {
		return dst, false
	}
	dst = jsonwrite.AppendString(append(dst, `"type":`...), kind, true)
	dst = jsonwrite.AppendString(append(dst, `,"data":`...), data, true)
	dst = jsonwrite.AppendString(append(dst, `,"mimeType":`...), mimeType, true)
	return append(dst, '}'), true
}

func appendEmbedded(dst []byte, c *mcp.EmbeddedResource) ([]byte, bool) {
	if !shapes.embedded {
		return dst, false
	}
	dst, ok := appendHead(dst, c.Annotations, c.Meta)
	if !ok {
		return dst, false
	}
	dst = jsonwrite.AppendString(append(dst, `"type":`...), c.Type, true)
	dst = append(dst, `,"resource":`...)
	switch r := c.Resource.(type) {
	case nil:
		dst = append(dst, "null"...)
	case mcp.TextResourceContents:
		dst, ok = appendResource(dst, shapes.textResource, r.Meta, r.URI, r.MIMEType, `,"text":`, r.Text)
	case *mcp.TextResourceContents:
		dst, ok = appendResource(dst, shapes.textResource && r != nil, r.Meta, r.URI, r.MIMEType, `,"text":`, r.Text)
	case mcp.BlobResourceContents:
		dst, ok = appendResource(dst, shapes.blobResource, r.Meta, r.URI, r.MIMEType, `,"blob":`, r.Blob)
	case *mcp.BlobResourceContents:
		dst, ok = appendResource(dst, shapes.blobResource && r != nil, r.Meta, r.URI, r.MIMEType, `,"blob":`, r.Blob)
	default:
		data, err := json.Marshal(r)
		dst, ok = append(dst, data...), err == nil
	}
	if !ok {
		return dst, false
	}
	return append(dst, '}'), true
}

// appendResource writes a resource's contents: _meta, uri, mimeType, then text or blob.
func appendResource(dst []byte, known bool, meta map[string]any, uri, mimeType, key, value string) ([]byte, bool) {
	if !known {
		return dst, false
	}
	dst = append(dst, '{')
	if len(meta) > 0 {
		var err error
		if dst, err = jsonwrite.AppendValue(append(dst, `"_meta":`...), meta); err != nil {
			return dst, false
		}
		dst = append(dst, ',')
	}
	dst = jsonwrite.AppendString(append(dst, `"uri":`...), uri, true)
	if mimeType != "" {
		dst = jsonwrite.AppendString(append(dst, `,"mimeType":`...), mimeType, true)
	}
	dst = jsonwrite.AppendString(append(dst, key...), value, true)
	return append(dst, '}'), true
}

// shapes says which of mcp-go's types have the fields this file writes, and no others: a type
// that changed in a newer mcp-go is written by json.Marshal. The multi-round-trip fields of
// newer releases (absent from the oldest supported) are read by reflection.
var shapes = func() (s struct {
	result, params, meta, annotations, text, image, audio, embedded, textResource, blobResource bool

	resultExtras, paramsExtras             bool
	resultType, resultState, inputRequests []int
	paramsState, inputResponses            []int
}) {
	marshaler := reflect.TypeFor[json.Marshaler]()
	plain := func(t reflect.Type, fields string) bool {
		return !t.Implements(marshaler) && !reflect.PointerTo(t).Implements(marshaler) && jsonFields(t) == fields
	}
	s.annotations = plain(reflect.TypeFor[mcp.Annotations](), "audience,omitempty priority,omitempty lastModified,omitempty")
	s.text = plain(reflect.TypeFor[mcp.TextContent](), "annotations,omitempty _meta,omitempty type text")
	s.image = plain(reflect.TypeFor[mcp.ImageContent](), "annotations,omitempty _meta,omitempty type data mimeType")
	s.audio = plain(reflect.TypeFor[mcp.AudioContent](), "annotations,omitempty _meta,omitempty type data mimeType")
	s.embedded = plain(reflect.TypeFor[mcp.EmbeddedResource](), "annotations,omitempty _meta,omitempty type resource")
	s.textResource = plain(reflect.TypeFor[mcp.TextResourceContents](), "_meta,omitempty uri mimeType,omitempty text")
	s.blobResource = plain(reflect.TypeFor[mcp.BlobResourceContents](), "_meta,omitempty uri mimeType,omitempty blob")

	meta := reflect.TypeFor[mcp.Meta]()
	s.meta = reflect.PointerTo(meta).Implements(marshaler) && goFields(meta) == "ProgressToken AdditionalFields"

	// The types with a MarshalJSON of their own that this file writes the way it does.
	result := reflect.TypeFor[mcp.CallToolResult]()
	s.result = result.Implements(marshaler) && s.meta && knownFields(result,
		"Meta", "ResultType", "InputRequests", "RequestState", "Content", "StructuredContent", "RawStructuredContent", "IsError")
	s.resultType, s.result = optionalField(result, "ResultType", reflect.String, s.result)
	s.resultState, s.result = optionalField(result, "RequestState", reflect.String, s.result)
	s.inputRequests, s.result = optionalField(result, "InputRequests", reflect.Map, s.result)
	s.resultExtras = s.resultType != nil || s.resultState != nil || s.inputRequests != nil

	params := reflect.TypeFor[mcp.CallToolParams]()
	s.params = params.Implements(marshaler) && s.meta && knownFields(params,
		"Name", "Arguments", "Meta", "Task", "InputResponses", "RequestState", "RawArguments")
	s.paramsState, s.params = optionalField(params, "RequestState", reflect.String, s.params)
	s.inputResponses, s.params = optionalField(params, "InputResponses", reflect.Map, s.params)
	s.paramsExtras = s.paramsState != nil || s.inputResponses != nil
	return s
}()

// jsonFields lists the JSON names (with their options) encoding/json gives a struct's fields,
// in order, untagged embedded structs flattened.
func jsonFields(t reflect.Type) string {
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag, tagged := f.Tag.Lookup("json")
		switch {
		case tag == "-":
		case f.Anonymous && !tagged && f.Type.Kind() == reflect.Struct:
			names = append(names, jsonFields(f.Type))
		case !f.IsExported():
		case !tagged:
			names = append(names, f.Name)
		default:
			names = append(names, tag)
		}
	}
	return strings.Join(names, " ")
}

// goFields lists the names of a struct's fields, embedded structs flattened.
func goFields(t reflect.Type) string {
	var names []string
	for _, f := range reflect.VisibleFields(t) {
		if !(f.Anonymous && f.Type.Kind() == reflect.Struct) {
			names = append(names, f.Name)
		}
	}
	return strings.Join(names, " ")
}

// knownFields reports whether every field of t (embedded structs flattened) is one of names.
func knownFields(t reflect.Type, names ...string) bool {
	for _, name := range strings.Fields(goFields(t)) {
		if !slices.Contains(names, name) {
			return false
		}
	}
	return true
}

// optionalField is the index of t's field name when it exists with the given kind; ok turns
// false when it exists with another.
func optionalField(t reflect.Type, name string, kind reflect.Kind, ok bool) ([]int, bool) {
	f, found := t.FieldByName(name)
	if !found {
		return nil, ok
	}
	if f.Type.Kind() != kind {
		return nil, false
	}
	return f.Index, ok
}

// writerAgrees checks once that this file writes what json.Marshal writes for sample values of
// every shape it knows; if it does not (an mcp-go release marshals differently), json.Marshal
// writes everything.
var writerAgrees = sync.OnceValue(func() bool {
	for _, v := range writerSamples() {
		var got []byte
		var ok bool
		switch v := v.(type) {
		case *mcp.CallToolResult:
			got, ok = appendToolResult(nil, v)
		case *mcp.CallToolParams:
			got, ok = appendToolParams(nil, v)
		}
		want, err := json.Marshal(v)
		if ok && (err != nil || !bytes.Equal(got, want)) {
			return false
		}
	}
	return true
})

// writerSamples are results and params with every field this file writes set, and odd text.
func writerSamples() []any {
	text := "<b>tom & jerry</b> \u2028\u2029 é😀 \x00\x1f\t\"\\ \xff"
	priority := 0.25
	annotations := &mcp.Annotations{Audience: []mcp.Role{mcp.RoleUser, mcp.RoleAssistant}, Priority: &priority, LastModified: text}
	meta := &mcp.Meta{ProgressToken: 7.0, AdditionalFields: map[string]any{"z": []any{1.5, true, nil}, "a": map[string]any{"k": text}}}
	full := &mcp.CallToolResult{
		Result: mcp.Result{Meta: meta},
		Content: []mcp.Content{
			mcp.TextContent{Annotated: mcp.Annotated{Annotations: annotations}, Meta: meta, Type: "text", Text: text},
			&mcp.ImageContent{Type: "image", Data: "aGVsbG8=", MIMEType: "image/png"},
			mcp.AudioContent{Annotated: mcp.Annotated{Annotations: &mcp.Annotations{}}, Type: "audio", Data: text, MIMEType: "audio/wav"},
			mcp.EmbeddedResource{Type: "resource", Resource: mcp.TextResourceContents{Meta: map[string]any{"m": 1e21}, URI: "file:///a?b&c", MIMEType: "text/plain", Text: text}},
			&mcp.EmbeddedResource{Type: "resource", Resource: &mcp.BlobResourceContents{URI: "file:///b", Blob: "AAEC"}},
		},
		StructuredContent: map[string]any{"n": 1e-7, "s": text, "list": []any{map[string]any{}}},
		IsError:           true,
	}
	if v := reflect.ValueOf(full).Elem(); shapes.resultType != nil {
		v.FieldByIndex(shapes.resultType).SetString("complete")
	}
	if v := reflect.ValueOf(full).Elem(); shapes.resultState != nil {
		v.FieldByIndex(shapes.resultState).SetString(text)
	}
	return []any{
		full,
		mcp.NewToolResultText(text),
		&mcp.CallToolResult{},
		&mcp.CallToolResult{Content: []mcp.Content{}, RawStructuredContent: json.RawMessage(` {"a" : "<"} `)},
		&mcp.CallToolParams{Name: "echo", RawArguments: json.RawMessage(`{"text":"hello","n":[1,2.5e3,{}]}`), Meta: meta},
		&mcp.CallToolParams{Name: text, Arguments: map[string]any{"text": text, "n": 3.0}},
		&mcp.CallToolParams{Name: "echo"},
	}
}
