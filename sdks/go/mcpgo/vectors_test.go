package mcpgo_test

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	mcpsight "github.com/mcpsight/mcpsight/sdks/go"
	"github.com/mcpsight/mcpsight/sdks/go/internal/vectortest"
	"github.com/mcpsight/mcpsight/sdks/go/mcpgo"
)

// referenceServer is the vectors' reference server on server.MCPServer.
func referenceServer() *server.MCPServer {
	s := server.NewMCPServer("vectors-server", "1.0.0", server.WithToolCapabilities(false),
		server.WithResourceCapabilities(false, false), server.WithPromptCapabilities(false))
	s.AddTool(mcp.NewTool("add", mcp.WithInteger("a", mcp.Required()), mcp.WithInteger("b", mcp.Required())),
		func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText(strconv.Itoa(req.GetInt("a", 0) + req.GetInt("b", 0))), nil
		})
	s.AddTool(mcp.NewTool("echo", mcp.WithString("text", mcp.Required())),
		func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText(req.GetString("text", "")), nil
		})
	s.AddTool(mcp.NewTool("fail_result"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultError("nope"), nil
	})
	s.AddTool(mcp.NewTool("fail_throw"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return nil, errors.New("boom")
	})
	s.AddResource(mcp.NewResource("note://1", "note", mcp.WithMIMEType("text/plain")),
		func(_ context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
			return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: "text/plain", Text: "hello note"}}, nil
		})
	s.AddPrompt(mcp.NewPrompt("greet", mcp.WithArgument("name", mcp.RequiredArgument())),
		func(_ context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			return mcp.NewGetPromptResult("", []mcp.PromptMessage{
				mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent("Hello, "+req.Params.Arguments["name"]+"!")),
			}), nil
		})
	return s
}

// vectorClient is the runner's client: mcp-go's Client.
type vectorClient struct{ *client.Client }

func (c vectorClient) ListTools(ctx context.Context) (any, error) {
	return c.Client.ListTools(ctx, mcp.ListToolsRequest{})
}
func (c vectorClient) CallTool(ctx context.Context, name string, arguments map[string]any) (any, error) {
	req := mcp.CallToolRequest{}
	req.Params.Name, req.Params.Arguments = name, arguments
	return c.Client.CallTool(ctx, req)
}
func (c vectorClient) ListResources(ctx context.Context) (any, error) {
	return c.Client.ListResources(ctx, mcp.ListResourcesRequest{})
}
func (c vectorClient) ReadResource(ctx context.Context, uri string) (any, error) {
	req := mcp.ReadResourceRequest{}
	req.Params.URI = uri
	return c.Client.ReadResource(ctx, req)
}
func (c vectorClient) ListPrompts(ctx context.Context) (any, error) {
	return c.Client.ListPrompts(ctx, mcp.ListPromptsRequest{})
}
func (c vectorClient) GetPrompt(ctx context.Context, name string, arguments map[string]string) (any, error) {
	req := mcp.GetPromptRequest{}
	req.Params.Name, req.Params.Arguments = name, arguments
	return c.Client.GetPrompt(ctx, req)
}

// connectInProcess starts an in-process client of s that initializes with protocolVersion.
func connectInProcess(t *testing.T, s *server.MCPServer, clientName, clientVersion, protocolVersion string) *client.Client {
	t.Helper()
	c, err := client.NewInProcessClient(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	initialize(t, c, mcp.Implementation{Name: clientName, Version: clientVersion}, protocolVersion)
	return c
}

func TestSDKEventVectors(t *testing.T) {
	vectortest.Run(t, vectortest.Library{
		Connect: func(t *testing.T, projectID, apiURL string, identify vectortest.Identify, c mcpsight.NameVersion) vectortest.Client {
			s := referenceServer()
			opts := vectortest.Options(apiURL, identify, func(req *mcp.CallToolRequest) string { return req.Params.Name })
			if err := mcpgo.Track(s, projectID, opts); err != nil {
				t.Fatal(err)
			}
			return vectorClient{connectInProcess(t, s, c.Name, c.Version, legacyProtocol)}
		},
	})
}
