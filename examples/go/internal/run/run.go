// Package run is what every example does around its server: read where to send analytics from
// the environment, serve over stdio or Streamable HTTP on 127.0.0.1, and on the way out send what
// was recorded (mcpsight installs no signal handler: the server's own handling calls Shutdown).
package run

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	mcpsight "github.com/mcpsight/mcpsight/sdks/go"
)

// DefaultCollectorURL is where the examples send events unless MCPSIGHT_URL says otherwise.
const DefaultCollectorURL = "http://127.0.0.1:4747"

// Config is MCPSIGHT_URL (default http://127.0.0.1:4747) and MCPSIGHT_PROJECT_ID (required: the
// example exits with an explanation when it is missing).
func Config() (apiBaseURL, projectID string) {
	projectID = strings.TrimSpace(os.Getenv("MCPSIGHT_PROJECT_ID"))
	if projectID == "" {
		fmt.Fprintln(os.Stderr, `MCPSIGHT_PROJECT_ID is not set.
Start the collector (npm start) and copy the project id it prints on first start, or create
one with: npx mcpsight project create my-server
Then run the example with it, e.g.:
  MCPSIGHT_PROJECT_ID=proj_… go run ./basic`)
		os.Exit(2)
	}
	apiBaseURL = strings.TrimSpace(os.Getenv("MCPSIGHT_URL"))
	if apiBaseURL == "" {
		apiBaseURL = DefaultCollectorURL
	}
	return apiBaseURL, projectID
}

// Stdio serves until the client closes stdin (or SIGINT/SIGTERM), then sends what was recorded.
// serve is the library's stdio loop; stdout carries JSON-RPC only, so diagnostics go to stderr.
func Stdio(serve func(ctx context.Context) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := serve(ctx)
	shutdown()
	if err != nil && !errors.Is(err, context.Canceled) && !strings.Contains(err.Error(), "EOF") {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// HTTP listens on 127.0.0.1:$PORT (fallback when unset; 0 = any free port), serves handler at
// /mcp and prints the endpoint to stderr. On SIGINT/SIGTERM it stops accepting, sends what was
// recorded and returns.
func HTTP(handler http.Handler, fallbackPort int, label string) {
	port := fallbackPort
	if raw := strings.TrimSpace(os.Getenv("PORT")); raw != "" {
		p, err := strconv.Atoi(raw)
		if err != nil || p < 0 || p > 65535 {
			fmt.Fprintf(os.Stderr, "PORT must be an integer between 0 and 65535; got %q.\n", raw)
			os.Exit(2)
		}
		port = p
	}
	listener, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.Handle("/mcp", handler)
	server := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(os.Stderr, "%s listening on http://%s/mcp\n", label, listener.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		closing, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = server.Shutdown(closing)
	}()
	if err := server.Serve(listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, err)
	}
	shutdown()
}

// shutdown sends what was recorded, waiting at most 5 s.
func shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := mcpsight.Shutdown(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "mcpsight:", err)
	}
}
