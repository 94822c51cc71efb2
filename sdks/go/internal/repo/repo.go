// Package repo finds files of this repository (the collector, the protocol's schemas and
// vectors) from a test's working directory, wherever in sdks/go or examples/go it runs.
package repo

import (
	"fmt"
	"os"
	"path/filepath"
)

// Path returns the absolute path of rel (slash-separated, from the repository root), found by
// walking up from the working directory.
func Path(rel string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		candidate := filepath.Join(dir, filepath.FromSlash(rel))
		if _, err := os.Stat(candidate); err == nil {
			return candidate, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%s not found above the working directory: run the tests inside the mcpsight repository, after `npm ci` (it builds the collector)", rel)
		}
		dir = parent
	}
}
