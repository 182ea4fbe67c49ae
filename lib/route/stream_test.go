package route

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/imsg-toolkit/imsg/lib/state"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

const dmLine = `{"kind":"message","account":"default","message":{"id":11,"chat_id":3,"guid":"G11","sender":"+15550001111","is_from_me":false,"text":"hello <b>&","created_at":"2026-05-16T09:12:03.500Z","attachments":[],"reactions":[],"chat_identifier":"+15550001111","chat_guid":"iMessage;-;+15550001111","chat_name":"","participants":["+15550001111"],"is_group":false,"future_field":{"x":[1,2]}},"listen":{"received_at":"2026-05-16T09:12:03.600Z"}}`

func groupLine(chatID int, text string) string {
	return fmt.Sprintf(`{"kind":"message","account":"default","message":{"id":%d,"chat_id":%d,"guid":"G%d","sender":"+15550002222","is_from_me":false,"text":%q,"created_at":"2026-05-16T09:13:00.000Z","attachments":[],"reactions":[],"chat_identifier":"chat%d","chat_guid":"iMessage;+;chat%d","chat_name":"Crew","participants":["+15550002222","+15550003333"],"is_group":true},"gate":{"sender":"+15550002222","is_group":true,"chat_key":"chat_id:%d","body":%q,"was_mentioned":true}}`,
		100+chatID, chatID, 100+chatID, text, chatID, chatID, chatID, text)
}

func runStream(t *testing.T, r *Router, h History, in string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	opts := Options{Router: r, History: h, Log: tool.NewLog(&errb, "imsg-route")}
	err := Stream(context.Background(), strings.NewReader(in), &out, opts)
	return out.String(), errb.String(), err
}

func TestStreamPassThroughAndRoute(t *testing.T) {
	r := newRouter(t, `{}`)
	reply := `{"kind":"reply","account":"default","to":"chat_id:1",  "text":"pairing code","key":"k"}`
	reaction := `{"kind":"reaction","account":"default","message":{"id":5,"is_reaction":true}}`
	// imsg-listen writes tapbacks as reaction records; one that says
	// message is still a tapback.
	reaction2 := `{"kind":"message","account":"default","message":{"id":6,"chat_id":3,"sender":"+15550001111","text":"Loved “hi”","is_reaction":true}}`
	in := reply + "\n" + dmLine + "\n\n" + reaction + "\n" + reaction2 + "\n{broken\n"
	out, errs, err := runStream(t, r, nil, in)
	if tool.CodeOf(err) != tool.ExitFailure {
		t.Errorf("Stream with a bad line = %v; want an exit-1 error", err)
	}
	if !strings.Contains(errs, "imsg-route: error: line 6: invalid JSON") {
		t.Errorf("stderr = %q; want the bad line reported by number", errs)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 4 || lines[0] != reply || lines[2] != reaction || lines[3] != reaction2 {
		t.Fatalf("out = %q; want the reply and reaction byte for byte around the routed message", out)
	}
	if !strings.HasPrefix(lines[1], strings.TrimSuffix(dmLine, "}")+`,"route":{`) {
		t.Errorf("routed line does not keep the original bytes: %s", lines[1])
	}
	var rec struct {
		Message map[string]any `json:"message"`
		Route   map[string]any `json:"route"`
	}
	if err := json.Unmarshal([]byte(lines[1]), &rec); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"agent_id": "main", "session_key": "agent:main:main", "matched_by": "default",
		"to": "chat_id:3", "from": "imessage:+15550001111", "chat_type": "direct",
		"conversation_label": "+15550001111", "sender": "+15550001111", "sender_id": "+15550001111",
		"history_limit": 50.0, "body": "[iMessage +15550001111 2026-05-16T09:12:03.500Z] hello <b>&",
	}
	for k, v := range want {
		if rec.Route[k] != v {
			t.Errorf("route.%s = %#v; want %#v", k, rec.Route[k], v)
		}
	}
	if len(rec.Route) != len(want) {
		t.Errorf("route = %v; want exactly the keys %v", rec.Route, want)
	}
}

func TestStreamJQPredicateSeesTheRecord(t *testing.T) {
	r := newRouter(t, `{bindings: [
		{agentId: "broken", match: {jq: ".message.nothing | test(\"x\")"}},
		{agentId: "mentioned", match: {jq: ".gate.was_mentioned and (.message.text | startswith(\"hey\"))"}},
	]}`)
	in := groupLine(7, "hey you") + "\n" + groupLine(8, "other") + "\n" + groupLine(9, "hey again") + "\n"
	out, errs, err := runStream(t, r, nil, in)
	if err != nil {
		t.Fatal(err)
	}
	var agents []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var rec struct {
			Route struct {
				AgentID string `json:"agent_id"`
			} `json:"route"`
		}
		json.Unmarshal([]byte(l), &rec)
		agents = append(agents, rec.Route.AgentID)
	}
	if strings.Join(agents, ",") != "mentioned,main,mentioned" {
		t.Errorf("agents = %v; want mentioned,main,mentioned", agents)
	}
	if strings.Count(errs, "bindings[0]: jq:") != 1 || !strings.Contains(errs, "warning: line 1:") {
		t.Errorf("stderr = %q; want the failing predicate reported once, with its line", errs)
	}
}

