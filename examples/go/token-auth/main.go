// Token-based authentication: the caller's token arrives as a tool argument (stdio clients
// configured with a personal token) or as verified token info in the context (set by an auth
// middleware on HTTP). Identify validates it and maps it to a user, with facts about them as
// UserData. Invalid or missing tokens leave the session anonymous; the tool call itself is not
// refused here (do that in your handler or middleware if the tools require a user). stdio.
//
//	MCPSIGHT_PROJECT_ID=proj_… go run ./token-auth
package main

import (
	"context"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpsight/mcpsight/examples/go/internal/notes"
	"github.com/mcpsight/mcpsight/examples/go/internal/run"
	"github.com/mcpsight/mcpsight/examples/go/internal/users"
	"github.com/mcpsight/mcpsight/sdks/go/officialsdk"
)

// verifyToken is your token check: a JWT verification, an introspection call, a database lookup…
func verifyToken(_ context.Context, token string) *users.Account {
	return users.ByToken(token)
}

func main() {
	apiBaseURL, projectID := run.Config()
	server := notes.NewServer("notes-go-token-auth", map[string]any{"token": map[string]any{"type": "string", "description": "Your personal access token"}})

	_ = officialsdk.Track(server, projectID, &officialsdk.Options{
		APIBaseURL: apiBaseURL,
		Identify: func(ctx context.Context, req *mcp.CallToolRequest) (*officialsdk.UserIdentity, error) {
			var account *users.Account
			if info := auth.TokenInfoFromContext(ctx); info != nil {
				account = users.ByID(info.UserID) // verified by auth.RequireBearerToken
			} else if token, _ := notes.Arguments(req)["token"].(string); token != "" {
				account = verifyToken(ctx, token)
			}
			if account == nil {
				return nil, nil
			}
			return &officialsdk.UserIdentity{
				UserID:   account.ID,
				UserName: account.Name,
				// Never put the token itself here; keys that look like secrets are redacted anyway.
				UserData: map[string]any{"role": account.Role, "organisation": account.Organisation, "plan": account.Plan},
			}, nil
		},
	})

	run.Stdio(func(ctx context.Context) error { return server.Run(ctx, &mcp.StdioTransport{}) })
}
