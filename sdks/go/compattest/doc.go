// Package compattest runs the adapters' tests against the newest releases of the MCP libraries.
//
// The SDK's own module (sdks/go) requires the oldest releases it supports and its tests run
// against them: go-sdk 1.2 and mcp-go 0.x. This module requires the SDK through a replace of the
// local folder and the newest releases (go-sdk 1.8, mcp-go 1.x), so that
//
//	go test -race github.com/mcpsight/mcpsight/sdks/go/officialsdk github.com/mcpsight/mcpsight/sdks/go/mcpgo
//
// run from here compiles and runs the very same test files against those releases (scripts/test-go.sh
// does). Its own test checks that the build really selects them.
package compattest
