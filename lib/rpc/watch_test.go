package rpc_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/imsg-toolkit/imsg/lib/rpc"
)

func note(sub int, msg string) string {
	return fmt.Sprintf(`{"jsonrpc":"2.0","method":"message","params":{"subscription":%d,"message":%s}}`+"\n", sub, msg)
}

func msgJSON(id int) string {
	return fmt.Sprintf(`{"id":%d,"chat_id":7,"guid":"G-%d","sender":"+15550001111","is_from_me":false,"text":"m%d","created_at":"2026-05-16T09:12:03.500Z","attachments":[],"reactions":[],"chat_identifier":"c","chat_guid":"c","chat_name":"","participants":[],"is_group":false}`, id, id, id)
}

// subscribe runs Subscribe against the pipe peer; before answering, the
// peer writes early (0.9 does that when replaying).
func subscribe(t *testing.T, c *rpc.Client, p *pipePeer, early ...string) *rpc.Subscription {
	t.Helper()
	type result struct {
		s   *rpc.Subscription
		err error
	}
	ch := make(chan result, 1)
	go func() {
		s, err := c.Subscribe(ctx(t), rpc.WatchParams{})
		ch <- result{s, err}
	}()
	req := p.request()
	if req.Method != "watch.subscribe" {
		t.Fatalf("method %q; want watch.subscribe", req.Method)
	}
	p.send(early...)
	p.send(`{"jsonrpc":"2.0","id":` + string(req.ID) + `,"result":{"subscription":1}}` + "\n")
	r := wait(t, ch)
	if r.err != nil {
		t.Fatalf("Subscribe: %v", r.err)
	}
	return r.s
}

func TestNotificationsBeforeTheSubscribeAnswer(t *testing.T) {
	c, p, rec := connect(t, rpc.Options{})
	s := subscribe(t, c, p, note(1, msgJSON(1)), note(2, msgJSON(99)), note(1, msgJSON(2)))
	p.send(note(1, msgJSON(3)))
	for want := int64(1); want <= 3; want++ {
		ev := next(t, s)
		if ev.Kind != rpc.EventMessage || ev.Err != nil || ev.Message.ID != want {
			t.Fatalf("event = %v %d %v; want message %d", ev.Kind, ev.Message.ID, ev.Err, want)
		}
		if string(ev.Raw) != msgJSON(int(want)) {
			t.Errorf("Raw = %s; want the bytes as sent", ev.Raw)
		}
	}
	if s.ID != 1 {
		t.Errorf("ID = %d; want 1", s.ID)
	}
	if rec.count("dropped 1 notifications") != 1 {
		t.Errorf("log = %q; want the notification for subscription 2 reported dropped", rec.all())
	}
}

func TestMessageBytesPassThrough(t *testing.T) {
	c, p, rec := connect(t, rpc.Options{})
	s := subscribe(t, c, p)
	// Unknown fields, \/ escapes, odd key order, spaces, a raw U+2028.
	raw := `{ "zz_future": {"a": [1, 2.50]}, "text": "a\/b` + "\u2028" + `c", "id": 4242, "chat_id": 7,` +
		` "attachments": [{"original_path": "\/Users\/me\/x.jpg", "missing": false, "new_key": null}] }`
	p.send(note(1, raw))
	ev := next(t, s)
	if ev.Err != nil {
		t.Fatalf("event error: %v", ev.Err)
	}
	if string(ev.Raw) != raw {
		t.Errorf("Raw = %s\nwant  %s", ev.Raw, raw)
	}
	m := ev.Message
	if m.ID != 4242 || m.ChatID != 7 || m.Text != "a/b\u2028c" || len(m.Attachments) != 1 || m.Attachments[0].OriginalPath != "/Users/me/x.jpg" {
		t.Errorf("Message = %+v", m)
	}
	if e := rec.all(); len(e) != 0 {
		t.Errorf("log = %q; want nothing", e)
	}
}

