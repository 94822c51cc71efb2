// Package collectortest starts the repository's real mcpsight collector for Go tests and reads
// what it stored through the query API.
package collectortest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const adminToken = "msk_go_sdk_test_token_0123456789"

// Collector is a running collector over a temporary data directory.
type Collector struct {
	URL       string
	ProjectID string
	cmd       *exec.Cmd
	dir       string
	mu        sync.Mutex
	output    strings.Builder
}

// repoRoot walks up from the working directory to the checkout holding the built collector.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "packages", "server", "dist", "cli.js")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("packages/server/dist/cli.js not found above the working directory: run `npm ci` (it builds the collector) at the repository root")
		}
		dir = parent
	}
}

var (
	listening = regexp.MustCompile(`listening on (http://\S+)`)
	project   = regexp.MustCompile(`\((proj_[a-z0-9]+)\)`)
)

// Start runs `node packages/server/dist/cli.js start --port 0` and waits for its URL.
func Start() (*Collector, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "mcpsight-go-test-")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("node", filepath.Join(root, "packages", "server", "dist", "cli.js"), "start",
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
				c.URL = m[1]
			}
			if m := project.FindStringSubmatch(line); m != nil && c.ProjectID == "" {
				c.ProjectID = m[1]
			}
			if c.URL != "" && c.ProjectID != "" {
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
	return c, nil
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

// GetAbsolute reads any query-API path into out.
func (c *Collector) GetAbsolute(path string, out any) error {
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

// Deref is *p, or "" for nil.
func Deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
