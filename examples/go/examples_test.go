package examples_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/mcpsight/mcpsight/sdks/go/collectortest"
)

func TestBasicIdentifiesTheSessionFromTheUserIDArgument(t *testing.T) {
	cs, _ := stdioSession(t, "basic", "basic-go-test-client")
	tools, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range tools.Tools {
		names = append(names, tool.Name)
	}
	for _, want := range []string{"search_notes", "create_note", "delete_note", "get_more_tools"} {
		if !slices.Contains(names, want) {
			t.Fatalf("tools %v lack %s", names, want)
		}
	}
	if text, _ := callTool(t, cs, "search_notes", map[string]any{"userId": "u_ada", "query": "release", "context": "Ada prepares the next release"}); !strings.Contains(text, "Release checklist") {
		t.Fatalf("search_notes: %q", text)
	}
	if text, _ := callTool(t, cs, "create_note", map[string]any{"userId": "u_ada", "title": "Retro", "body": "Went well.", "context": "Ada notes the retro"}); text != "Created note #5." {
		t.Fatalf("create_note: %q", text)
	}
	_ = cs.Close()

	s := sessionOf(t, "basic-go-test-client", func(s collectortest.Session) bool { return s.ToolCalls == 2 && s.UserID != nil })
	if deref(s.UserID) != "u_ada" || deref(s.UserName) != "Ada Lovelace" || deref(s.ClientVersion) != "2.0.0" ||
		deref(s.ServerName) != "notes-go-basic" || s.Stateless || s.Errors != 0 {
		t.Fatalf("session %+v", s)
	}
	if u := userOf(t, "u_ada"); deref(u.UserName) != "Ada Lovelace" {
		t.Fatalf("user %+v", u)
	}
	events, err := collector.Replay(s.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	var calls []string
	for _, e := range events {
		if e.EventType == "mcp:tools/call" {
			calls = append(calls, deref(e.ResourceName)+": "+deref(e.UserIntent))
			// The intent is taken out of the arguments before the tool (and the recording) sees them.
			if strings.Contains(string(e.Parameters), "context") || !strings.Contains(string(e.Parameters), `"userId":"u_ada"`) {
				t.Errorf("parameters %s", e.Parameters)
			}
		}
	}
	if want := []string{"search_notes: Ada prepares the next release", "create_note: Ada notes the retro"}; !slices.Equal(calls, want) {
		t.Fatalf("calls %v, want %v", calls, want)
	}
}

func TestTokenAuthMapsAValidTokenAndNeverRecordsIt(t *testing.T) {
	session := func(token, clientName string) collectortest.Session {
		cs, _ := stdioSession(t, "token-auth", clientName)
		if text, _ := callTool(t, cs, "search_notes", map[string]any{"token": token, "query": "rota", "context": "checking who is on call"}); !strings.Contains(text, "On-call rota") {
			t.Fatalf("search_notes: %q", text)
		}
		_ = cs.Close()
		return sessionOf(t, clientName, func(s collectortest.Session) bool { return s.ToolCalls == 1 })
	}
	valid := session("tok_grace_a90e44", "token-valid-go")
	if deref(valid.UserID) != "u_grace" || deref(valid.UserName) != "Grace Hopper" || valid.Stateless {
		t.Fatalf("session %+v", valid)
	}
	if u := userOf(t, "u_grace"); !jsonEqual(u.UserData, map[string]any{"role": "editor", "organisation": "Compiler Works", "plan": "team"}) {
		t.Fatalf("userData %v", u.UserData)
	}
	events, err := collector.Replay(valid.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	all, _ := json.Marshal(events)
	if strings.Contains(string(all), "tok_grace_a90e44") || !strings.Contains(string(all), `"query":"rota"`) {
		t.Fatalf("replay %.1500s", all)
	}
	// An unknown token: anonymous, and the call still succeeded.
	if invalid := session("tok_forged_000000", "token-invalid-go"); invalid.UserID != nil {
		t.Fatalf("session %+v", invalid)
	}
}

func TestAPIKeyIdentifiesEveryStatelessRequestByItsKey(t *testing.T) {
	example := startHTTP(t, "api-key")
	for _, who := range []struct{ user, key string }{{"u_linus", "key_linus_e4a6f0"}, {"u_barbara", "key_barbara_3a7e92"}} {
		cs, err := httpSession(t, example.url, "api-key-go-"+who.user, headers{"X-API-Key": who.key})
		if err != nil {
			t.Fatal(err)
		}
		for _, query := range []string{"release", "rota", "onboarding"} {
			if text, _ := callTool(t, cs, "search_notes", map[string]any{"query": query, "context": "testing"}); !strings.Contains(text, "#") {
				t.Fatalf("search_notes: %q", text)
			}
		}
		_ = cs.Close()
	}
	anonymous, err := httpSession(t, example.url, "api-key-go-none", headers{})
	if err != nil {
		t.Fatal(err)
	}
	callTool(t, anonymous, "search_notes", map[string]any{"query": "style", "context": "testing"})
	_ = anonymous.Close()
	example.stop() // the example sends its last events on the way out

	for _, id := range []string{"u_linus", "u_barbara"} {
		s := sessionOf(t, "api-key-go-"+id, func(s collectortest.Session) bool { return s.ToolCalls == 3 })
		if deref(s.UserID) != id || !s.Stateless || deref(s.ServerName) != "notes-go-api-key" {
			t.Fatalf("session %+v", s)
		}
	}
	if u := userOf(t, "u_linus"); deref(u.UserName) != "Linus Torvalds" || !jsonEqual(u.UserData, map[string]any{"organisation": "Kernel Folks", "plan": "team"}) {
		t.Fatalf("user %+v", u)
	}
	sessionOf(t, "api-key-go-none", func(s collectortest.Session) bool { return s.UserID == nil && s.ToolCalls == 1 })
	var sessions any
	if err := collector.Get("/sessions?limit=200", &sessions); err != nil {
		t.Fatal(err)
	}
	if all, _ := json.Marshal(sessions); strings.Contains(string(all), "key_linus") {
		t.Fatal("an API key reached the collector")
	}
	if strings.Contains(strings.ToLower(example.stderr.String()), "warn") {
		t.Fatalf("warnings: %s", example.stderr)
	}
}

func TestMCPAuthRefusesUnknownTokensAndIdentifiesOncePerSession(t *testing.T) {
	example := startHTTP(t, "mcp-auth")
	resp, err := http.Post(example.url, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without a token: HTTP %d", resp.StatusCode)
	}
	if _, err := httpSession(t, example.url, "no-token", headers{"Authorization": "Bearer tok_forged"}); err == nil {
		t.Fatal("a forged token connected")
	}

	cs, err := httpSession(t, example.url, "mcp-auth-go-client", headers{"Authorization": "Bearer tok_margaret_64c2ab"})
	if err != nil {
		t.Fatal(err)
	}
	if text, _ := callTool(t, cs, "create_note", map[string]any{"title": "Launch", "body": "T-minus 10", "context": "planning the launch"}); text != "Created note #5." {
		t.Fatalf("create_note: %q", text)
	}
	if _, isError := callTool(t, cs, "delete_note", map[string]any{"id": 99, "context": "tidying up"}); !isError {
		t.Fatal("delete_note 99 should fail")
	}
	_ = cs.Close()
	example.stop()

	s := sessionOf(t, "mcp-auth-go-client", func(s collectortest.Session) bool { return s.ToolCalls == 2 && s.UserID != nil })
	if deref(s.UserID) != "u_margaret" || deref(s.UserName) != "Margaret Hamilton" || deref(s.ClientVersion) != "2.1.0" ||
		deref(s.ServerName) != "notes-go-mcp-auth" || s.Stateless || s.Errors != 1 {
		t.Fatalf("session %+v", s)
	}
	events, err := collector.Replay(s.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	identifies := 0
	for _, e := range events {
		if e.EventType == "mcpsight:identify" {
			identifies++
		}
	}
	if identifies != 1 {
		t.Fatalf("%d identify events in the session, want 1", identifies)
	}
	if u := userOf(t, "u_margaret"); !jsonEqual(u.UserData, map[string]any{"organisation": "Apollo Guidance", "scopes": []any{"notes:read", "notes:write"}}) {
		t.Fatalf("userData %v", u.UserData)
	}
}

func TestErrorHandlingNeverBreaksTheCalls(t *testing.T) {
	session := func(userID string) (collectortest.Session, string, string) {
		clientName := "errors-go-" + userID
		cs, stderr := stdioSession(t, "error-handling", clientName)
		logged := ""
		for i, query := range []string{"style", "release"} {
			text, isError := callTool(t, cs, "search_notes", map[string]any{"userId": userID, "query": query, "context": "testing"})
			if isError || !strings.Contains(text, "#") {
				t.Fatalf("%s: search_notes %q", userID, text)
			}
			if i == 0 {
				logged = stderr.String() // what was logged when the first call returned
			}
		}
		_ = cs.Close()
		s := sessionOf(t, clientName, func(s collectortest.Session) bool { return s.ToolCalls == 2 })
		return s, logged, stderr.String()
	}
	if s, _, _ := session("u_ada"); deref(s.UserID) != "u_ada" || deref(s.UserName) != "Ada Lovelace" || s.Errors != 0 {
		t.Fatalf("session %+v", s)
	}
	if s, _, stderr := session("u_alan"); s.UserID != nil || s.Errors != 0 || !strings.Contains(stderr, "user directory unavailable") {
		t.Fatalf("session %+v, stderr %q", s, stderr)
	}
	s, atFirstResult, stderr := session("u_slow")
	if s.UserID != nil || !strings.Contains(stderr, "timed out after 1s") {
		t.Fatalf("session %+v, stderr %q", s, stderr)
	}
	// The first call's result came before mcpsight gave up on identify: it did not wait for it.
	if strings.Contains(atFirstResult, "timed out") {
		t.Fatalf("the first call returned after identify timed out: %q", atFirstResult)
	}
}

func TestAnonymousRecordsEverythingButTheUser(t *testing.T) {
	cs, _ := stdioSession(t, "anonymous", "anon-go-client")
	if _, err := cs.ListTools(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if _, isError := callTool(t, cs, "search_notes", map[string]any{"query": "guide", "context": "looking for the writing style guide"}); isError {
		t.Fatal("search_notes failed")
	}
	if _, isError := callTool(t, cs, "delete_note", map[string]any{"id": 42, "context": "cleaning up an old note"}); !isError {
		t.Fatal("delete_note 42 should fail")
	}
	callTool(t, cs, "get_more_tools", map[string]any{"context": "wanted to export all notes as a PDF"})
	_ = cs.Close()

	s := sessionOf(t, "anon-go-client", func(s collectortest.Session) bool { return s.ToolCalls >= 3 })
	if s.UserID != nil || s.Errors != 1 || deref(s.ServerName) != "notes-go-anonymous" || s.Stateless {
		t.Fatalf("session %+v", s)
	}
	var errors struct {
		Items []struct{ Tool, Message string }
	}
	if err := collector.Get("/errors", &errors); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(errors.Items, func(e struct{ Tool, Message string }) bool {
		return e.Tool == "delete_note" && strings.Contains(e.Message, "Note #42 does not exist")
	}) {
		t.Fatalf("errors %+v", errors.Items)
	}
	var intents struct {
		Items []struct{ Type, Tool, Intent string }
	}
	if err := collector.Get("/intents", &intents); err != nil {
		t.Fatal(err)
	}
	has := func(typ, intent string) bool {
		return slices.ContainsFunc(intents.Items, func(i struct{ Type, Tool, Intent string }) bool { return i.Type == typ && i.Intent == intent })
	}
	if !has("intent", "looking for the writing style guide") || !has("missing_tool", "wanted to export all notes as a PDF") {
		t.Fatalf("intents %+v", intents.Items)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
