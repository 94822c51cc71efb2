package notes

import (
	"context"
	"encoding/json"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// NewServer is a server of the official Go SDK named name (version 1.0.0) with the notes tools,
// extra arguments added to each (see Tools).
func NewServer(name string, extra map[string]any) *mcp.Server {
	server := mcp.NewServer(&mcp.Implementation{Name: name, Version: "1.0.0"}, nil)
	register(server, extra)
	return server
}

func register(server *mcp.Server, extra map[string]any) {
	for _, tool := range Tools(NewStore(), extra) {
		server.AddTool(&mcp.Tool{Name: tool.Name, Description: tool.Description, InputSchema: tool.InputSchema},
			func(_ context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
				var args map[string]any
				_ = json.Unmarshal(req.Params.Arguments, &args)
				text, err := tool.Call(args)
				if err != nil {
					return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: err.Error()}}}, nil
				}
				return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}, nil
			})
	}
}

// Arguments decodes a tools/call request's arguments (for identify).
func Arguments(req *mcp.CallToolRequest) map[string]any {
	var args map[string]any
	if req != nil && req.Params != nil {
		_ = json.Unmarshal(req.Params.Arguments, &args)
	}
	return args
}
