package mcpsight

import (
	"bytes"
	"encoding/json"
)

// Agent intent: a `context` argument added to every tool's input schema in tools/list results,
// taken back out of tools/call arguments before the tool's own validation and handler run, and
// recorded as the event's userIntent. Adapters convert their library's tool type to and from
// the plain JSON schema these functions work on.

const defaultContextDescription = "Explain why you are calling this tool and how it fits into the user's overall goal, in one or two " +
	"sentences, third person. Used for analytics. Never include credentials or personal data."

// ReportMissingDescription is the description of the get_more_tools tool.
const ReportMissingDescription = "Check for additional tools whenever your task might benefit from specialized capabilities - even if " +
	"existing tools could work as a fallback."

// ReportMissingResultText is get_more_tools' answer.
const ReportMissingResultText = "Unfortunately, we have shown you the full tool list. We have noted your feedback and will work " +
	"to improve the tool list in the future."

// ReportMissingToolName is the name of the tool agents call to report missing capabilities.
const ReportMissingToolName = reportMissingTool

// ReportMissingSchema is get_more_tools' input schema.
func ReportMissingSchema() map[string]any {
	return map[string]any{
		"type": "object",
		"properties": map[string]any{
			contextParameter: map[string]any{
				"type":        "string",
				"description": "A description of your goal and what kind of tool would help accomplish it.",
			},
		},
		"required": []any{contextParameter},
	}
}

// injectionBlocker says why a tool's schema is left alone, or "" when context can be added.
func injectionBlocker(schema map[string]any) string {
	if props, ok := schema["properties"].(map[string]any); ok {
		if _, has := props[contextParameter]; has {
			return "it has its own context argument"
		}
	}
	for _, key := range []string{"oneOf", "anyOf", "allOf"} {
		if _, has := schema[key]; has {
			return "its input schema uses top-level oneOf/anyOf/allOf"
		}
	}
	return ""
}

// withContextParameter is a copy of schema with a required string `context` property.
func withContextParameter(schema map[string]any, description string) map[string]any {
	out := make(map[string]any, len(schema)+2)
	for k, v := range schema {
		out[k] = v
	}
	if out["type"] == nil {
		out["type"] = "object"
	}
	props := map[string]any{}
	if existing, ok := schema["properties"].(map[string]any); ok {
		for k, v := range existing {
			props[k] = v
		}
	}
	props[contextParameter] = map[string]any{"type": "string", "description": description}
	out["properties"] = props
	required := []any{}
	if existing, ok := schema["required"].([]any); ok {
		for _, name := range existing {
			if name != contextParameter {
				required = append(required, name)
			}
		}
	}
	out["required"] = append(required, contextParameter)
	// A closed schema would make clients reject the argument just added.
	if out["additionalProperties"] == false {
		delete(out, "additionalProperties")
	}
	return out
}

// ToolSchema returns the input schema to list for a tool: with the context argument added, or
// nil when the tool is listed unchanged (context disabled, get_more_tools, a tool with its own
// context argument or a top-level combinator). It remembers which tools got the argument, so
// tools/call knows whose `context` to take out.
func (t *Tracker) ToolSchema(name string, schema map[string]any) map[string]any {
	if t == nil || !t.cfg.enableContext || name == reportMissingTool {
		return nil
	}
	defer t.recoverInternal("tools/list")
	if schema == nil {
		schema = map[string]any{"type": "object"}
	}
	if blocker := t.noteInjection(name, schema); blocker != "" {
		t.log.debug("context argument not added", "tool", name, "reason", blocker)
		return nil
	}
	return withContextParameter(schema, t.cfg.contextDescription)
}

// noteInjection remembers whether a tool with this input schema gets the context argument (so
// tools/call knows whose `context` to take out) and returns why not ("" when it does).
func (t *Tracker) noteInjection(name string, schema map[string]any) string {
	blocker := injectionBlocker(schema)
	t.memory.setInjected(name, blocker == "")
	return blocker
}

// ListsReportMissing reports whether tools/list results should carry get_more_tools.
func (t *Tracker) ListsReportMissing() bool {
	return t != nil && t.cfg.enableReportMissing
}

// cutContext returns the JSON object raw without its `context` member, and the intent that
// member carried ("" unless a string); ok is false when raw is no object or has no such member.
// Other members are copied as they are.
func cutContext(raw []byte) (rest json.RawMessage, intent string, ok bool) {
	return cutContextMember(raw, true)
}

// cutContextMember is cutContext, reading the intent only when wantIntent (it is a copy).
func cutContextMember(raw []byte, wantIntent bool) (rest json.RawMessage, intent string, ok bool) {
	if rest, intent, ok, done := spliceContext(raw, wantIntent); done {
		return rest, intent, ok
	}
	return rewriteWithoutContext(raw, wantIntent)
}

