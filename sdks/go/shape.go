package mcpsight

import (
	"reflect"
	"strings"
)

// ServerInfoOf reads a server's own name and version from an MCP library's server object, by
// the fields' dotted paths ("impl.Name" for go-sdk's *mcp.Server, "name" for mcp-go's
// *server.MCPServer). Adapters use it to know the server from the start: requests of 2026-07-28
// have no initialize whose result would name it. It recognises the shape, not a library version;
// a server of another shape gives an empty NameVersion.
func ServerInfoOf(server any, namePath, versionPath string) NameVersion {
	return NameVersion{Name: stringAt(server, namePath), Version: stringAt(server, versionPath)}
}

// stringAt follows a dotted path of (possibly unexported) struct fields through pointers and
// returns the string there, or "".
func stringAt(value any, path string) (out string) {
	defer func() {
		if recover() != nil {
			out = ""
		}
	}()
	v := reflect.ValueOf(value)
	for _, name := range strings.Split(path, ".") {
		for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
			if v.IsNil() {
				return ""
			}
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct {
			return ""
		}
		v = v.FieldByName(name)
	}
	if v.Kind() != reflect.String {
		return ""
	}
	return v.String()
}