func TestMalformedMessageDoesNotEndTheSubscription(t *testing.T) {
	c, p, _ := connect(t, rpc.Options{})
	s := subscribe(t, c, p)
	p.send(note(1, `{"id":5,"sender":42}`), note(1, `"not an object"`), note(1, msgJSON(6)))
	ev := next(t, s)
	if ev.Kind != rpc.EventMessage || ev.Err == nil || string(ev.Raw) != `{"id":5,"sender":42}` {
		t.Errorf("event 1 = %v %v %s; want a message event with a decode error", ev.Kind, ev.Err, ev.Raw)
	}
	if ev := next(t, s); ev.Kind != rpc.EventMessage || ev.Err == nil {
		t.Errorf("event 2 = %v %v; want a message event with an error", ev.Kind, ev.Err)
	}
	if ev := next(t, s); ev.Err != nil || ev.Message.ID != 6 {
		t.Errorf("event 3 = %v %d; want message 6", ev.Err, ev.Message.ID)
	}
}

func TestErrorNotificationEndsTheSubscription(t *testing.T) {
	c, p, rec := connect(t, rpc.Options{})
	s := subscribe(t, c, p)
	long := strings.Repeat("x", 300)
	p.send(`{"jsonrpc":"2.0","method":"error","params":{"subscription":1,"error":{"code":5,` +
		`"message":"\u001b[31mdisk I/O error\u001b[0m\nat /Users/me ` + long + `","participants":["+1555"],"data":{"path":"/x"}}}}` + "\n")
	p.send(note(1, msgJSON(9))) // a straggler: dropped
	ev := next(t, s)
	var we *rpc.WatchError
	if ev.Kind != rpc.EventError || !errors.As(ev.Err, &we) {
		t.Fatalf("event = %v %v; want an error event", ev.Kind, ev.Err)
	}
	want := `disk I/O error\nat /Users/me ` + strings.Repeat("x", 199-len(`disk I/O error\nat /Users/me `)) + "…"
	if !we.HasCode || we.Code != 5 || we.Message != want {
		t.Errorf("WatchError = %+v;\nwant message %q", we, want)
	}
	if b, _ := json.Marshal(we); strings.Contains(string(b), "participants") || strings.Contains(string(b), "path") {
		t.Errorf("sanitised payload %s keeps other fields", b)
	}
	if _, ok := <-s.Events(); ok {
		t.Error("events after the terminal error event")
	}
	if e := rec.all(); len(e) != 0 {
		t.Errorf("log = %q; want the straggler dropped silently", e)
	}
}

func TestErrorNotificationWithFlatParams(t *testing.T) {
	c, p, _ := connect(t, rpc.Options{})
	s := subscribe(t, c, p)
	p.send(`{"jsonrpc":"2.0","method":"error","params":{"subscription":1,"code":-1,"message":"watch failed","chat_id":7}}` + "\n")
	ev := next(t, s)
	var we *rpc.WatchError
	if ev.Kind != rpc.EventError || !errors.As(ev.Err, &we) || we.Code != -1 || we.Message != "watch failed" {
		t.Errorf("event = %v %v; want the error with code -1", ev.Kind, ev.Err)
	}
}

func TestOverflowEndsTheSubscription(t *testing.T) {
	c, p, _ := connect(t, rpc.Options{})
	s := subscribe(t, c, p)
	p.send(note(1, msgJSON(8999)),
		`{"jsonrpc":"2.0","method":"watch.overflow","params":{"subscription":1,"resume_after_rowid":9000,"reason":"buffer_limit_exceeded","terminal":true}}`+"\n")
	if ev := next(t, s); ev.Message.ID != 8999 {
		t.Errorf("first event = %+v; want message 8999", ev)
	}
	ev := next(t, s)
	var oe *rpc.OverflowError
	if ev.Kind != rpc.EventOverflow || ev.ResumeAfterRowID != 9000 || !errors.As(ev.Err, &oe) || oe.Reason != "buffer_limit_exceeded" {
		t.Errorf("event = %+v; want overflow resuming after 9000", ev)
	}
	if _, ok := <-s.Events(); ok {
		t.Error("events after the terminal overflow event")
	}
}

