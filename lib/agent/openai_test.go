package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imsg-toolkit/imsg/lib/config"
	"github.com/imsg-toolkit/imsg/lib/state"
)

// fakeModel is an OpenAI-compatible server on loopback. Each request is
// recorded; respond decides the answer (status, body) for request n
// (0-based).
type fakeModel struct {
	mu       sync.Mutex
	requests []chatRequest
	auth     []string
	paths    []string
	respond  func(n int, req chatRequest) (int, string)
	srv      *httptest.Server
}

func newFakeModel(t *testing.T, respond func(n int, req chatRequest) (int, string)) *fakeModel {
	f := &fakeModel{respond: respond}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req chatRequest
		json.Unmarshal(body, &req)
		f.mu.Lock()
		n := len(f.requests)
		f.requests = append(f.requests, req)
		f.auth = append(f.auth, r.Header.Get("Authorization"))
		f.paths = append(f.paths, r.URL.Path)
		f.mu.Unlock()
		status, out := f.respond(n, req)
		if status == 0 {
			// hang until the client gives up
			<-r.Context().Done()
			return
		}
		if status == 429 {
			w.Header().Set("Retry-After", "0")
		}
		w.WriteHeader(status)
		io.WriteString(w, out)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeModel) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

func completion(text string) string {
	b, _ := json.Marshal(map[string]any{"id": "x", "object": "chat.completion",
		"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": text}, "finish_reason": "stop"}}})
	return string(b)
}

