// Package collectortest starts the repository's real mcpsight collector for Go tests, checks
// every event sent to it against the protocol's schema, and reads what it stored through the
// query API.
package collectortest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	mcpsight "github.com/mcpsight/mcpsight/sdks/go"
	"github.com/mcpsight/mcpsight/sdks/go/internal/eventcheck"
	"github.com/mcpsight/mcpsight/sdks/go/internal/repo"
)

const adminToken = "msk_go_sdk_test_token_0123456789"

// Collector is a running collector over a temporary data directory, behind a proxy that checks
// every event an SDK sends against the protocol's schema (eventcheck).
type Collector struct {
	// URL is the proxy's: give it to the SDK (APIBaseURL) and read the query API through it.
	URL       string
	ProjectID string
	cmd       *exec.Cmd
	dir       string
	upstream  string
	proxy     *httptest.Server
	mu        sync.Mutex
	output    strings.Builder
	invalid   []string
	events    int
}

var (
	listening = regexp.MustCompile(`listening on (http://\S+)`)
	project   = regexp.MustCompile(`\((proj_[a-z0-9]+)\)`)
)

// Start runs `node packages/server/dist/cli.js start --port 0` and waits for its URL.
func Start() (*Collector, error) {
	cli, err := repo.Path("packages/server/dist/cli.js")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "mcpsight-go-test-")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("node", cli, "start",
		"--port", "0", "--host", "127.0.0.1", "--data-dir", dir, "--log-level", "warn")
	cmd.Env = append(os.Environ(), "MCPSIGHT_ADMIN_TOKEN="+adminToken, "MCPSIGHT_ADMIN_PASSWORD=go-sdk-test-password")
	// Pdeathsig: a test binary killed by its timeout must not leave the collector running.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	c := &Collector{cmd: cmd, dir: dir}
	cmd.Stderr = &lockedWriter{c: c}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the collector: %w", err)
	}
	ready := make(chan error, 1)
	go func() {
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			line := scanner.Text()
			c.mu.Lock()
			c.output.WriteString(line + "\n")
			c.mu.Unlock()
			if m := listening.FindStringSubmatch(line); m != nil {
				c.upstream = m[1]
			}
			if m := project.FindStringSubmatch(line); m != nil && c.ProjectID == "" {
				c.ProjectID = m[1]
			}
			if c.upstream != "" && c.ProjectID != "" {
				ready <- nil
				_, _ = io.Copy(io.Discard, stdout)
				return
			}
		}
		ready <- fmt.Errorf("the collector exited before it was ready:\n%s", c.Output())
	}()
	select {
	case err := <-ready:
		if err != nil {
			c.Close()
			return nil, err
		}
	case <-time.After(60 * time.Second):
		c.Close()
		return nil, fmt.Errorf("the collector did not start within a minute:\n%s", c.Output())
	}
	target, err := url.Parse(c.upstream)
	if err != nil {
		c.Close()
		return nil, err
	}
	forward := httputil.NewSingleHostReverseProxy(target)
	c.proxy = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/v1/batch" {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			c.check(body, r.Header.Get("Content-Encoding") == "gzip")
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		forward.ServeHTTP(w, r)
	}))
	c.URL = c.proxy.URL
	return c, nil
}

// check validates a batch's events; problems are reported by Finish.
func (c *Collector) check(body []byte, gzipped bool) {
	if gzipped {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return // the collector answers it
		}
		if body, err = io.ReadAll(zr); err != nil {
			return
		}
	}
	var batch struct {
		Events []json.RawMessage `json:"events"`
	}
	if json.Unmarshal(body, &batch) != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, event := range batch.Events {
		c.events++
		for _, problem := range eventcheck.Problems(event) {
			c.invalid = append(c.invalid, fmt.Sprintf("invalid event %.300s: %s", event, problem))
		}
	}
}

// Invalid lists the schema problems of the events sent so far, and how many events were checked.
func (c *Collector) Invalid() ([]string, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.invalid...), c.events
}

// Finish ends a test binary's use of the collector: it shuts the SDK down (delivering what is
// left), fails the run (returns 1) if any event broke the protocol's schema, and closes the
// collector. Call it from TestMain with m.Run()'s code.
func (c *Collector) Finish(code int) int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	_ = mcpsight.Shutdown(ctx)
	cancel()
	invalid, checked := c.Invalid()
	for _, problem := range invalid {
		fmt.Fprintln(os.Stderr, problem)
	}
	if len(invalid) > 0 {
		fmt.Fprintf(os.Stderr, "%d of the %d events the SDK sent broke the protocol's schema\n", len(invalid), checked)
		code = 1
	}
	c.Close()
	return code
}

type lockedWriter struct{ c *Collector }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	return w.c.output.Write(p)
}

// Output is what the collector printed.
func (c *Collector) Output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.output.String()
}

// Close stops the collector and removes its data.
func (c *Collector) Close() {
	if c.proxy != nil {
		c.proxy.Close()
	}
	if c.cmd.Process != nil {
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = c.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	_ = os.RemoveAll(c.dir)
}

// Get reads a query-API path under the project (e.g. "/sessions?userId=u1") into out.
func (c *Collector) Get(path string, out any) error {
	return c.GetAbsolute("/api/v1/projects/"+url.PathEscape(c.ProjectID)+path, out)
}

// GetAbsolute reads any query-API path into out, once the collector has derived every event
// it acknowledged (the query API reads derived tables only).
func (c *Collector) GetAbsolute(path string, out any) error {
	if err := c.derived(); err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodGet, c.URL+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s → %d: %s", path, resp.StatusCode, body)
	}
	return json.Unmarshal(body, out)
}

