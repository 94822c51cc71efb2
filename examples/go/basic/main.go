// Basic identification: the user id comes from the tool call's own arguments. Fits servers whose
// tools already take the caller's id (internal tools, prototypes). stdio transport.
//
//	MCPSIGHT_PROJECT_ID=proj_… go run ./basic
package main

import (
	"context"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpsight/mcpsight/examples/go/internal/notes"
	"github.com/mcpsight/mcpsight/examples/go/internal/run"
	"github.com/mcpsight/mcpsight/examples/go/internal/users"
	"github.com/mcpsight/mcpsight/sdks/go/officialsdk"
)

func main() {
	apiBaseURL, projectID := run.Config()
	server := notes.NewServer("notes-go-basic", map[string]any{"userId": map[string]any{"type": "string", "description": "Your user id, e.g. u_ada"}})

	_ = officialsdk.Track(server, projectID, &officialsdk.Options{
		APIBaseURL: apiBaseURL,
		// Stateful (stdio): runs once per session, on the first tool call.
		Identify: func(ctx context.Context, req *mcp.CallToolRequest) (*officialsdk.UserIdentity, error) {
			userID, _ := notes.Arguments(req)["userId"].(string)
			if userID == "" {
				return nil, nil // anonymous session
			}
			identity := &officialsdk.UserIdentity{UserID: userID}
			if account := users.ByID(userID); account != nil {
				identity.UserName = account.Name
			}
			return identity, nil
		},
	})

	run.Stdio(func(ctx context.Context) error { return server.Run(ctx, &mcp.StdioTransport{}) })
}
