package sim

import (
	"strings"
	"testing"
	"time"
)

func TestSendWritesEchoedRow(t *testing.T) {
	t.Parallel()
	p := rpcProc(t, fixtureC(t, false))
	p.send(`{"jsonrpc":"2.0","id":1,"method":"send","params":{"chat_id":1,"text":"yo"}}`)
	res := p.next()
	id, _ := get(res, "result", "id").(float64)
	guid, _ := get(res, "result", "guid").(string)
	if get(res, "result", "ok") != true || get(res, "result", "transport") != "applescript" || id != 6 || len(guid) != 36 {
		t.Fatalf("send = %v; want ok, applescript, id 6 and a guid", res)
	}
	p.send(`{"jsonrpc":"2.0","id":2,"method":"watch.subscribe","params":{"since_rowid":5}}`)
	p.next()
	echo := get(p.next(), "params", "message")
	if get(echo, "id") != 6.0 || get(echo, "guid") != guid || get(echo, "is_from_me") != true || get(echo, "text") != "yo" ||
		get(echo, "chat_id") != 1.0 || get(echo, "sender") != "me@icloud.com" {
		t.Errorf("echo = %v; want the sent row, from me, in chat 1", echo)
	}
}

func TestSendToNewHandleCreatesChat(t *testing.T) {
	t.Parallel()
	p := rpcProc(t, fixtureC(t, false))
	p.send(`{"jsonrpc":"2.0","id":1,"method":"send","params":{"to":"(555) 987-6543","text":"hi","service":"sms"}}`,
		`{"jsonrpc":"2.0","id":2,"method":"chats.list","params":{}}`)
	if res := p.next(); get(res, "result", "id") != 6.0 {
		t.Fatalf("send = %v", res)
	}
	chats := get(p.next(), "result", "chats").([]any)
	c := chats[0]
	if get(c, "identifier") != "+15559876543" || get(c, "guid") != "SMS;-;+15559876543" || get(c, "is_group") != false || get(c, "service") != "SMS" {
		t.Errorf("new chat = %v; want the SMS direct chat with the E.164 handle", c)
	}
	p.send(`{"jsonrpc":"2.0","id":3,"method":"send","params":{"to":"Alice","text":"hi"}}`)
	if e := p.next(); !strings.HasPrefix(get(e, "error", "data").(string), "AppleScript failed: ") {
		t.Errorf("send to an unknown contact name = %v", e)
	}
}

func TestSendFaults(t *testing.T) {
	t.Parallel()
	t.Run("send-fail", func(t *testing.T) {
		p := rpcProc(t, fixtureC(t, false), "--faults", "send-fail=1")
		p.send(`{"jsonrpc":"2.0","id":1,"method":"send","params":{"chat_id":1,"text":"a"}}`,
			`{"jsonrpc":"2.0","id":2,"method":"send","params":{"chat_id":1,"text":"b"}}`)
		if e := p.next(); get(e, "error", "code") != -32603.0 || !strings.HasPrefix(get(e, "error", "data").(string), "AppleScript failed: ") {
			t.Errorf("first send = %v; want AppleScript failure", e)
		}
		if r := p.next(); get(r, "result", "id") != 6.0 {
			t.Errorf("second send = %v; want ok with row 6 (the failed send wrote nothing)", r)
		}
	})
	t.Run("ghost-row", func(t *testing.T) {
		p := rpcProc(t, fixtureC(t, false), "--faults", "ghost-row")
		p.send(`{"jsonrpc":"2.0","id":1,"method":"send","params":{"chat_guid":"iMessage;+;chat123","text":"a"}}`)
		e := p.next()
		want := "AppleScript failed: Messages accepted the chat send but wrote an unjoined empty outgoing row (6); delivery to the target chat was not confirmed"
		if get(e, "error", "code") != -32603.0 || get(e, "error", "data") != want {
			t.Errorf("ghost send = %v; want %q", e, want)
		}
	})
	t.Run("send-no-id", func(t *testing.T) {
		p := rpcProc(t, fixtureC(t, false), "--faults", "send-no-id")
		p.send(`{"jsonrpc":"2.0","id":1,"method":"send","params":{"chat_id":1,"text":"a"}}`,
			`{"jsonrpc":"2.0","id":2,"method":"messages.history","params":{"chat_id":1,"limit":1}}`)
		if r := p.next(); len(r["result"].(map[string]any)) != 1 || get(r, "result", "ok") != true {
			t.Errorf("send = %v; want {ok:true} only", r)
		}
		if h := p.next(); get(get(h, "result", "messages").([]any)[0], "text") != "a" {
			t.Errorf("history = %v; want the row written anyway", h)
		}
	})
	t.Run("send-delay keeps order", func(t *testing.T) {
		p := rpcProc(t, fixtureC(t, false), "--faults", "send-delay=100ms")
		start := time.Now()
		p.send(`{"jsonrpc":"2.0","id":1,"method":"send","params":{"chat_id":1,"text":"a"}}`,
			`{"jsonrpc":"2.0","id":2,"method":"status"}`)
		if first := p.next(); first["id"] != 1.0 {
			t.Errorf("first answer = %v; want the send (requests are answered in order)", first)
		}
		if time.Since(start) < 100*time.Millisecond {
			t.Errorf("send answered before its delay")
		}
		if second := p.next(); second["id"] != 2.0 {
			t.Errorf("second answer = %v", second)
		}
	})
	t.Run("send-hang", func(t *testing.T) {
		p := rpcProc(t, fixtureC(t, false), "--faults", "send-hang")
		p.send(`{"jsonrpc":"2.0","id":1,"method":"send","params":{"chat_id":1,"text":"a"}}`,
			`{"jsonrpc":"2.0","id":2,"method":"status"}`)
		select {
		case l := <-p.lines:
			t.Errorf("got %q; want no answer while the send hangs", l)
		case <-time.After(200 * time.Millisecond):
		}
		if rest, code := p.finish(); len(rest) != 0 || code != 0 {
			t.Errorf("after EOF %q exit %d; want nothing and 0", rest, code)
		}
	})
}