// derived polls GET /healthz until derivation.pending is 0, for at most 20 s.
func (c *Collector) derived() error {
	deadline := time.Now().Add(20 * time.Second)
	for {
		var health struct {
			Derivation *struct {
				Pending   int     `json:"pending"`
				LastError *string `json:"lastError"`
			} `json:"derivation"`
		}
		resp, err := http.Get(c.URL + "/healthz")
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err := json.Unmarshal(body, &health); err != nil {
			return fmt.Errorf("GET /healthz → %d: %s", resp.StatusCode, body)
		}
		if health.Derivation != nil && health.Derivation.Pending == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("derivation still pending after 20 s: %s", body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Session is a row of GET …/sessions.
type Session struct {
	SessionID     string  `json:"sessionId"`
	UserID        *string `json:"userId"`
	UserName      *string `json:"userName"`
	ClientName    *string `json:"clientName"`
	ClientVersion *string `json:"clientVersion"`
	ServerName    *string `json:"serverName"`
	Events        int     `json:"events"`
	ToolCalls     int     `json:"toolCalls"`
	Errors        int     `json:"errors"`
	Stateless     bool    `json:"stateless"`
}

// ReplayEvent is an event of GET …/sessions/:id.
type ReplayEvent struct {
	ID           string          `json:"id"`
	EventType    string          `json:"eventType"`
	ResourceName *string         `json:"resourceName"`
	Parameters   json.RawMessage `json:"parameters"`
	Response     json.RawMessage `json:"response"`
	UserIntent   *string         `json:"userIntent"`
	IsError      bool            `json:"isError"`
	Error        *struct {
		Message string  `json:"message"`
		Type    *string `json:"type"`
	} `json:"error"`
	UserID      *string           `json:"userId"`
	ClientName  *string           `json:"clientName"`
	ServerName  *string           `json:"serverName"`
	SDKLanguage *string           `json:"sdkLanguage"`
	Tags        map[string]string `json:"tags"`
	Identify    *struct {
		UserID   string         `json:"userId"`
		UserName *string        `json:"userName"`
		UserData map[string]any `json:"userData"`
	} `json:"identify"`
}

// Sessions lists the project's sessions of a server (by its name).
func (c *Collector) Sessions(serverName string) ([]Session, error) {
	var page struct {
		Items []Session `json:"items"`
	}
	if err := c.Get("/sessions?limit=200", &page); err != nil {
		return nil, err
	}
	var out []Session
	for _, s := range page.Items {
		if s.ServerName != nil && *s.ServerName == serverName {
			out = append(out, s)
		}
	}
	return out, nil
}

// Replay returns a session's events in time order.
func (c *Collector) Replay(sessionID string) ([]ReplayEvent, error) {
	var replay struct {
		Events []ReplayEvent `json:"events"`
	}
	err := c.Get("/sessions/"+url.PathEscape(sessionID)+"?limit=1000", &replay)
	return replay.Events, err
}

// WaitFor polls check until it returns true or 15 s pass.
func WaitFor(t testing.TB, what string, check func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		ok, err := check()
		if ok {
			return
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s (last error: %v)", what, last)
}

var (
	namesMu sync.Mutex
	names   = map[string]int{}
)

// Fresh is name the first time a test binary asks for it, then name-2, name-3…: a test that
// names its server (or user) with it finds only its own sessions in the collector, which one
// test binary starts once, also when go test -count runs the test again.
func Fresh(name string) string {
	namesMu.Lock()
	defer namesMu.Unlock()
	names[name]++
	if n := names[name]; n > 1 {
		return name + "-" + strconv.Itoa(n)
	}
	return name
}

// Deref is *p, or "" for nil.
func Deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// Main is a test binary's TestMain: it serves a stdio child (RunChild) when started as one;
// otherwise it starts the collector into *collector, runs the tests and ends with Finish.
func Main(m *testing.M, serveChild func(Child) error, collector **Collector) {
	if code, child := RunChild(serveChild); child {
		os.Exit(code)
	}
	c, err := Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*collector = c
	os.Exit(c.Finish(m.Run()))
}

// Flush delivers what the SDK recorded so far, failing the test after 10 s.
func Flush(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := mcpsight.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// childServerEnv names the server a test binary serves when started as a stdio child process.
const childServerEnv = "MCPSIGHT_TEST_CHILD_SERVER"

// ChildEnv is the environment of a test binary started as a stdio server (its own binary, with
// -test.run=^$): the server's name, and the collector and project the SDK sends to.
func (c *Collector) ChildEnv(serverName string) []string {
	return []string{childServerEnv + "=" + serverName, "MCPSIGHT_URL=" + c.URL, "MCPSIGHT_PROJECT_ID=" + c.ProjectID}
}

// Child is what a test binary started with ChildEnv serves.
type Child struct{ ServerName, ProjectID string }

// RunChild serves a stdio server when the test binary was started with ChildEnv (TestMain calls
// it first): serve until the client closes stdin, then deliver what was recorded. It returns the
// process's exit code and true, or false when the binary runs the tests.
func RunChild(serve func(Child) error) (int, bool) {
	name := os.Getenv(childServerEnv)
	if name == "" {
		return 0, false
	}
	err := serve(Child{ServerName: name, ProjectID: os.Getenv("MCPSIGHT_PROJECT_ID")})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = mcpsight.Shutdown(ctx)
	if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "EOF") {
		fmt.Fprintln(os.Stderr, err)
		return 1, true
	}
	return 0, true
}

// Output collects what a process or a logger writes (stderr, slog lines), safe for concurrent
// writers.
type Output struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

// String is everything written so far.
func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// CountLines is how many lines written so far contain substr.
func (o *Output) CountLines(substr string) int {
	n := 0
	for _, line := range strings.Split(o.String(), "\n") {
		if strings.Contains(line, substr) {
			n++
		}
	}
	return n
}
