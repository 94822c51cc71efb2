// MCP authentication on a stateful Streamable HTTP server: the Go SDK's bearer-token middleware
// (auth.RequireBearerToken) verifies the Authorization: Bearer … token before any MCP message is
// handled and puts the verified token info in the request context; Identify only reads it. In
// production the verifier checks tokens issued by your OAuth authorization server (JWT signature
// or introspection); here it is an in-process table.
//
//	MCPSIGHT_PROJECT_ID=proj_… PORT=3012 go run ./mcp-auth
//	→ http://127.0.0.1:3012/mcp, with the header Authorization: Bearer tok_grace_a90e44
package main

import (
	"context"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpsight/mcpsight/examples/go/internal/notes"
	"github.com/mcpsight/mcpsight/examples/go/internal/run"
	"github.com/mcpsight/mcpsight/examples/go/internal/users"
	"github.com/mcpsight/mcpsight/sdks/go/officialsdk"
)

// verifyToken is the middleware's verifier: what your authorization server put in the token.
func verifyToken(_ context.Context, token string, _ *http.Request) (*auth.TokenInfo, error) {
	account := users.ByToken(token)
	if account == nil {
		return nil, auth.ErrInvalidToken
	}
	scopes := []string{"notes:read", "notes:write"}
	if account.Role == "viewer" {
		scopes = scopes[:1]
	}
	return &auth.TokenInfo{
		UserID: account.ID, Scopes: scopes, Expiration: time.Now().Add(time.Hour),
		Extra: map[string]any{"name": account.Name, "organisation": account.Organisation},
	}, nil
}

func main() {
	apiBaseURL, projectID := run.Config()
	server := notes.NewServer("notes-go-mcp-auth", nil)

	_ = officialsdk.Track(server, projectID, &officialsdk.Options{
		APIBaseURL: apiBaseURL,
		// Stateful: once per session on the first tool call (again if the token changes).
		Identify: func(ctx context.Context, req *mcp.CallToolRequest) (*officialsdk.UserIdentity, error) {
			info := auth.TokenInfoFromContext(ctx)
			if info == nil || info.UserID == "" {
				return nil, nil
			}
			name, _ := info.Extra["name"].(string)
			return &officialsdk.UserIdentity{
				UserID: info.UserID, UserName: name,
				UserData: map[string]any{"organisation": info.Extra["organisation"], "scopes": info.Scopes},
			}, nil
		},
	})

	handler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)
	run.HTTP(auth.RequireBearerToken(verifyToken, nil)(handler), 3012, "notes-go-mcp-auth (stateful, bearer auth)")
}
