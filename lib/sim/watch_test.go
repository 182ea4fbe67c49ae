package sim

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/imsg-toolkit/imsg/lib/chatdb"
)

func TestWatchReplayAndUnsubscribe(t *testing.T) {
	t.Parallel()
	p := rpcProc(t, fixtureC(t, false))
	p.send(`{"jsonrpc":"2.0","id":1,"method":"watch.subscribe","params":{"chat_id":1,"since_rowid":-1}}`)
	res := p.next()
	sub, _ := get(res, "result", "subscription").(float64)
	if sub < 1 {
		t.Fatalf("subscribe = %v; want a subscription id", res)
	}
	n := p.next()
	if n["method"] != "message" || n["id"] != nil || get(n, "params", "subscription") != sub ||
		get(n, "params", "message", "id") != 5.0 || get(n, "params", "message", "text") != "hello" {
		t.Errorf("notification = %v", n)
	}
	p.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":2,"method":"watch.unsubscribe","params":{"subscription":%v}}`, sub))
	if got := p.next(); got["id"] != 2.0 || get(got, "result", "ok") != true {
		t.Errorf("unsubscribe = %v", got)
	}
	if rest, code := p.finish(); len(rest) != 0 || code != 0 {
		t.Errorf("after EOF %q exit %d; want exactly one notification, exit 0", rest, code)
	}
}

func TestWatchIncludeReactions(t *testing.T) {
	t.Parallel()
	p := rpcProc(t, fixtureC(t, true))
	p.send(`{"jsonrpc":"2.0","id":1,"method":"watch.subscribe","params":{"since_rowid":-1,"include_reactions":true,"attachments":false}}`)
	p.next()
	first, second := p.next(), p.next()
	reactions, _ := get(first, "params", "message", "reactions").([]any)
	if len(reactions) != 1 || get(reactions[0], "type") != "like" {
		t.Errorf("reactions = %v; want one like", reactions)
	}
	if a, ok := get(first, "params", "message", "attachments").([]any); !ok || len(a) != 0 {
		t.Errorf("attachments = %v; want []", a)
	}
	ev := get(second, "params", "message")
	if get(ev, "is_reaction") != true || get(ev, "reaction_type") != "like" || get(ev, "reacted_to_guid") != "msg-guid-5" ||
		get(ev, "is_reaction_add") != true {
		t.Errorf("reaction event = %v", ev)
	}

	q := rpcProc(t, fixtureC(t, true))
	q.send(`{"jsonrpc":"2.0","id":1,"method":"watch.subscribe","params":{"since_rowid":-1}}`)
	q.next()
	rest, _ := q.finish()
	if len(rest) != 1 || !strings.Contains(rest[0], `"reactions":[]`) {
		t.Errorf("without include_reactions: %q; want message 5 only, reactions []", rest)
	}
}

func TestWatchTailFollowsNewRows(t *testing.T) {
	t.Parallel()
	db := fixtureC(t, false)
	p := rpcProc(t, db)
	p.send(`{"jsonrpc":"2.0","id":1,"method":"watch.subscribe","params":{"since_rowid":0,"debounce_ms":0}}`,
		`{"jsonrpc":"2.0","id":2,"method":"watch.subscribe","params":{"since_rowid":"4","participants":"ME@icloud.com"}}`)
	p.next()
	p.next()
	write(t, db, func(tx *chatdb.Tx) {
		h, _ := tx.EnsureHandle("me@icloud.com", "iMessage")
		tx.InsertMessage(chatdb.NewMessage{ChatID: 1, HandleID: h, Text: "later", Date: fixed.Add(time.Minute)})
	})
	seen := map[float64]float64{}
	for range 2 {
		n := p.next()
		seen[get(n, "params", "subscription").(float64)] = get(n, "params", "message", "id").(float64)
	}
	if seen[1] != 6 || seen[2] != 6 || len(seen) != 2 {
		t.Errorf("notifications by subscription = %v; want the new row on both (not row 5 on the filtered one)", seen)
	}
	if rest, _ := p.finish(); len(rest) != 0 {
		t.Errorf("extra output %q", rest)
	}
}

func TestWatchDrainsReplayAtEOF(t *testing.T) {
	t.Parallel()
	db := newDB(t, func(tx *chatdb.Tx) {
		c, h, _ := tx.EnsureDM("+15550001111", "iMessage")
		for i := range 1000 {
			tx.InsertMessage(chatdb.NewMessage{ChatID: c.ID, HandleID: h, Text: fmt.Sprint(i), Date: fixed})
		}
	})
	p := run(t, t.TempDir(), nil, "rpc", "--db", db, "--poll", "1h")
	p.send(`{"jsonrpc":"2.0","id":1,"method":"watch.subscribe","params":{"since_rowid":-1}}`)
	rest, code := p.finish()
	if len(rest) != 1001 || code != 0 {
		t.Fatalf("got %d lines, exit %d; want the response and 1000 notifications, exit 0", len(rest), code)
	}
	if !strings.Contains(rest[0], `"result":{"subscription":1}`) || !strings.Contains(rest[1000], `"id":1000,`) {
		t.Errorf("first %q, last %q", rest[0], rest[1000])
	}
}

