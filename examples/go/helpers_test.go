package examples_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpsight/mcpsight/sdks/go/collectortest"
)

// The examples run as real processes, as an MCP client or a deployment runs them: built once,
// stdio ones started by the client per session, HTTP ones listening on a free port. They send to
// one collector (behind collectortest's schema check), and the tests read what it recorded.

var (
	collector *collectortest.Collector
	binaries  string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mcpsight-go-examples-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binaries = dir
	build := exec.Command("go", "build", "-o", dir+string(os.PathSeparator),
		"./basic", "./token-auth", "./api-key", "./mcp-auth", "./error-handling", "./anonymous")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the examples:", err)
		os.Exit(1)
	}
	if collector, err = collectortest.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := collector.Finish(m.Run())
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func exampleCommand(name string, env ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(binaries, name))
	cmd.Env = append(os.Environ(), append([]string{"MCPSIGHT_URL=" + collector.URL, "MCPSIGHT_PROJECT_ID=" + collector.ProjectID}, env...)...)
	return cmd
}

// stdioSession starts a stdio example with a client announcing clientName. Closing the session
// ends the example's stdin: it sends what it recorded and exits.
func stdioSession(t *testing.T, example, clientName string) (*mcp.ClientSession, *collectortest.Output) {
	t.Helper()
	stderr := &collectortest.Output{}
	cmd := exampleCommand(example)
	cmd.Stderr = stderr
	client := mcp.NewClient(&mcp.Implementation{Name: clientName, Version: "2.0.0"}, nil)
	cs, err := client.Connect(context.Background(), &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("%s: %v\n%s", example, err, stderr)
	}
	return cs, stderr
}

// httpExample is a running HTTP example.
type httpExample struct {
	url    string
	cmd    *exec.Cmd
	stderr *collectortest.Output
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)

// startHTTP starts an HTTP example on a free port; it is stopped when the test ends.
func startHTTP(t *testing.T, example string) *httpExample {
	t.Helper()
	cmd := exampleCommand(example, "PORT=0")
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	e := &httpExample{cmd: cmd, stderr: &collectortest.Output{}}
	t.Cleanup(e.stop)
	found := make(chan string, 1)
	go func() {
		scanner := bufio.NewScanner(pipe)
		for scanner.Scan() {
			_, _ = e.stderr.Write([]byte(scanner.Text() + "\n"))
			if m := listening.FindStringSubmatch(scanner.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case e.url = <-found:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not start listening:\n%s", example, e.stderr)
	}
	return e
}

// stop sends SIGTERM (the example delivers its events and exits) and waits for it.
func (e *httpExample) stop() {
	if e.cmd.ProcessState != nil {
		return
	}
	_ = e.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = e.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = e.cmd.Process.Kill()
		<-done
	}
}

// headers adds fixed headers to every request of an HTTP client.
type headers map[string]string

func (h headers) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	for k, v := range h {
		req.Header.Set(k, v)
	}
	return http.DefaultTransport.RoundTrip(req)
}

func httpSession(t *testing.T, url, clientName string, h headers) (*mcp.ClientSession, error) {
	client := mcp.NewClient(&mcp.Implementation{Name: clientName, Version: "2.1.0"}, nil)
	return client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: url, HTTPClient: &http.Client{Transport: h}}, nil)
}

// callTool calls a tool and returns its text.
func callTool(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any) (string, bool) {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var text []string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			text = append(text, tc.Text)
		}
	}
	return strings.Join(text, "\n"), res.IsError
}

// sessionOf waits for the session of a client (by name) that matches, and returns it.
func sessionOf(t *testing.T, clientName string, match func(collectortest.Session) bool) collectortest.Session {
	t.Helper()
	var found collectortest.Session
	collectortest.WaitFor(t, "the session of "+clientName, func() (bool, error) {
		var page struct{ Items []collectortest.Session }
		if err := collector.Get("/sessions?limit=200&client="+clientName, &page); err != nil {
			return false, err
		}
		for _, s := range page.Items {
			if match(s) {
				found = s
				return true, nil
			}
		}
		return false, nil
	})
	return found
}

// user is a row of GET …/users.
type user struct {
	UserID    string         `json:"userId"`
	UserName  *string        `json:"userName"`
	UserData  map[string]any `json:"userData"`
	ToolCalls int            `json:"toolCalls"`
}

func userOf(t *testing.T, id string) user {
	t.Helper()
	var page struct{ Items []user }
	if err := collector.Get("/users?search="+id, &page); err != nil {
		t.Fatal(err)
	}
	for _, u := range page.Items {
		if u.UserID == id {
			return u
		}
	}
	t.Fatalf("no user %s", id)
	return user{}
}

var deref = collectortest.Deref