// fakeHistory is a History that records calls.
type fakeHistory struct {
	entries map[string][]state.HistoryEntry
	lookups []string
	cleared []string
}

func (f *fakeHistory) History(key string, limit int) ([]state.HistoryEntry, error) {
	f.lookups = append(f.lookups, key)
	es := f.entries[key]
	if limit > 0 && len(es) > limit {
		es = es[len(es)-limit:]
	}
	return es, nil
}

func (f *fakeHistory) ClearHistory(key string, through int64) (int64, error) {
	f.cleared = append(f.cleared, fmt.Sprintf("%s<=%d", key, through))
	delete(f.entries, key)
	return 1, nil
}

func TestStreamAttachesHistoryOnce(t *testing.T) {
	r := newRouter(t, `{channels: {imessage: {historyLimit: 2}}}`)
	h := &fakeHistory{entries: map[string][]state.HistoryEntry{"chat_id:7": {
		{ID: 1, Sender: "+15550003333", Body: "one", MessageID: "1"},
		{ID: 2, Sender: "+15550003333", Body: "two", MessageID: "2", CreatedAt: "2026-05-16T09:10:00.000Z"},
		{ID: 3, Sender: "+15550004444", Body: "three", MessageID: "3", CreatedAt: "2026-05-16T09:11:00.000Z"},
	}}}
	version := 1
	seen := 0
	changed := func() (bool, error) {
		c := version != seen
		seen = version
		return c, nil
	}
	var out, errb bytes.Buffer
	opts := Options{Router: r, History: h, Changed: changed, Log: tool.NewLog(&errb, "imsg-route")}
	in := groupLine(7, "@bot what now") + "\n" + groupLine(7, "@bot and then") + "\n" + dmLine + "\n" + groupLine(7, "again") + "\n"
	if err := Stream(context.Background(), strings.NewReader(in), &out, opts); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var first struct{ Route decodedRoute }
	json.Unmarshal([]byte(lines[0]), &first)
	if len(first.Route.History) != 2 || first.Route.History[0].Body != "two" || first.Route.History[1].Body != "three" {
		t.Errorf("history = %+v; want the two most recent entries, oldest first", first.Route.History)
	}
	wantBody := "[Chat messages since your last reply - for context]\n" +
		"[iMessage Crew id:7 2026-05-16T09:10:00.000Z] +15550003333: two [id:2]\n" +
		"[iMessage Crew id:7 2026-05-16T09:11:00.000Z] +15550004444: three [id:3]\n" +
		"\n[Current message - respond to this]\n" +
		"[iMessage Crew id:7 2026-05-16T09:13:00.000Z] +15550002222: @bot what now"
	if first.Route.Body != wantBody {
		t.Errorf("body = %q; want %q", first.Route.Body, wantBody)
	}
	if strings.Join(h.cleared, " ") != "chat_id:7<=3" {
		t.Errorf("cleared = %v; want chat_id:7 through the last entry shown", h.cleared)
	}
	for _, l := range lines[1:] {
		if strings.Contains(l, `"history":`) {
			t.Errorf("history attached twice: %s", l)
		}
	}
	// Store unchanged since the empty answer: the third group message is
	// not looked up again.
	if strings.Join(h.lookups, " ") != "chat_id:7 chat_id:7" {
		t.Errorf("lookups = %v; want two (the second finds nothing, the third is skipped)", h.lookups)
	}
}

// decodedRoute is the route object as decoded from JSON.
type decodedRoute struct {
	History []state.HistoryEntry `json:"history"`
	Body    string               `json:"body"`
}

func TestStreamRealStoreHistory(t *testing.T) {
	dir := t.TempDir()
	s, err := state.Open(dir, "default")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i, body := range []string{"a", "b", "c"} {
		if err := s.AppendHistory("chat_id:7", state.HistoryEntry{Sender: "+15550003333", Body: body, MessageID: fmt.Sprint(i + 1)}, 50); err != nil {
			t.Fatal(err)
		}
	}
	w, err := s.WatchChanges()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r := newRouter(t, `{}`)
	var out, errb bytes.Buffer
	opts := Options{Router: r, History: s, Changed: w.Changed, Log: tool.NewLog(&errb, "imsg-route")}
	if err := Stream(context.Background(), strings.NewReader(groupLine(7, "hi")+"\n"), &out, opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"history":[{"sender":"+15550003333","body":"a","message_id":"1"}`) {
		t.Errorf("out = %s; want the stored history", out.String())
	}
	if left, _ := s.History("chat_id:7", 0); len(left) != 0 {
		t.Errorf("history left after dispatch: %+v", left)
	}
}

func TestStreamStopsOnCancel(t *testing.T) {
	r := newRouter(t, `{}`)
	inR, inW := io.Pipe()
	defer inW.Close()
	var out bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Stream(ctx, inR, &out, Options{Router: r, Log: tool.NewLog(io.Discard, "imsg-route")})
	}()
	fmt.Fprintln(inW, dmLine)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Stream after cancel = %v; want nil", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Stream did not return after cancel")
	}
}