func TestWatchFilters(t *testing.T) {
	t.Parallel()
	db := newDB(t, func(tx *chatdb.Tx) {
		a, h, _ := tx.EnsureDM("+15550001111", "iMessage")
		b, h2, _ := tx.EnsureDM("+15550002222", "iMessage")
		url := "com.apple.messages.URLBalloonProvider"
		for _, m := range []chatdb.NewMessage{
			{ChatID: a.ID, HandleID: h, Text: "https://example.com", BalloonBundleID: url, Date: fixed},                        // 1 emitted
			{ChatID: a.ID, HandleID: h, Text: "https://example.com", BalloonBundleID: url, Date: fixed.Add(30 * time.Second)},  // 2 duplicate
			{ChatID: b.ID, HandleID: h2, Text: "https://example.com", BalloonBundleID: url, Date: fixed.Add(40 * time.Second)}, // 3 other chat
			{ChatID: a.ID, HandleID: h, Text: "https://example.com", BalloonBundleID: url, Date: fixed.Add(5 * time.Minute)},   // 4 emitted
			{ChatID: a.ID, HandleID: h, Text: "late", Date: fixed.Add(time.Hour)},                                              // 5
		} {
			tx.InsertMessage(m)
		}
	})
	ids := func(params string) []string {
		p := rpcProc(t, db)
		p.send(`{"jsonrpc":"2.0","id":1,"method":"watch.subscribe","params":` + params + `}`)
		p.next()
		rest, _ := p.finish()
		var out []string
		for _, l := range rest {
			i := strings.Index(l, `"message":{"id":`)
			out = append(out, strings.SplitN(l[i+16:], ",", 2)[0])
		}
		return out
	}
	tests := []struct {
		params string
		want   string
	}{
		{`{"since_rowid":-1}`, "1 3 4 5"},
		{`{"since_rowid":-1,"chat_id":1}`, "1 4 5"},
		{`{"since_rowid":2}`, "3 4 5"},
		{`{"since_rowid":-1,"start":"2026-05-16T09:01:00Z","end":"2026-05-16T10:00:00.000+00:00"}`, "4"},
		{`{"since_rowid":-1,"participants":["+15550002222"]}`, "3"},
	}
	for _, tt := range tests {
		if got := strings.Join(ids(tt.params), " "); got != tt.want {
			t.Errorf("watch %s = [%s]; want [%s]", tt.params, got, tt.want)
		}
	}
}

func TestEarlyNotify(t *testing.T) {
	t.Parallel()
	p := rpcProc(t, fixtureC(t, false), "--faults", "early-notify")
	p.send(`{"jsonrpc":"2.0","id":1,"method":"watch.subscribe","params":{"since_rowid":-1}}`)
	if first := p.next(); first["method"] != "message" {
		t.Errorf("first line = %v; want the replayed notification before the response", first)
	}
	if second := p.next(); second["id"] != 1.0 {
		t.Errorf("second line = %v; want the subscribe response", second)
	}
}

func TestCrashAfter(t *testing.T) {
	t.Parallel()
	db := newDB(t, func(tx *chatdb.Tx) {
		c, h, _ := tx.EnsureDM("+15550001111", "iMessage")
		for i := range 5 {
			tx.InsertMessage(chatdb.NewMessage{ChatID: c.ID, HandleID: h, Text: fmt.Sprint(i), Date: fixed})
		}
	})
	p := run(t, t.TempDir(), []string{"IMSG_SIM_FAULTS=crash-after=3"}, "rpc", "--db", db, "--poll", "5ms")
	p.send(`{"jsonrpc":"2.0","id":1,"method":"watch.subscribe","params":{"since_rowid":-1}}`)
	select {
	case <-p.done:
	case <-time.After(guard):
		t.Fatal("no crash (deadlock guard)")
	}
	rest, code := p.finish()
	if len(rest) != 4 || code != 137 {
		t.Errorf("got %d lines, exit %d; want the response and 3 notifications, exit 137", len(rest), code)
	}
}

func TestWatchErrorNotification(t *testing.T) {
	t.Parallel()
	db := fixtureC(t, false)
	p := rpcProc(t, db)
	p.send(`{"jsonrpc":"2.0","id":1,"method":"watch.subscribe","params":{}}`)
	p.next()
	// Break the table the poll reads, as a corrupted or replaced chat.db would.
	raw, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`ALTER TABLE message RENAME TO message_gone`); err != nil {
		t.Fatal(err)
	}
	n := p.next()
	msg, _ := get(n, "params", "error", "message").(string)
	if n["method"] != "error" || get(n, "params", "subscription") != 1.0 || !strings.Contains(msg, "no such table") {
		t.Errorf("notification = %v; want an error notification for subscription 1", n)
	}
	// The subscription is dead: unsubscribing it is still ok, and nothing follows.
	p.send(`{"jsonrpc":"2.0","id":2,"method":"watch.unsubscribe","params":{"subscription":1}}`)
	if got := p.next(); get(got, "result", "ok") != true {
		t.Errorf("unsubscribe = %v", got)
	}
	if rest, code := p.finish(); len(rest) != 0 || code != 0 {
		t.Errorf("after EOF %q exit %d", rest, code)
	}
}
