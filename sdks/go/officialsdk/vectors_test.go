package officialsdk_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	mcpsight "github.com/mcpsight/mcpsight/sdks/go"
	"github.com/mcpsight/mcpsight/sdks/go/internal/vectortest"
	"github.com/mcpsight/mcpsight/sdks/go/officialsdk"
)

// referenceServer is the vectors' reference server on mcp.Server with AddTool.
func referenceServer() *mcp.Server {
	server := mcp.NewServer(&mcp.Implementation{Name: "vectors-server", Version: "1.0.0"}, nil)
	text := func(s string) []mcp.Content { return []mcp.Content{&mcp.TextContent{Text: s}} }
	mcp.AddTool(server, &mcp.Tool{Name: "add"}, func(_ context.Context, _ *mcp.CallToolRequest, in struct {
		A int `json:"a"`
		B int `json:"b"`
	}) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: text(strconv.Itoa(in.A + in.B))}, nil, nil
	})
	mcp.AddTool(server, &mcp.Tool{Name: "echo"}, func(_ context.Context, _ *mcp.CallToolRequest, in struct {
		Text string `json:"text"`
	}) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: text(in.Text)}, nil, nil
	})
	mcp.AddTool(server, &mcp.Tool{Name: "fail_result"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: text("nope"), IsError: true}, nil, nil
	})
	mcp.AddTool(server, &mcp.Tool{Name: "fail_throw"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
		return nil, nil, errors.New("boom")
	})
	server.AddResource(&mcp.Resource{URI: "note://1", Name: "note", MIMEType: "text/plain"},
		func(_ context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
			return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: req.Params.URI, MIMEType: "text/plain", Text: "hello note"}}}, nil
		})
	server.AddPrompt(&mcp.Prompt{Name: "greet", Arguments: []*mcp.PromptArgument{{Name: "name", Required: true}}},
		func(_ context.Context, req *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			return &mcp.GetPromptResult{Messages: []*mcp.PromptMessage{{Role: "user", Content: &mcp.TextContent{Text: "Hello, " + req.Params.Arguments["name"] + "!"}}}}, nil
		})
	return server
}

type vectorClient struct{ cs *mcp.ClientSession }

func (c vectorClient) Send(request string, params map[string]any) (any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var result any
	var err error
	switch request {
	case "tools/list":
		result, err = c.cs.ListTools(ctx, nil)
	case "tools/call":
		args, _ := params["arguments"].(map[string]any)
		result, err = c.cs.CallTool(ctx, &mcp.CallToolParams{Name: params["name"].(string), Arguments: args})
	case "resources/list":
		result, err = c.cs.ListResources(ctx, nil)
	case "resources/read":
		result, err = c.cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: params["uri"].(string)})
	case "prompts/list":
		result, err = c.cs.ListPrompts(ctx, nil)
	case "prompts/get":
		args := map[string]string{}
		for k, v := range params["arguments"].(map[string]any) {
			args[k] = fmt.Sprint(v)
		}
		result, err = c.cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: params["name"].(string), Arguments: args})
	default:
		return nil, fmt.Errorf("the runner does not know the request %s", request)
	}
	if err != nil {
		return nil, err
	}
	return vectortest.JSON(result)
}

func (c vectorClient) Close() { _ = c.cs.Close() }

func TestSDKEventVectors(t *testing.T) {
	vectortest.Run(t, vectortest.Library{
		Connect: func(t *testing.T, projectID, apiURL string, identify vectortest.Identify, client mcpsight.NameVersion) vectortest.Client {
			server := referenceServer()
			opts := &officialsdk.Options{APIBaseURL: apiURL}
			if identify != nil {
				opts.Identify = func(_ context.Context, req *mcp.CallToolRequest) (*officialsdk.UserIdentity, error) {
					return identify(req.Params.Name), nil
				}
			}
			if err := officialsdk.Track(server, projectID, opts); err != nil {
				t.Fatal(err)
			}
			ct, st := mcp.NewInMemoryTransports()
			if _, err := server.Connect(context.Background(), st, nil); err != nil {
				t.Fatal(err)
			}
			legacy, _ := legacyProtocol()
			cs, err := mcp.NewClient(&mcp.Implementation{Name: client.Name, Version: client.Version}, nil).Connect(context.Background(), ct, legacy)
			if err != nil {
				t.Fatal(err)
			}
			return vectorClient{cs}
		},
	})
}

func TestReferenceServerHasTheVectorsTools(t *testing.T) {
	ct, st := mcp.NewInMemoryTransports()
	if _, err := referenceServer().Connect(context.Background(), st, nil); err != nil {
		t.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "check"}, nil).Connect(context.Background(), ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	tools, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range tools.Tools {
		names = append(names, tool.Name)
	}
	if want := vectortest.ToolNames(t); !slices.Equal(names, want) {
		t.Fatalf("tools %v, the vectors describe %v", names, want)
	}
}
