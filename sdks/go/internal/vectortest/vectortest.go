// Package vectortest runs the shared SDK event scenarios (packages/protocol/vectors/sdk-events.json)
// against an mcpsight adapter: the reference server on the adapter's MCP library, a real client
// of that library, and the events the SDK delivers to a sink (each checked against the protocol's
// schema), compared step by step after the file's normalisation. The TypeScript runner
// (packages/sdk/test/sdk-events-vectors.test.ts) is the reference.
package vectortest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	mcpsight "github.com/mcpsight/mcpsight/sdks/go"
	"github.com/mcpsight/mcpsight/sdks/go/internal/repo"
	"github.com/mcpsight/mcpsight/sdks/go/internal/sinktest"
)

// Library is one MCP library's side of the runner.
type Library struct {
	// Connect builds the file's reference server with the library's high-level server, tracks it
	// for projectID sending to apiURL (with identify when not nil, every other option default),
	// and connects a real client announcing client over a stateful transport: the "initialize"
	// step. It speaks the 2025 protocol (initialize), which the scenarios describe.
	Connect func(t *testing.T, projectID, apiURL string, identify Identify, client mcpsight.NameVersion) Client
}

// Identify is a scenario's identify rule, given the called tool's name.
type Identify func(toolName string) *mcpsight.UserIdentity

// Options are a scenario's options for an adapter whose requests are R: every option default
// but the collector and, when the scenario has one, identify (toolName reads R's tool name).
func Options[R any](apiURL string, identify Identify, toolName func(R) string) *mcpsight.Options[R] {
	opts := &mcpsight.Options[R]{APIBaseURL: apiURL}
	if identify != nil {
		opts.Identify = func(_ context.Context, req R) (*mcpsight.UserIdentity, error) {
			return identify(toolName(req)), nil
		}
	}
	return opts
}

// Client is a connected client of the library: one method per request the scenarios make, each
// with the client's own method for it, returning the library's result.
type Client interface {
	ListTools(ctx context.Context) (any, error)
	CallTool(ctx context.Context, name string, arguments map[string]any) (any, error)
	ListResources(ctx context.Context) (any, error)
	ReadResource(ctx context.Context, uri string) (any, error)
	ListPrompts(ctx context.Context) (any, error)
	GetPrompt(ctx context.Context, name string, arguments map[string]string) (any, error)
	Close() error
}

// send makes a step's request; the result as plain JSON.
func send(c Client, request string, params map[string]any) (any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	name, _ := params["name"].(string)
	var result any
	var err error
	switch request {
	case "tools/list":
		result, err = c.ListTools(ctx)
	case "tools/call":
		arguments, _ := params["arguments"].(map[string]any)
		result, err = c.CallTool(ctx, name, arguments)
	case "resources/list":
		result, err = c.ListResources(ctx)
	case "resources/read":
		uri, _ := params["uri"].(string)
		result, err = c.ReadResource(ctx, uri)
	case "prompts/list":
		result, err = c.ListPrompts(ctx)
	case "prompts/get":
		arguments := map[string]string{}
		for k, v := range params["arguments"].(map[string]any) {
			arguments[k] = fmt.Sprint(v)
		}
		result, err = c.GetPrompt(ctx, name, arguments)
	default:
		return nil, fmt.Errorf("the runner does not know the request %s", request)
	}
	if err != nil {
		return nil, err
	}
	return plainJSON(result)
}

