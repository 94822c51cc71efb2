package officialsdk_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/mcpsight/mcpsight/sdks/go/internal/collectortest"
)

var collector *collectortest.Collector

func TestMain(m *testing.M) {
	if os.Getenv(stdioChildEnv) != "" {
		os.Exit(runStdioChild())
	}
	var err error
	collector, err = collectortest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(collector.Finish(m.Run()))
}
