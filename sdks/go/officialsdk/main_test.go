package officialsdk_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	mcpsight "github.com/mcpsight/mcpsight/sdks/go"
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
	code := m.Run()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	_ = mcpsight.Shutdown(ctx)
	cancel()
	collector.Close()
	os.Exit(code)
}
