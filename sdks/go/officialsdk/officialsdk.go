// Package officialsdk tracks servers of the official Go MCP SDK
// (github.com/modelcontextprotocol/go-sdk) with mcpsight.
//
//	server := mcp.NewServer(&mcp.Implementation{Name: "notes", Version: "1.0.0"}, nil)
//	officialsdk.Track(server, "proj_…", &officialsdk.Options{
//		Identify: func(ctx context.Context, req *mcp.CallToolRequest) (*officialsdk.UserIdentity, error) {
//			if info := auth.TokenInfoFromContext(ctx); info != nil {
//				return &officialsdk.UserIdentity{UserID: info.UserID}, nil
//			}
//			return nil, nil
//		},
//	})
//	defer officialsdk.Shutdown(context.Background())
//
// Track installs receiving middleware, so every request (initialize, tools/list, tools/call,
// resources, prompts…) is seen, whether tools were added before or after it.
package officialsdk

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	mcpsight "github.com/mcpsight/mcpsight/sdks/go"
)

// Options configure tracking; Identify and the other callbacks receive the official SDK's
// *mcp.CallToolRequest (for requests other than tools/call: the request's Session and Extra with
// empty tool params).
type Options = mcpsight.Options[*mcp.CallToolRequest]

// IdentifyCacheOptions memoise Identify per credential.
type IdentifyCacheOptions = mcpsight.IdentifyCacheOptions[*mcp.CallToolRequest]

// UserIdentity is who is behind a session; nil means anonymous.
type UserIdentity = mcpsight.UserIdentity

// CustomEventData is an event of your own.
type CustomEventData = mcpsight.CustomEventData

// Re-exported so that this package is the only import a server needs.
var (
	Bool     = mcpsight.Bool
	Flush    = mcpsight.Flush
	Shutdown = mcpsight.Shutdown
)

var trackers mcpsight.Trackers[mcp.Server]

// Track starts recording server's requests, users and sessions for projectID and sending them
// to the mcpsight collector. Tracking a server twice does nothing the second time (but resume
// delivery after Shutdown). A server built per request may be tracked per request: its tracker
// goes with it. It returns an error only for an invalid projectID or collector URL, or a nil
// server (the server then runs untracked).
func Track(server *mcp.Server, projectID string, opts *Options) error {
	if server == nil {
		return errNilServer
	}
	t, added, err := trackers.Add(server, func() (*mcpsight.Tracker, error) {
		return mcpsight.NewTracker(projectID, opts, callToolRequest)
	})
	if err != nil || !added {
		return err
	}
	stateless := opts != nil && opts.Stateless != nil && *opts.Stateless
	// The server's name and version; 2026-07-28 requests have no initialize result naming it.
	t.SetServerInfo(mcpsight.ServerInfoOf(server, "impl.Name", "impl.Version"))
	a := &adapter{t: t, forceStateless: stateless}
	server.AddReceivingMiddleware(a.middleware)
	return nil
}

// PublishCustomEvent records an event of your own in the session of server's latest request.
func PublishCustomEvent(server *mcp.Server, data *CustomEventData) error {
	t := trackers.Load(server)
	if t == nil {
		return mcpsight.ErrNotTracked
	}
	return t.PublishCustomEvent(data)
}

// PublishCustomEventForSession records an event of your own in the session of an MCP session id
// (the Mcp-Session-Id of a Streamable HTTP session).
func PublishCustomEventForSession(sessionID, projectID string, data *CustomEventData) error {
	return mcpsight.PublishCustomEvent(sessionID, projectID, data)
}

type trackError string

func (e trackError) Error() string { return string(e) }

const errNilServer = trackError("officialsdk.Track: server is nil; nothing is tracked")

// probe reports whether a server/discover is a client's probe that a stateful Streamable HTTP
// handler turns down: go-sdk clients try it before initialize, on a session of its own that
// never serves anything. Recorded, it would be a session of one failed request, identified.
func (a *adapter) probe(req mcp.Request) bool {
	ss, _ := req.GetSession().(*mcp.ServerSession)
	stateless, known := transportStateless(ss)
	return known && !stateless && !a.forceStateless
}

// callToolRequest is what the callbacks receive for a request: the tools/call request itself,
// or, for other methods, one with the request's session and extra and empty params.
func callToolRequest(r *mcpsight.Request) *mcp.CallToolRequest {
	switch raw := r.Raw.(type) {
	case *mcp.CallToolRequest:
		return raw
	case mcp.Request:
		out := &mcp.CallToolRequest{Params: &mcp.CallToolParamsRaw{}, Extra: raw.GetExtra()}
		if ss, ok := raw.GetSession().(*mcp.ServerSession); ok {
			out.Session = ss
		}
		return out
	}
	return &mcp.CallToolRequest{Params: &mcp.CallToolParamsRaw{}}
}

type adapter struct {
	t *mcpsight.Tracker
	// next is the handler after this middleware (the server's own, as the client would get it).
	next           atomic.Pointer[mcp.MethodHandler]
	forceStateless bool
	statelessSeen  sync.Once
	stateless      bool
	mu             sync.Mutex
}

// middleware observes every request: Begin before the handler, Finish after it. tools/call
// arguments lose the injected `context` before the handler validates them; tools/list results
// get it added to each tool's schema, and get_more_tools.
func (a *adapter) middleware(next mcp.MethodHandler) mcp.MethodHandler {
	a.next.Store(&next)
	return func(ctx context.Context, method string, req mcp.Request) (result mcp.Result, err error) {
		if method == "ping" || len(method) > 14 && method[:14] == "notifications/" || method == "server/discover" && a.probe(req) {
			return next(ctx, method, req)
		}
		call, forwarded := a.begin(ctx, method, req)
		if call == nil {
			return next(ctx, method, req)
		}
		if call.ReportMissing {
			result := &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: mcpsight.ReportMissingResultText}}}
			call.Finish(result, nil)
			return result, nil
		}
		defer func() {
			if p := recover(); p != nil {
				call.Panic(p)
				panic(p)
			}
		}()
		result, err = next(call.Context(ctx), method, forwarded)
		result = a.finish(call, method, result, err)
		return result, err
	}
}