func TestClientEndClosesSubscriptions(t *testing.T) {
	c, p, _ := connect(t, rpc.Options{})
	s := subscribe(t, c, p)
	p.send(note(1, msgJSON(1)))
	p.out.Close()
	if ev := next(t, s); ev.Message.ID != 1 {
		t.Errorf("first event = %+v; want message 1 before the end", ev)
	}
	if ev := next(t, s); ev.Kind != rpc.EventClosed || !errors.Is(ev.Err, rpc.ErrClosed) {
		t.Errorf("last event = %v %v; want closed with %v", ev.Kind, ev.Err, rpc.ErrClosed)
	}
}

func TestUnsubscribe(t *testing.T) {
	c, p, _ := connect(t, rpc.Options{})
	s := subscribe(t, c, p)
	p.send(note(1, msgJSON(1)))
	done := make(chan error, 1)
	go func() { done <- s.Unsubscribe(ctx(t)) }()
	req := p.request()
	if want := `{"id":2,"jsonrpc":"2.0","method":"watch.unsubscribe","params":{"subscription":1}}` + "\n"; req.line != want {
		t.Errorf("request = %s; want %s", req.line, want)
	}
	p.send(`{"jsonrpc":"2.0","id":2,"result":{"ok":true}}` + "\n")
	if err := wait(t, done); err != nil {
		t.Fatal(err)
	}
	p.send(note(1, msgJSON(2))) // 0.9 may still send one
	if ev := next(t, s); ev.Message.ID != 1 {
		t.Errorf("first event = %+v; want message 1", ev)
	}
	if ev := next(t, s); ev.Kind != rpc.EventClosed || ev.Err != rpc.ErrUnsubscribed {
		t.Errorf("last event = %v %v; want closed, unsubscribed", ev.Kind, ev.Err)
	}
	if _, ok := <-s.Events(); ok {
		t.Error("events after unsubscribing")
	}
}

// A consumer that stops reading events and makes a call must still get its
// answer: the read loop pauses on a full queue only while no call waits.
func TestCallsDoNotWaitBehindUnreadEvents(t *testing.T) {
	c, p, _ := connect(t, rpc.Options{QueueLimit: 2})
	s := subscribe(t, c, p)
	const n = 50
	peerDone := make(chan struct{})
	go func() {
		defer close(peerDone)
		for i := 1; i <= n; i++ {
			p.send(note(1, msgJSON(i)))
		}
		req := p.request()
		p.send(`{"jsonrpc":"2.0","id":` + string(req.ID) + `,"result":{"chats":[]}}` + "\n")
	}()
	if _, err := c.ChatsList(ctx(t), 1); err != nil {
		t.Fatalf("ChatsList with unread events: %v", err)
	}
	wait(t, peerDone)
	for i := int64(1); i <= n; i++ {
		if ev := next(t, s); ev.Message.ID != i {
			t.Fatalf("event %d = %+v; want message %d, in order", i, ev, i)
		}
	}
}

func TestNotificationsBeforeTheSubscribeAnswerFromAProcess(t *testing.T) {
	script := "read watch.subscribe\n" +
		"notify message {\"subscription\":1,\"message\":" + msgJSON(1) + "}\n" +
		"notify message {\"subscription\":1,\"message\":" + msgJSON(2) + "}\n" +
		"reply 1 {\"subscription\":1}\n" +
		"notify message {\"subscription\":1,\"message\":" + msgJSON(3) + "}\n"
	c, _, _ := start(t, script, rpc.Options{})
	s, err := c.Subscribe(ctx(t), rpc.WatchParams{SinceRowID: new(int64(-1))})
	if err != nil {
		t.Fatal(err)
	}
	for want := int64(1); want <= 3; want++ {
		if ev := next(t, s); ev.Err != nil || ev.Message.ID != want {
			t.Fatalf("event = %+v; want message %d", ev, want)
		}
	}
	c.Close()
	if ev := next(t, s); ev.Kind != rpc.EventClosed {
		t.Errorf("last event = %+v; want closed", ev)
	}
}
