package officialsdk_test

import (
	"testing"

	"github.com/mcpsight/mcpsight/sdks/go/collectortest"
)

var collector *collectortest.Collector

func TestMain(m *testing.M) { collectortest.Main(m, serveStdioChild, &collector) }
