// Benchmarks of the Go SDK (see bench/README.md, "Go SDK benchmarks"): the cost of tracking a
// tool call for each adapter, and how many events per second delivery sends with no drops. The
// events go to a sink in a separate process (this test binary started again with benchSinkEnv), so
// that the sink's work does not run in the measured process.
package bench

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
)

const benchSinkEnv = "MCPSIGHT_BENCH_SINK"

func TestMain(m *testing.M) {
	if os.Getenv(benchSinkEnv) != "" {
		serveSink()
		return
	}
	code := m.Run()
	stopSink()
	os.Exit(code)
}

// serveSink is the sink process: it takes /v1/batch (gunzip, decode, dedupe by id) and answers
// GET /count with the number of distinct events received. It prints its URL and runs until
// its stdin closes.
func serveSink() {
	var mu sync.Mutex
	seen := map[string]struct{}{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/batch", func(w http.ResponseWriter, r *http.Request) {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, "not gzip", http.StatusBadRequest)
			return
		}
		var batch struct {
			Events []struct {
				ID string `json:"id"`
			} `json:"events"`
		}
		if err := json.NewDecoder(zr).Decode(&batch); err != nil {
			http.Error(w, "not JSON", http.StatusBadRequest)
			return
		}
		mu.Lock()
		duplicates := 0
		for _, e := range batch.Events {
			if _, ok := seen[e.ID]; ok {
				duplicates++
			}
			seen[e.ID] = struct{}{}
		}
		mu.Unlock()
		fmt.Fprintf(w, `{"accepted":%d,"duplicates":%d,"rejected":[]}`, len(batch.Events)-duplicates, duplicates)
	})
	mux.HandleFunc("GET /count", func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprint(w, len(seen))
	})
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("http://" + listener.Addr().String())
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); os.Exit(0) }()
	_ = http.Serve(listener, mux)
}

var (
	sinkOnce sync.Once
	sinkURL  string
	sinkCmd  *exec.Cmd
	sinkIn   io.WriteCloser
)

// sink starts the sink process once per benchmark binary and returns its URL.
func sink(b testing.TB) string {
	sinkOnce.Do(func() {
		cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
		cmd.Env = append(os.Environ(), benchSinkEnv+"=1")
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			return
		}
		if sinkIn, err = cmd.StdinPipe(); err != nil {
			return
		}
		if err := cmd.Start(); err != nil {
			return
		}
		sinkCmd = cmd
		line, _ := bufio.NewReader(out).ReadString('\n')
		sinkURL = strings.TrimSpace(line)
	})
	if sinkURL == "" {
		b.Fatal("the sink process did not start")
	}
	return sinkURL
}

func stopSink() {
	if sinkCmd != nil {
		_ = sinkIn.Close()
		_ = sinkCmd.Wait()
	}
}

// sinkCount is how many distinct events the sink received.
func sinkCount(b *testing.B) int {
	resp, err := http.Get(sink(b) + "/count")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	n, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		b.Fatal(err)
	}
	return n
}