func openStore(t *testing.T) *state.Store {
	s, err := state.Open(t.TempDir(), "default")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newOpenAI(f *fakeModel, store Transcripts) *OpenAI {
	return &OpenAI{URL: f.srv.URL + "/v1", Model: "test-model", Client: f.srv.Client(), Timeout: guard,
		Retries: 3, Backoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond, Store: store}
}

func dmJob(session, guid, text string, limit int) *Job {
	return &Job{Account: "default", GUID: guid, Text: text, Body: "[iMessage +15550001111] " + text,
		AgentID: "main", SessionKey: session, To: "chat_id:3", ChatType: "direct", HistoryLimit: limit}
}

func TestOpenAIKeepsTrimmedTranscripts(t *testing.T) {
	f := newFakeModel(t, func(n int, req chatRequest) (int, string) {
		return 200, completion(fmt.Sprintf("answer %d", n+1))
	})
	o := newOpenAI(f, openStore(t))
	o.APIKey = "sk-test"
	o.System = func(*Job) string { return "be brief" }
	for i := 1; i <= 4; i++ {
		got, err := o.Answer(context.Background(), dmJob("agent:main:main", fmt.Sprintf("G%d", i), fmt.Sprintf("q%d", i), 2))
		if err != nil || got != fmt.Sprintf("answer %d", i) {
			t.Fatalf("Answer %d = %q, %v", i, got, err)
		}
	}
	// Another session has its own transcript.
	if _, err := o.Answer(context.Background(), dmJob("agent:main:imessage:group:7", "X", "other", 2)); err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, m := range f.requests[3].Messages {
		seen = append(seen, m.Role+":"+strings.TrimPrefix(m.Content, "[iMessage +15550001111] "))
	}
	want := "system:be brief user:q2 assistant:answer 2 user:q3 assistant:answer 3 user:q4"
	if strings.Join(seen, " ") != want {
		t.Errorf("fourth request = %q; want the last 2 user turns before the new one: %q", strings.Join(seen, " "), want)
	}
	if len(f.requests[4].Messages) != 2 {
		t.Errorf("a new session's first request carried %d messages; want system and user only", len(f.requests[4].Messages))
	}
	if f.requests[0].Model != "test-model" || f.requests[0].Stream || f.auth[0] != "Bearer sk-test" || f.paths[0] != "/v1/chat/completions" {
		t.Errorf("request: model %q stream %v auth %q path %q", f.requests[0].Model, f.requests[0].Stream, f.auth[0], f.paths[0])
	}
}

func TestOpenAIRedeliveryDoesNotAskAgain(t *testing.T) {
	f := newFakeModel(t, func(n int, _ chatRequest) (int, string) { return 200, completion(fmt.Sprintf("answer %d", n+1)) })
	o := newOpenAI(f, openStore(t))
	j := dmJob("agent:main:main", "G1", "q1", 5)
	first, _ := o.Answer(context.Background(), j)
	again, err := o.Answer(context.Background(), j)
	if err != nil || again != first || f.count() != 1 {
		t.Errorf("redelivered message: %q, %v after %d requests; want %q from the transcript, one request", again, err, f.count(), first)
	}
}

func TestOpenAIRetries(t *testing.T) {
	tests := []struct {
		name     string
		statuses []int
		want     string
		err      string
		requests int
	}{
		{"429 then ok", []int{429, 200}, "fine", "", 2},
		{"5xx then ok", []int{502, 503, 200}, "fine", "", 3},
		{"5xx until retries run out", []int{500, 500, 500, 500, 500}, "", "HTTP 500: boom (after 4 attempts)", 4},
		{"4xx is final", []int{401, 200}, "", "HTTP 401: boom", 1},
	}
	for _, tt := range tests {
		f := newFakeModel(t, func(n int, _ chatRequest) (int, string) {
			if tt.statuses[n] == 200 {
				return 200, completion("fine")
			}
			return tt.statuses[n], "boom"
		})
		got, err := newOpenAI(f, nil).Answer(context.Background(), dmJob("k", "G", "q", 5))
		if got != tt.want || (err == nil) != (tt.err == "") || err != nil && err.Error() != tt.err || f.count() != tt.requests {
			t.Errorf("%s: Answer = %q, %v after %d requests; want %q, %q after %d", tt.name, got, err, f.count(), tt.want, tt.err, tt.requests)
		}
	}
}

func TestOpenAIGarbageAndTimeouts(t *testing.T) {
	bodies := []string{`<html>bad gateway</html>`, `{"choices":[]}`, `{"choices":[{"message":{"content":{"x":1}}}]}`, `{"error":{"message":"model not loaded"}}`, `{"object":"list"}`}
	for _, body := range bodies {
		f := newFakeModel(t, func(int, chatRequest) (int, string) { return 200, body })
		store := openStore(t)
		got, err := newOpenAI(f, store).Answer(context.Background(), dmJob("k", "G", "q", 5))
		if err == nil || got != "" || f.count() != 1 {
			t.Errorf("body %s: Answer = %q, %v after %d requests; want an error, no retry", body, got, err, f.count())
		}
		if turns, _ := store.Transcript("k", 5); len(turns) != 0 {
			t.Errorf("body %s: a failed exchange was recorded: %+v", body, turns)
		}
	}
	f := newFakeModel(t, func(int, chatRequest) (int, string) { return 0, "" })
	o := newOpenAI(f, nil)
	o.Timeout, o.Retries = 100*time.Millisecond, 1
	_, err := o.Answer(context.Background(), dmJob("k", "G", "q", 5))
	if !errors.Is(err, ErrTimeout) || f.count() != 2 {
		t.Errorf("hanging server: %v after %d requests; want a timeout after one retry", err, f.count())
	}
}

func TestParseCompletionShapes(t *testing.T) {
	tests := []struct{ body, want string }{
		{completion("hi"), "hi"},
		{`{"choices":[{"message":{"role":"assistant","content":[{"type":"text","text":"a"},{"type":"image_url"},{"type":"text","text":"b"}]}}]}`, "ab"},
		{`{"choices":[{"message":{"role":"assistant","content":null,"tool_calls":[]}}]}`, ""},
		{`{"choices":[{"text":"legacy"}]}`, "legacy"},
	}
	for _, tt := range tests {
		if got, err := parseCompletion([]byte(tt.body)); err != nil || got != tt.want {
			t.Errorf("parseCompletion(%s) = %q, %v; want %q", tt.body, got, err, tt.want)
		}
	}
}

func TestEndpoint(t *testing.T) {
	for in, want := range map[string]string{
		"http://localhost:11434/v1":                  "http://localhost:11434/v1/chat/completions",
		"http://localhost:8080/":                     "http://localhost:8080/chat/completions",
		"https://api.openai.com/v1/chat/completions": "https://api.openai.com/v1/chat/completions",
	} {
		if got := Endpoint(in); got != want {
			t.Errorf("Endpoint(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestPrompts(t *testing.T) {
	f, err := config.Parse("cfg.json5", []byte(`{
		agents: {list: [{id: "Main Bot", identity: {name: "Molly", emoji: "🦞"}}, {id: "quiet"}]},
		channels: {imessage: {groups: {"7": {systemPrompt: "Climbing talk only."}, "*": {systemPrompt: "Be polite."}}}},
	}`))
	if err != nil {
		t.Fatal(err)
	}
	acct, _ := f.Account("")
	p := NewPrompts("You answer iMessages.", f, acct)
	tests := []struct {
		j    Job
		want string
	}{
		{Job{AgentID: "main-bot", ChatType: "group", ChatID: 7, To: "chat_id:7"}, "You answer iMessages.\n\nYou are Molly 🦞.\n\nClimbing talk only."},
		{Job{AgentID: "main-bot", ChatType: "group", ChatID: 8, To: "chat_id:8"}, "You answer iMessages.\n\nYou are Molly 🦞.\n\nBe polite."},
		{Job{AgentID: "quiet", ChatType: "direct", ChatID: 7}, "You answer iMessages."},
	}
	for _, tt := range tests {
		if got := p.For(&tt.j); got != tt.want {
			t.Errorf("For(%+v) = %q; want %q", tt.j, got, tt.want)
		}
	}
}