// spliceContext is cutContextMember for arguments as clients send them: a compact object (no
// space between the tokens of its members), plain keys (no escapes), at most one `context`
// member. Its members are then written as they are, so the rest is the text around the cut: one
// scan and one copy. done is false for any other text, which rewriteWithoutContext reads.
func spliceContext(raw []byte, wantIntent bool) (rest json.RawMessage, intent string, ok, done bool) {
	last := len(raw) - 1
	if last < 2 || raw[0] != '{' || raw[last] != '}' {
		return nil, "", false, false
	}
	cutFrom, cutTo, value := -1, -1, 0
	for i := 1; ; {
		if raw[i] != '"' {
			return nil, "", false, false
		}
		keyEnd, plain, err := scanString(raw, i)
		if err != nil || !plain || keyEnd >= last || raw[keyEnd] != ':' || isSpace(raw[keyEnd+1]) {
			return nil, "", false, false
		}
		end, err := skipValue(raw, keyEnd+1)
		if err != nil || end > last {
			return nil, "", false, false
		}
		if string(raw[i+1:keyEnd-1]) == contextParameter {
			if cutFrom >= 0 {
				return nil, "", false, false // the last of several wins: rewriteWithoutContext
			}
			cutFrom, cutTo, value = i, end, keyEnd+1
		}
		if end == last {
			break
		}
		if raw[end] != ',' {
			return nil, "", false, false
		}
		i = end + 1
	}
	if cutFrom < 0 {
		return nil, "", false, true
	}
	if wantIntent && raw[value] == '"' {
		body := raw[value+1 : cutTo-1]
		if _, plainValue, _ := scanString(raw, value); plainValue {
			intent = string(body)
		} else if text, err := unescape(nil, body); err == nil {
			intent = string(text)
		} else {
			return nil, "", false, false
		}
	}
	// The member goes with the comma after it, or before it when it is the last.
	if raw[cutTo] == ',' {
		cutTo++
	} else if cutFrom > 1 {
		cutFrom--
	}
	out := make([]byte, 0, len(raw)-(cutTo-cutFrom))
	out = append(append(out, raw[:cutFrom]...), raw[cutTo:]...)
	return out, clip(intent, limitUserIntent), true, true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// rewriteWithoutContext is cutContextMember for any text: the members but `context` are written
// again, without the space between their tokens, keys with escapes as appendJSONString writes them.
func rewriteWithoutContext(raw []byte, wantIntent bool) (rest json.RawMessage, intent string, ok bool) {
	start := skipSpace(raw, 0)
	if start >= len(raw) || raw[start] != '{' {
		return nil, "", false
	}
	out := make([]byte, 1, len(raw))
	out[0] = '{'
	end, err := members(raw, start, func(rawKey []byte, plain bool, v int) (int, error) {
		end, err := skipValue(raw, v)
		if err != nil {
			return 0, err
		}
		key := rawKey
		if !plain {
			if key, err = unescape(nil, rawKey); err != nil {
				return 0, err
			}
		}
		if string(key) == contextParameter {
			ok, intent = true, ""
			if wantIntent && raw[v] == '"' {
				if _, plainValue, _ := scanString(raw, v); plainValue {
					intent = string(raw[v+1 : end-1])
				} else {
					text, err := unescape(nil, raw[v+1:end-1])
					if err != nil {
						return 0, err
					}
					intent = string(text)
				}
			}
			return end, nil
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		if plain {
			out = append(append(append(out, '"'), rawKey...), '"', ':')
		} else {
			out = append(appendJSONString(out, key), ':')
		}
		out = append(out, raw[v:end]...)
		return end, nil
	})
	if err != nil || !ok || skipSpace(raw, end) != len(raw) {
		return nil, "", false
	}
	return append(out, '}'), clip(intent, limitUserIntent), true
}

// takeContext takes the `context` argument out of a tools/call's arguments (the decoded ones,
// the JSON text, or both, as the library holds them), and records it as the intent.
func (c *Call) takeContext(r *Request) {
	if value, has := r.Arguments[contextParameter]; has {
		if r.ArgumentsOwned && !c.t.cfg.userSeesRequests {
			// Nothing else reads the map as received: no copy.
			delete(r.Arguments, contextParameter)
			intent, _ := value.(string)
			c.Forward, c.Intent = r.Arguments, clip(intent, limitUserIntent)
		} else {
			c.Forward, c.Intent = stripContext(r.Arguments)
		}
	}
	if len(r.RawArguments) > 0 && bytes.Contains(r.RawArguments, []byte(`"`+contextParameter+`"`)) {
		if rest, intent, ok := cutContextMember(r.RawArguments, r.Arguments == nil); ok {
			c.ForwardJSON = rest
			if r.Arguments == nil {
				c.Intent = intent
			}
		}
	}
}

// contextArgument is the `context` argument of a tools/call, from the decoded arguments or
// their JSON text.
func (r *Request) contextArgument() string {
	if r.Arguments != nil {
		intent, _ := r.Arguments[contextParameter].(string)
		return clip(intent, limitUserIntent)
	}
	_, intent, _ := cutContext(r.RawArguments)
	return intent
}

// stripContext returns args without `context`, and the intent it carried.
func stripContext(args map[string]any) (map[string]any, string) {
	rest := make(map[string]any, len(args))
	for k, v := range args {
		if k != contextParameter {
			rest[k] = v
		}
	}
	intent, _ := args[contextParameter].(string)
	return rest, clip(intent, limitUserIntent)
}
