// API key identification on a stateless Streamable HTTP server: each request carries an
// X-API-Key header and gets a fresh server session, so Identify runs on every request.
// IdentifyCache keeps that cheap: results are memoised per API key (mcpsight hashes the key; it
// never stores or sends it) for a minute.
//
//	MCPSIGHT_PROJECT_ID=proj_… PORT=3011 go run ./api-key
//	→ http://127.0.0.1:3011/mcp, with the header X-API-Key: key_ada_51b0d2
package main

import (
	"context"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpsight/mcpsight/examples/go/internal/notes"
	"github.com/mcpsight/mcpsight/examples/go/internal/run"
	"github.com/mcpsight/mcpsight/examples/go/internal/users"
	"github.com/mcpsight/mcpsight/sdks/go/officialsdk"
)

// lookUpAPIKey is your key check; with IdentifyCache it runs about once a minute per key.
func lookUpAPIKey(_ context.Context, key string) *users.Account {
	return users.ByAPIKey(key)
}

func main() {
	apiBaseURL, projectID := run.Config()
	server := notes.NewServer("notes-go-api-key", nil)

	_ = officialsdk.Track(server, projectID, &officialsdk.Options{
		APIBaseURL: apiBaseURL,
		Identify: func(ctx context.Context, req *mcp.CallToolRequest) (*officialsdk.UserIdentity, error) {
			if req.Extra == nil {
				return nil, nil
			}
			account := lookUpAPIKey(ctx, req.Extra.Header.Get("X-API-Key"))
			if account == nil {
				return nil, nil
			}
			return &officialsdk.UserIdentity{
				UserID: account.ID, UserName: account.Name,
				UserData: map[string]any{"organisation": account.Organisation, "plan": account.Plan},
			}, nil
		},
		// The cache key defaults to a hash of the request's credential header (Authorization,
		// X-API-Key or Api-Key); set Key to derive it from something else.
		IdentifyCache: &officialsdk.IdentifyCacheOptions{TTL: time.Minute},
	})

	handler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server },
		&mcp.StreamableHTTPOptions{Stateless: true})
	run.HTTP(handler, 3011, "notes-go-api-key (stateless)")
}
