// Error handling: Identify depends on a user directory that sometimes fails. Whatever Identify
// does (return an error, panic, take longer than IdentifyTimeout, return an identity without a
// UserID), mcpsight logs one warning to stderr, records the session as anonymous and never lets it
// reach the tool call: the call succeeds as if analytics were not there. Handle errors yourself
// only when you have a better fallback than "anonymous". stdio transport.
//
//	MCPSIGHT_PROJECT_ID=proj_… go run ./error-handling
package main

import (
	"context"
	"errors"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpsight/mcpsight/examples/go/internal/notes"
	"github.com/mcpsight/mcpsight/examples/go/internal/run"
	"github.com/mcpsight/mcpsight/examples/go/internal/users"
	"github.com/mcpsight/mcpsight/sdks/go/officialsdk"
)

// lookUpUser is a directory lookup with the failures real ones have: viewers' records live on a
// replica that is down (an error), and "u_slow" answers after 10 s.
func lookUpUser(ctx context.Context, userID string) (*users.Account, error) {
	if userID == "u_slow" {
		select {
		case <-time.After(10 * time.Second):
		case <-ctx.Done(): // mcpsight cancels the context when it gives up
			return nil, ctx.Err()
		}
	}
	account := users.ByID(userID)
	if account != nil && account.Role == "viewer" {
		return nil, errors.New("user directory unavailable (replica down)")
	}
	return account, nil
}

func main() {
	apiBaseURL, projectID := run.Config()
	server := notes.NewServer("notes-go-error-handling", map[string]any{"userId": map[string]any{"type": "string", "description": "Your user id, e.g. u_ada"}})

	_ = officialsdk.Track(server, projectID, &officialsdk.Options{
		APIBaseURL: apiBaseURL,
		// Give up on Identify after 1 s instead of the default 5 s.
		IdentifyTimeout: time.Second,
		Identify: func(ctx context.Context, req *mcp.CallToolRequest) (*officialsdk.UserIdentity, error) {
			userID, _ := notes.Arguments(req)["userId"].(string)
			account, err := lookUpUser(ctx, userID)
			if err != nil || account == nil {
				return nil, err // unknown users: anonymous, on purpose; errors: logged once
			}
			return &officialsdk.UserIdentity{UserID: account.ID, UserName: account.Name}, nil
		},
	})

	run.Stdio(func(ctx context.Context) error { return server.Run(ctx, &mcp.StdioTransport{}) })
}
