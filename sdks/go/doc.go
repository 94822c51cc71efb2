// Package mcpsight is the library-neutral core of the mcpsight Go SDK: events, sessions,
// identify state, the privacy pass and delivery to the mcpsight collector. It imports no MCP
// library. Servers are tracked through an adapter package:
//
//   - github.com/mcpsight/mcpsight/sdks/go/officialsdk for github.com/modelcontextprotocol/go-sdk
//   - github.com/mcpsight/mcpsight/sdks/go/mcpgo for github.com/mark3labs/mcp-go
//
// Every request an adapter sees goes through [Tracker.Begin] and [Call.Finish]: that pair is the
// one place a request is observed, so tracing spans can be added there later. Events are built,
// redacted and sent by one background goroutine, started by the first Track and stopped by
// [Shutdown].
package mcpsight
