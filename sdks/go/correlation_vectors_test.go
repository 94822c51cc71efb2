package mcpsight

import (
	"context"
	"net/http"
	"testing"
)

// The shared correlation vectors (packages/protocol/vectors/correlation.json): the same stateless
// requests give the same signals, correlationId and client in every mcpsight SDK.

func TestCorrelationVectors(t *testing.T) {
	vectors := loadVectors(t, "correlation.json")
	runs, _ := vectors["runs"].([]any)
	if len(runs) < 5 {
		t.Fatalf("%d runs in correlation.json", len(runs))
	}
	for _, raw := range runs {
		run := raw.(map[string]any)
		t.Run(run["name"].(string), func(t *testing.T) {
			clients := newStatelessClients(run["projectId"].(string))
			for i, rawRequest := range run["requests"].([]any) {
				v := rawRequest.(map[string]any)
				r := vectorRequest(v)
				failed, _ := v["failed"].(bool)
				initializeVersion := ""
				if result, ok := v["result"].(map[string]any); ok && !failed {
					initializeVersion, _ = result["protocolVersion"].(string)
				}
				if r.Method == "initialize" && !failed {
					clients.announce(r, initializeVersion)
				}
				client, correlationID := clients.resolve(r, initializeVersion)
				expected := v["expected"].(map[string]any)

				s := signalsOf(r, initializeVersion)
				got := map[string]any{"clientName": s.clientName, "clientVersion": s.clientVersion,
					"protocolVersion": s.protocolVersion, "address": s.address, "userAgent": s.userAgent}
				if !sameJSON(got, expected["signals"]) {
					t.Errorf("request %d (%s) signals: got %v, want %v", i, r.Method, got, expected["signals"])
				}
				wantID, _ := expected["correlationId"].(string)
				if correlationID != wantID {
					t.Errorf("request %d (%s) correlationId: got %q, want %q", i, r.Method, correlationID, wantID)
				}
				var gotClient any
				if client.Name != "" {
					m := map[string]any{"name": client.Name}
					if client.Version != "" {
						m["version"] = client.Version
					}
					gotClient = m
				}
				if !sameJSON(gotClient, expected["client"]) {
					t.Errorf("request %d (%s) client: got %v, want %v", i, r.Method, gotClient, expected["client"])
				}
			}
		})
	}
}

// vectorRequest is the Request an adapter builds for a vector request.
func vectorRequest(v map[string]any) *Request {
	r := &Request{Ctx: context.Background(), Method: v["method"].(string), Header: http.Header{}, HTTP: true, Stateless: true}
	for name, value := range mapOf(v["headers"]) {
		r.Header.Set(name, value.(string))
	}
	r.Meta = mapOf(v["meta"])
	r.RemoteAddr, _ = v["peerAddress"].(string)
	if r.Method == "initialize" {
		info := mapOf(mapOf(v["params"])["clientInfo"])
		name, _ := info["name"].(string)
		version, _ := info["version"].(string)
		r.InitializeClient = NameVersion{Name: name, Version: version}
	}
	return r
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
