package mcpgo_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

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

type vectorClient struct{ c *client.Client }

func (v vectorClient) Send(request string, params map[string]any) (any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var result any
	var err error
	switch request {
	case "tools/list":
		result, err = v.c.ListTools(ctx, mcp.ListToolsRequest{})
	case "tools/call":
		req := mcp.CallToolRequest{}
		req.Params.Name, _ = params["name"].(string)
		req.Params.Arguments = params["arguments"]
		result, err = v.c.CallTool(ctx, req)
	case "resources/list":
		result, err = v.c.ListResources(ctx, mcp.ListResourcesRequest{})
	case "resources/read":
		req := mcp.ReadResourceRequest{}
		req.Params.URI, _ = params["uri"].(string)
		result, err = v.c.ReadResource(ctx, req)
	case "prompts/list":
		result, err = v.c.ListPrompts(ctx, mcp.ListPromptsRequest{})
	case "prompts/get":
		req := mcp.GetPromptRequest{}
		req.Params.Name, _ = params["name"].(string)
		req.Params.Arguments = map[string]string{}
		for k, val := range params["arguments"].(map[string]any) {
			req.Params.Arguments[k] = fmt.Sprint(val)
		}
		result, err = v.c.GetPrompt(ctx, req)
	default:
		return nil, fmt.Errorf("the runner does not know the request %s", request)
	}
	if err != nil {
		return nil, err
	}
	return vectortest.JSON(result)
}

func (v vectorClient) Close() { _ = v.c.Close() }

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
			opts := &mcpgo.Options{APIBaseURL: apiURL}
			if identify != nil {
				opts.Identify = func(_ context.Context, req *mcp.CallToolRequest) (*mcpgo.UserIdentity, error) {
					return identify(req.Params.Name), nil
				}
			}
			if err := mcpgo.Track(s, projectID, opts); err != nil {
				t.Fatal(err)
			}
			return vectorClient{connectInProcess(t, s, c.Name, c.Version, legacyProtocol)}
		},
	})
}

func TestReferenceServerHasTheVectorsTools(t *testing.T) {
	c := connectInProcess(t, referenceServer(), "check", "1", legacyProtocol)
	defer c.Close()
	tools, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
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
