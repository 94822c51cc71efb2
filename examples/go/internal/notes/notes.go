// Package notes is the examples' tools: a small team-notes service held in memory. Every example
// registers the same tools (search_notes, create_note, delete_note), so each one differs only in
// how it identifies users; extra arguments (a user id, a token) are what its identify reads.
package notes

import (
	"fmt"
	"strings"
	"sync"
)

// Note is one note.
type Note struct {
	ID          int
	Title, Body string
}

// Store holds the notes of one server.
type Store struct {
	mu     sync.Mutex
	notes  []Note
	nextID int
}

// NewStore returns a store with the four seed notes.
func NewStore() *Store {
	return &Store{nextID: 5, notes: []Note{
		{1, "Release checklist", "Tag, build, publish, announce."},
		{2, "On-call rota", "Weekly, handover on Mondays at 10:00."},
		{3, "Style guide", "Short sentences. Active voice. No jargon."},
		{4, "Onboarding", "Laptop, accounts, first pairing session, first release."},
	}}
}

// Search lists the notes whose title or body mentions query.
func (s *Store) Search(query string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	needle := strings.ToLower(query)
	var lines []string
	for _, n := range s.notes {
		if strings.Contains(strings.ToLower(n.Title+" "+n.Body), needle) {
			lines = append(lines, fmt.Sprintf("#%d %s: %s", n.ID, n.Title, n.Body))
		}
	}
	if len(lines) == 0 {
		return fmt.Sprintf("No note mentions %q.", query)
	}
	return strings.Join(lines, "\n")
}

// Create adds a note.
func (s *Store) Create(title, body string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := Note{s.nextID, title, body}
	s.nextID++
	s.notes = append(s.notes, n)
	return fmt.Sprintf("Created note #%d.", n.ID)
}

// Delete removes a note; an unknown number is an error (the client gets an error result, and
// mcpsight records it).
func (s *Store) Delete(id int) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, n := range s.notes {
		if n.ID == id {
			s.notes = append(s.notes[:i], s.notes[i+1:]...)
			return fmt.Sprintf("Deleted note #%d.", id), nil
		}
	}
	return "", fmt.Errorf("Note #%d does not exist.", id)
}

// Tool describes one of the notes tools in library-neutral terms: its input schema (with the
// example's extra arguments) and what a call does with its arguments.
type Tool struct {
	Name, Description string
	InputSchema       map[string]any
	Call              func(args map[string]any) (string, error)
}

// Tools are the three notes tools over store; extra are arguments added to every tool's schema
// (name → JSON schema), such as {"userId": {"type": "string"}}.
func Tools(store *Store, extra map[string]any) []Tool {
	schema := func(props map[string]any, required ...string) map[string]any {
		all := map[string]any{}
		for k, v := range extra {
			all[k] = v
		}
		for k, v := range props {
			all[k] = v
		}
		return map[string]any{"type": "object", "properties": all, "required": required}
	}
	text := func(args map[string]any, key string) string { s, _ := args[key].(string); return s }
	return []Tool{
		{"search_notes", "Search the team's notes by a word in their title or body.",
			schema(map[string]any{"query": map[string]any{"type": "string", "description": "Word or phrase to look for"}}, "query"),
			func(args map[string]any) (string, error) { return store.Search(text(args, "query")), nil }},
		{"create_note", "Create a note.",
			schema(map[string]any{"title": map[string]any{"type": "string", "minLength": 1}, "body": map[string]any{"type": "string"}}, "title", "body"),
			func(args map[string]any) (string, error) {
				return store.Create(text(args, "title"), text(args, "body")), nil
			}},
		{"delete_note", "Delete a note by its number.",
			schema(map[string]any{"id": map[string]any{"type": "integer", "description": "The note's number, e.g. 3"}}, "id"),
			func(args map[string]any) (string, error) {
				id, _ := args["id"].(float64)
				return store.Delete(int(id))
			}},
	}
}
