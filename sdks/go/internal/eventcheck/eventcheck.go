// Package eventcheck validates events an mcpsight SDK emits against the protocol's JSON Schema
// (packages/protocol/schema/event.schema.json) and the rules the schema cannot state: string
// limits in UTF-16 units, the 256 KiB event size and the 64-level nesting limit. Test code only:
// no SDK package imports it.
package eventcheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"unicode/utf16"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/mcpsight/mcpsight/sdks/go/internal/repo"
)

const (
	schemaPath = "packages/protocol/schema/event.schema.json"
	maxBytes   = 262144
	maxNesting = 64
)

var (
	loadOnce sync.Once
	compiled *jsonschema.Schema
	document map[string]any
	loadErr  error
)

func load() (*jsonschema.Schema, map[string]any, error) {
	loadOnce.Do(func() {
		path, err := repo.Path(schemaPath)
		if err != nil {
			loadErr = err
			return
		}
		data, err := os.ReadFile(path)
		if err != nil {
			loadErr = err
			return
		}
		if loadErr = json.Unmarshal(data, &document); loadErr != nil {
			return
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			loadErr = err
			return
		}
		c := jsonschema.NewCompiler()
		if loadErr = c.AddResource("event.schema.json", doc); loadErr != nil {
			return
		}
		compiled, loadErr = c.Compile("event.schema.json")
	})
	return compiled, document, loadErr
}

// Problems lists what is wrong with one event's JSON (empty when it is a valid protocol event).
func Problems(event []byte) []string {
	schema, doc, err := load()
	if err != nil {
		return []string{"cannot load the event schema: " + err.Error()}
	}
	var problems []string
	var compact bytes.Buffer
	if err := json.Compact(&compact, event); err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	if compact.Len() > maxBytes {
		problems = append(problems, fmt.Sprintf("the event is %d bytes of JSON, over %d", compact.Len(), maxBytes))
	}
	instance, err := jsonschema.UnmarshalJSON(bytes.NewReader(event))
	if err != nil {
		return append(problems, "not JSON: "+err.Error())
	}
	if err := schema.Validate(instance); err != nil {
		problems = append(problems, strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	var plain any
	_ = json.Unmarshal(event, &plain)
	problems = append(problems, utf16Limits(doc, plain, "")...)
	if m, ok := plain.(map[string]any); ok {
		for _, field := range []string{"parameters", "response", "identifyActorData", "properties"} {
			if depth := nesting(m[field]); depth > maxNesting {
				problems = append(problems, fmt.Sprintf("/%s nests %d levels, over %d", field, depth, maxNesting))
			}
		}
	}
	return problems
}

// utf16Limits checks every maxLength of the schema in UTF-16 code units, the protocol's unit
// (JSON Schema counts code points, so an emoji counts 1 there and 2 here).
func utf16Limits(schema map[string]any, value any, path string) []string {
	var problems []string
	if limit, ok := schema["maxLength"].(float64); ok {
		if s, ok := value.(string); ok && len(utf16.Encode([]rune(s))) > int(limit) {
			problems = append(problems, fmt.Sprintf("%s is %d UTF-16 units long, over %d", path, len(utf16.Encode([]rune(s))), int(limit)))
		}
	}
	object, ok := value.(map[string]any)
	if !ok {
		return problems
	}
	properties, _ := schema["properties"].(map[string]any)
	additional, _ := schema["additionalProperties"].(map[string]any)
	names, _ := schema["propertyNames"].(map[string]any)
	keys := make([]string, 0, len(object))
	for key := range object {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		if names != nil {
			problems = append(problems, utf16Limits(names, key, path+"/"+key+" (key)")...)
		}
		if sub, ok := properties[key].(map[string]any); ok {
			problems = append(problems, utf16Limits(sub, object[key], path+"/"+key)...)
		} else if additional != nil {
			problems = append(problems, utf16Limits(additional, object[key], path+"/"+key)...)
		}
	}
	return problems
}

// nesting is how many arrays and objects deep a value goes (a scalar is 0).
func nesting(value any) int {
	deepest := 0
	switch v := value.(type) {
	case []any:
		for _, item := range v {
			deepest = max(deepest, nesting(item))
		}
	case map[string]any:
		for _, item := range v {
			deepest = max(deepest, nesting(item))
		}
	default:
		return 0
	}
	return deepest + 1
}
