package mcpsight

import (
	"os/exec"
	"strings"
	"testing"
)

// What each package a server imports may pull in: the core no MCP library, each adapter only its
// own, and none of them the test-only packages (the JSON Schema validator, the test collector,
// internal packages other than the JSON writer they share).
func TestRuntimeImports(t *testing.T) {
	const module = "github.com/mcpsight/mcpsight/sdks/go"
	forbidden := map[string][]string{
		".":             {"github.com/modelcontextprotocol/", "github.com/mark3labs/", "github.com/santhosh-tekuri/", module + "/internal/", module + "/collectortest"},
		"./officialsdk": {"github.com/mark3labs/", "github.com/santhosh-tekuri/", module + "/internal/", module + "/collectortest"},
		// mcp-go itself imports the JSON Schema validator; the adapter adds nothing test-only.
		"./mcpgo": {"github.com/modelcontextprotocol/", module + "/internal/", module + "/collectortest"},
	}
	runtimeInternal := map[string]bool{module + "/internal/jsonwrite": true}
	for pkg, prefixes := range forbidden {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, prefix := range prefixes {
				if strings.HasPrefix(dep, prefix) && !runtimeInternal[dep] {
					t.Errorf("%s imports %s", pkg, dep)
				}
			}
		}
	}
}
