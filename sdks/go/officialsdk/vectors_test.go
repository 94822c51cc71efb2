package officialsdk_test

import (
	"context"
	"errors"
	"strconv"
	"testing"

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

// vectorClient is the runner's client: go-sdk's ClientSession.
type vectorClient struct{ *mcp.ClientSession }

func (c vectorClient) ListTools(ctx context.Context) (any, error) {
	return c.ClientSession.ListTools(ctx, nil)
}
func (c vectorClient) CallTool(ctx context.Context, name string, arguments map[string]any) (any, error) {
	return c.ClientSession.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: arguments})
}
func (c vectorClient) ListResources(ctx context.Context) (any, error) {
	return c.ClientSession.ListResources(ctx, nil)
}
func (c vectorClient) ReadResource(ctx context.Context, uri string) (any, error) {
	return c.ClientSession.ReadResource(ctx, &mcp.ReadResourceParams{URI: uri})
}
func (c vectorClient) ListPrompts(ctx context.Context) (any, error) {
	return c.ClientSession.ListPrompts(ctx, nil)
}
func (c vectorClient) GetPrompt(ctx context.Context, name string, arguments map[string]string) (any, error) {
	return c.ClientSession.GetPrompt(ctx, &mcp.GetPromptParams{Name: name, Arguments: arguments})
}

func TestSDKEventVectors(t *testing.T) {
	vectortest.Run(t, vectortest.Library{
		Connect: func(t *testing.T, projectID, apiURL string, identify vectortest.Identify, client mcpsight.NameVersion) vectortest.Client {
			server := referenceServer()
			opts := vectortest.Options(apiURL, identify, func(req *mcp.CallToolRequest) string { return req.Params.Name })
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
