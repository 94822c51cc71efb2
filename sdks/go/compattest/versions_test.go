package compattest

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"

	// What this module builds: the adapters (their tests run from here, see doc.go) with the
	// libraries required by go.mod.
	_ "github.com/mark3labs/mcp-go/server"
	_ "github.com/modelcontextprotocol/go-sdk/mcp"

	_ "github.com/mcpsight/mcpsight/sdks/go/mcpgo"
	_ "github.com/mcpsight/mcpsight/sdks/go/officialsdk"
)

// TestSelectsTheNewestLibraries guards what this module is for: if a change of go.mod made it
// select the SDK's minimum versions, the adapters' tests would run twice against the same ones.
func TestSelectsTheNewestLibraries(t *testing.T) {
	minimum := map[string][2]int{
		"github.com/modelcontextprotocol/go-sdk": {1, 8},
		"github.com/mark3labs/mcp-go":            {1, 0},
	}
	args := []string{"list", "-m", "-f", "{{.Path}} {{.Version}}"}
	for path := range minimum {
		args = append(args, path)
	}
	out, err := exec.Command("go", args...).Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	found := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, version, _ := strings.Cut(line, " ")
		want, ok := minimum[path]
		if !ok {
			continue
		}
		found++
		major, minor := majorMinor(version)
		if major < want[0] || major == want[0] && minor < want[1] {
			t.Errorf("%s %s is selected; this module tests v%d.%d or later", path, version, want[0], want[1])
		}
	}
	if found != len(minimum) {
		t.Fatalf("go list -m found %d of %d libraries:\n%s", found, len(minimum), out)
	}
}

// majorMinor reads v1.8.0 (or v1.8.0-pre.1) as 1, 8.
func majorMinor(version string) (int, int) {
	parts := strings.SplitN(strings.TrimPrefix(version, "v"), ".", 3)
	if len(parts) < 2 {
		return 0, 0
	}
	major, _ := strconv.Atoi(parts[0])
	minor, _ := strconv.Atoi(parts[1])
	return major, minor
}