type file struct {
	ProjectID string `json:"projectId"`
	Client    struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"client"`
	Server struct {
		Tools []struct {
			Name string `json:"name"`
		} `json:"tools"`
	} `json:"server"`
	IdentifyRules map[string]string `json:"identifyRules"`
	Constants     struct {
		ContextProperty  any `json:"contextProperty"`
		GetMoreToolsTool any `json:"getMoreToolsTool"`
	} `json:"constants"`
	EventDefaults map[string]any `json:"eventDefaults"`
	Scenarios     []struct {
		Name          string `json:"name"`
		Identify      string `json:"identify"`
		IdentifyCalls *int   `json:"identifyCalls"`
		Steps         []step `json:"steps"`
	} `json:"scenarios"`
}

type step struct {
	Request  string           `json:"request"`
	Params   map[string]any   `json:"params"`
	Result   any              `json:"result"`
	ToolList *toolList        `json:"toolList"`
	Events   []map[string]any `json:"events"`
}

type toolList struct {
	Names       []string `json:"names"`
	WithContext []string `json:"withContext"`
}

// identifyRules are the file's identifyRules, in Go.
var identifyRules = map[string]Identify{
	"toolUser": func(tool string) *mcpsight.UserIdentity {
		return &mcpsight.UserIdentity{UserID: "user-" + tool, UserName: "Ada Lovelace", UserData: map[string]any{"plan": "pro"}}
	},
}

func load(t *testing.T) *file {
	t.Helper()
	path, err := repo.Path("packages/protocol/vectors/sdk-events.json")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	return &f
}

// Run runs every scenario of the file with lib.
func Run(t *testing.T, lib Library) {
	f := load(t)
	rules := make([]string, 0, len(f.IdentifyRules))
	for name := range f.IdentifyRules {
		rules = append(rules, name)
	}
	sort.Strings(rules)
	if known := sortedKeys(identifyRules); !slices.Equal(rules, known) {
		t.Fatalf("the file's identify rules are %v, the runner knows %v", rules, known)
	}
	sink := sinktest.Start(t)
	for _, scenario := range f.Scenarios {
		t.Run(scenario.Name, func(t *testing.T) {
			var identify Identify
			var calls atomic.Int32 // identify runs on its own goroutine
			if scenario.Identify != "" {
				rule := identifyRules[scenario.Identify]
				identify = func(tool string) *mcpsight.UserIdentity {
					calls.Add(1)
					return rule(tool)
				}
			}
			state := newMatchState()
			seen := len(sink.Events())
			var client Client
			for i, s := range scenario.Steps {
				label := fmt.Sprintf("step %d (%s)", i, s.Request)
				var result any
				var err error
				if s.Request == "initialize" {
					client = lib.Connect(t, f.ProjectID, sink.URL, identify, mcpsight.NameVersion{Name: f.Client.Name, Version: f.Client.Version})
				} else {
					if client == nil {
						t.Fatalf("%s: the scenario does not start with initialize", label)
					}
					result, err = send(client, s.Request, s.Params)
				}
				if s.Result != nil {
					if err != nil {
						t.Fatalf("%s: %v", label, err)
					}
					for _, problem := range mismatches(s.Result, result, "result", state) {
						t.Errorf("%s: %s", label, problem)
					}
				}
				if s.ToolList != nil {
					checkToolList(t, label, f, result, s.ToolList)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				if err := mcpsight.Flush(ctx); err != nil {
					t.Fatalf("%s: flush: %v", label, err)
				}
				cancel()
				all := sink.Events()
				emitted := all[seen:]
				seen = len(all)
				compareStep(t, label, f, s, emitted, state)
			}
			if client != nil {
				_ = client.Close()
			}
			if scenario.IdentifyCalls != nil && int(calls.Load()) != *scenario.IdentifyCalls {
				t.Errorf("identify ran %d times, want %d", calls.Load(), *scenario.IdentifyCalls)
			}
		})
	}
}

func compareStep(t *testing.T, label string, f *file, s step, emitted []map[string]any, state *matchState) {
	t.Helper()
	byType := map[string]map[string]any{}
	var types []string
	for _, event := range emitted {
		eventType, _ := event["eventType"].(string)
		byType[eventType] = normalise(event)
		types = append(types, eventType)
	}
	var want []string
	for _, e := range s.Events {
		want = append(want, e["eventType"].(string))
	}
	sort.Strings(types)
	sort.Strings(want)
	if !slices.Equal(types, want) {
		t.Errorf("%s: event types %v, want %v", label, types, want)
		return
	}
	for _, expected := range s.Events {
		full := map[string]any{}
		for k, v := range f.EventDefaults {
			full[k] = v
		}
		for k, v := range expected {
			full[k] = v
		}
		eventType := expected["eventType"].(string)
		for _, problem := range mismatches(full, byType[eventType], eventType, state) {
			t.Errorf("%s: %s", label, problem)
		}
	}
}

// normalise applies the file's normalisation: no empty parameters, and no get_more_tools in a
// recorded tools/list response.
func normalise(event map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range event {
		out[k] = v
	}
	if params, ok := out["parameters"].(map[string]any); ok && len(params) == 0 {
		delete(out, "parameters")
	}
	if response, ok := out["response"].(map[string]any); ok && out["eventType"] == "mcp:tools/list" {
		if tools, ok := response["tools"].([]any); ok {
			kept := []any{}
			for _, tool := range tools {
				if m, _ := tool.(map[string]any); m["name"] != "get_more_tools" {
					kept = append(kept, tool)
				}
			}
			copied := map[string]any{}
			for k, v := range response {
				copied[k] = v
			}
			copied["tools"] = kept
			out["response"] = copied
		}
	}
	return out
}

func checkToolList(t *testing.T, label string, f *file, result any, expected *toolList) {
	t.Helper()
	m, _ := result.(map[string]any)
	tools, _ := m["tools"].([]any)
	var names []string
	for _, item := range tools {
		tool, _ := item.(map[string]any)
		name, _ := tool["name"].(string)
		names = append(names, name)
		if name == "get_more_tools" {
			if got := withoutEmptyAnnotations(tool); !reflect.DeepEqual(got, f.Constants.GetMoreToolsTool) {
				t.Errorf("%s: get_more_tools is listed as %v, want %v", label, tool, f.Constants.GetMoreToolsTool)
			}
			continue
		}
		schema, _ := tool["inputSchema"].(map[string]any)
		properties, _ := schema["properties"].(map[string]any)
		required, _ := schema["required"].([]any)
		injected := slices.Contains(expected.WithContext, name)
		if got := properties["context"]; injected && !reflect.DeepEqual(got, f.Constants.ContextProperty) || !injected && got != nil {
			t.Errorf("%s: %s's context property is %v", label, name, got)
		}
		if slices.Contains(required, any("context")) != injected {
			t.Errorf("%s: %s's required is %v", label, name, required)
		}
	}
	if !slices.Equal(names, expected.Names) {
		t.Errorf("%s: tools/list names %v, want %v", label, names, expected.Names)
	}
}

// withoutEmptyAnnotations is tool without an empty "annotations" object, which mcp-go writes
// into every tool it lists and the file allows.
func withoutEmptyAnnotations(tool map[string]any) map[string]any {
	out := map[string]any{}
	for key, value := range tool {
		if annotations, ok := value.(map[string]any); key == "annotations" && ok && len(annotations) == 0 {
			continue
		}
		out[key] = value
	}
	return out
}

// plainJSON turns a library's result into plain JSON, as the client received it.
func plainJSON(v any) (any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	err = json.Unmarshal(data, &out)
	return out, err
}
