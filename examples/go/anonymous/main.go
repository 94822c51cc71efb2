// Anonymous sessions: no Identify at all. Every session is recorded without a user: tool usage,
// errors, agent intents and clients are all still there. Fits public servers, development, and
// users who prefer not to be identified. This one is built with github.com/mark3labs/mcp-go, to
// show the other adapter (mcpgo); stdio transport.
//
//	MCPSIGHT_PROJECT_ID=proj_… go run ./anonymous
package main

import (
	"context"
	"os"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpsight/mcpsight/examples/go/internal/notes"
	"github.com/mcpsight/mcpsight/examples/go/internal/run"
	"github.com/mcpsight/mcpsight/sdks/go/mcpgo"
)

func main() {
	apiBaseURL, projectID := run.Config()
	s := server.NewMCPServer("notes-go-anonymous", "1.0.0", server.WithToolCapabilities(false), server.WithRecovery())
	for _, tool := range notes.Tools(notes.NewStore(), nil) {
		schema := mcp.ToolInputSchema{Type: "object", Properties: tool.InputSchema["properties"].(map[string]any)}
		schema.Required, _ = tool.InputSchema["required"].([]string)
		s.AddTool(mcp.Tool{Name: tool.Name, Description: tool.Description, InputSchema: schema},
			func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
				text, err := tool.Call(req.GetArguments())
				if err != nil {
					return mcp.NewToolResultError(err.Error()), nil
				}
				return mcp.NewToolResultText(text), nil
			})
	}

	_ = mcpgo.Track(s, projectID, &mcpgo.Options{APIBaseURL: apiBaseURL})

	run.Stdio(func(ctx context.Context) error {
		return server.NewStdioServer(s).Listen(ctx, os.Stdin, os.Stdout)
	})
}
