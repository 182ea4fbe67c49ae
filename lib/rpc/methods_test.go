package rpc_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/imsg-toolkit/imsg/lib/imsg"
	"github.com/imsg-toolkit/imsg/lib/rpc"
)

// The exact bytes on imsg's stdin: newer imsg rejects unknown keys and
// loose types, so only documented keys go out, typed, unset ones left out.
func TestRequestShapes(t *testing.T) {
	start := time.Date(2026, 5, 1, 2, 0, 0, 250e6, time.FixedZone("x", 2*3600))
	tests := []struct {
		name string
		do   func(c *rpc.Client) error
		want string
	}{
		{"chats.list default", func(c *rpc.Client) error { _, err := c.ChatsList(context.Background(), 0); return err },
			`{"id":1,"jsonrpc":"2.0","method":"chats.list","params":{}}`},
		{"chats.list limit", func(c *rpc.Client) error { _, err := c.ChatsList(context.Background(), 3); return err },
			`{"id":1,"jsonrpc":"2.0","method":"chats.list","params":{"limit":3}}`},
		{"history", func(c *rpc.Client) error {
			_, err := c.History(context.Background(), rpc.HistoryParams{ChatID: 7, Limit: 5, Start: start, Attachments: true})
			return err
		}, `{"id":1,"jsonrpc":"2.0","method":"messages.history","params":{"chat_id":7,"limit":5,"start":"2026-05-01T00:00:00.250Z","attachments":true}}`},
		{"watch tail", func(c *rpc.Client) error { _, err := c.Subscribe(context.Background(), rpc.WatchParams{}); return err },
			`{"id":1,"jsonrpc":"2.0","method":"watch.subscribe","params":{}}`},
		{"watch since 0", func(c *rpc.Client) error {
			_, err := c.Subscribe(context.Background(), rpc.WatchParams{SinceRowID: new(int64(0))})
			return err
		}, `{"id":1,"jsonrpc":"2.0","method":"watch.subscribe","params":{"since_rowid":0}}`},
		{"watch full", func(c *rpc.Client) error {
			_, err := c.Subscribe(context.Background(), rpc.WatchParams{ChatID: 7, SinceRowID: new(int64(-1)),
				Participants: []string{"+15550001111"}, Attachments: true, IncludeReactions: true, DebounceMS: new(0)})
			return err
		}, `{"id":1,"jsonrpc":"2.0","method":"watch.subscribe","params":{"chat_id":7,"since_rowid":-1,"participants":["+15550001111"],"attachments":true,"include_reactions":true,"debounce_ms":0}}`},
		{"send", func(c *rpc.Client) error {
			_, err := c.Send(context.Background(), rpc.SendParams{ChatID: 7, Text: "hi\n\u2028"})
			return err
		}, `{"id":1,"jsonrpc":"2.0","method":"send","params":{"chat_id":7,"text":"hi\n\u2028"}}`},
		{"status", func(c *rpc.Client) error { _, err := c.Status(context.Background()); return err },
			`{"id":1,"jsonrpc":"2.0","method":"status","params":{}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, p, _ := connect(t, rpc.Options{})
			done := make(chan error, 1)
			go func() { done <- tt.do(c) }()
			req := p.request()
			if req.line != tt.want+"\n" {
				t.Errorf("request = %s\nwant      %s", req.line, tt.want)
			}
			p.send(`{"jsonrpc":"2.0","id":1,"result":{"subscription":1,"ok":true}}` + "\n")
			if err := wait(t, done); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestTypedResults(t *testing.T) {
	c, p, _ := connect(t, rpc.Options{})
	cx := ctx(t)
	sent := make(chan imsg.SendResult, 1)
	go func() {
		r, err := c.Send(cx, rpc.SendParams{To: "+15550001111", Text: "x"})
		if err != nil {
			t.Error(err)
		}
		sent <- r
	}()
	p.request()
	p.send(`{"jsonrpc":"2.0","id":1,"result":{"ok":true,"transport":"applescript","id":4251,"guid":"G-1","chat_guid":"new"}}` + "\n")
	if r := wait(t, sent); !r.OK || r.ID != 4251 || r.GUID != "G-1" || r.Transport != "applescript" {
		t.Errorf("Send = %+v", r)
	}

	history := make(chan []imsg.Message, 1)
	go func() {
		r, err := c.History(cx, rpc.HistoryParams{ChatID: 7})
		if err != nil {
			t.Error(err)
		}
		history <- r
	}()
	p.request()
	p.send(`{"jsonrpc":"2.0","id":2,"result":{"messages":[` + msgJSON(2) + `,` + msgJSON(1) + `]}}` + "\n")
	if r := wait(t, history); len(r) != 2 || r[0].ID != 2 || r[1].Text != "m1" {
		t.Errorf("History = %+v", r)
	}

	status := make(chan rpc.Status, 1)
	go func() {
		r, err := c.Status(cx)
		if err != nil {
			t.Error(err)
		}
		status <- r
	}()
	p.request()
	p.send(`{"jsonrpc":"2.0","id":3,"result":{"version":"0.15.10","protocol_version":1,"database":{"path":"/x","ready":true,"features":{}},"methods":["send"],"bridge":{"ready":false}}}` + "\n")
	if r := wait(t, status); r.Version != "0.15.10" || !r.Database.Ready || len(r.Methods) != 1 {
		t.Errorf("Status = %+v", r)
	}
}

func TestCancelledContext(t *testing.T) {
	c, p, _ := connect(t, rpc.Options{})
	cx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Call(cx, "chats.list", nil, nil) }()
	p.request()
	cancel()
	err := wait(t, done)
	if !errors.Is(err, context.Canceled) || errors.Is(err, rpc.ErrTimeout) {
		t.Errorf("Call = %v; want context.Canceled, not a timeout", err)
	}
	// The caller's own deadline is a timeout too: the outcome is unknown.
	cx, cancel = context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	go func() { done <- c.Call(cx, "send", nil, nil) }()
	p.request()
	if err := wait(t, done); !errors.Is(err, rpc.ErrTimeout) {
		t.Errorf("Call = %v; want %v", err, rpc.ErrTimeout)
	}
}

func TestLateSubscribeAnswerIsUnsubscribed(t *testing.T) {
	c, p, rec := connect(t, rpc.Options{CallTimeout: 50 * time.Millisecond})
	_, err := c.Subscribe(ctx(t), rpc.WatchParams{})
	if !errors.Is(err, rpc.ErrTimeout) {
		t.Fatalf("Subscribe = %v; want a timeout", err)
	}
	p.request()
	p.send(`{"jsonrpc":"2.0","id":1,"result":{"subscription":3}}` + "\n")
	req := p.request()
	var params struct{ Subscription int64 }
	if req.Method != "watch.unsubscribe" || json.Unmarshal(req.Params, &params) != nil || params.Subscription != 3 {
		t.Errorf("request = %s; want watch.unsubscribe of 3", req.line)
	}
	p.send(`{"jsonrpc":"2.0","id":2,"result":{"ok":true}}` + "\n")
	p.send(note(3, msgJSON(1))) // for the orphan: dropped silently
	p.out.Close()
	waitDone(t, c)
	if rec.count("answered after its timeout") != 1 || rec.count("unknown subscription") != 0 {
		t.Errorf("log = %q", rec.all())
	}
}
