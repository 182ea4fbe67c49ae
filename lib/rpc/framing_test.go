package rpc_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/imsg-toolkit/imsg/lib/imsg"
	"github.com/imsg-toolkit/imsg/lib/rpc"
)

// splitAt cuts s at the given byte offsets.
func splitAt(s string, offs ...int) []string {
	var out []string
	prev := 0
	for _, o := range offs {
		out = append(out, s[prev:o])
		prev = o
	}
	return append(out, s[prev:])
}

func TestFramesSplitAcrossReads(t *testing.T) {
	// Raw U+2028 and U+2029 inside the string, a 4-byte emoji, CJK.
	const text = "a😀b\u2028c\u2029d日本"
	frame := func(id string) string {
		return `{"jsonrpc":"2.0","id":` + id + `,"result":{"text":"` + text + `"}}` + "\n"
	}
	emoji := strings.Index(frame("1"), "😀")
	ls := strings.Index(frame("1"), "\u2028")
	tests := []struct {
		name string
		cuts func(n int) []int // offsets, given the frame length
	}{
		{"whole", func(int) []int { return nil }},
		{"emoji in 2 reads", func(int) []int { return []int{emoji + 1} }},
		{"emoji in 4 reads", func(int) []int { return []int{emoji + 1, emoji + 2, emoji + 3} }},
		{"U+2028 in 3 reads", func(int) []int { return []int{ls + 1, ls + 2} }},
		{"newline alone", func(n int) []int { return []int{n - 1} }},
		{"byte by byte", func(n int) []int {
			var o []int
			for i := 1; i < n; i++ {
				o = append(o, i)
			}
			return o
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, p, rec := connect(t, rpc.Options{})
			res := call(c, ctx(t), "chats.list", nil)
			req := p.request()
			f := frame(string(req.ID))
			p.send(splitAt(f, tt.cuts(len(f))...)...)
			r := wait(t, res)
			if r.err != nil {
				t.Fatalf("Call: %v", r.err)
			}
			var got struct{ Text string }
			if err := json.Unmarshal(r.result, &got); err != nil {
				t.Fatal(err)
			}
			if got.Text != text {
				t.Errorf("text = %q; want %q", got.Text, text)
			}
			if e := rec.all(); len(e) != 0 {
				t.Errorf("log = %q; want nothing", e)
			}
		})
	}
}

func TestSeveralFramesInOneReadWithBlankLines(t *testing.T) {
	var notes []string
	c, p, rec := connect(t, rpc.Options{OnNotify: func(m string, _ json.RawMessage) { notes = append(notes, m) }})
	cx := ctx(t)
	r1 := call(c, cx, "chats.list", nil)
	q1 := p.request()
	r2 := call(c, cx, "chats.list", nil)
	q2 := p.request()
	p.send("\n \t\r\n" +
		`{"jsonrpc":"2.0","id":` + string(q2.ID) + `,"result":{"n":2}}` + "\r\n\n" +
		`{"jsonrpc":"2.0","method":"ping","params":{}}` + "\n" +
		`{"jsonrpc":"2.0","id":` + string(q1.ID) + `,"result":{"n":1}}` + "\n")
	for i, ch := range []<-chan callResult{r1, r2} {
		r := wait(t, ch)
		if want := fmt.Sprintf(`{"n":%d}`, i+1); r.err != nil || string(r.result) != want {
			t.Errorf("call %d = %s, %v; want %s", i+1, r.result, r.err, want)
		}
	}
	p.out.Close()
	waitDone(t, c)
	if len(notes) != 1 || notes[0] != "ping" {
		t.Errorf("notifications = %q; want [ping]", notes)
	}
	if e := rec.all(); len(e) != 0 {
		t.Errorf("log = %q; want nothing", e)
	}
}

func TestAnswersInAnyOrder(t *testing.T) {
	c, p, _ := connect(t, rpc.Options{})
	cx := ctx(t)
	var chs []<-chan callResult
	var reqs []request
	for range 3 {
		chs = append(chs, call(c, cx, "messages.history", nil))
		reqs = append(reqs, p.request())
	}
	for _, i := range []int{2, 0, 1} {
		p.send(`{"id":` + string(reqs[i].ID) + `,"result":{"for":` + string(reqs[i].ID) + `},"jsonrpc":"2.0","extra":{"x":1}}` + "\n")
	}
	for i, ch := range chs {
		r := wait(t, ch)
		if want := `{"for":` + string(reqs[i].ID) + `}`; r.err != nil || string(r.result) != want {
			t.Errorf("call %d = %s, %v; want %s", i, r.result, r.err, want)
		}
	}
	for i, q := range reqs {
		if want := fmt.Sprint(i + 1); string(q.ID) != want {
			t.Errorf("request %d id = %s; want %s (numeric, from 1)", i, q.ID, want)
		}
	}
}

func TestErrorData(t *testing.T) {
	tests := []struct {
		data     string // raw JSON, "" for absent
		wantData string
	}{
		{`"chat_id is required"`, "chat_id is required"},
		{`{"path": "/x/chat.db", "retryable": true}`, `{"path":"/x/chat.db","retryable":true}`},
		{"", ""},
	}
	for _, tt := range tests {
		c, p, _ := connect(t, rpc.Options{})
		res := call(c, ctx(t), "messages.history", nil)
		req := p.request()
		data := ""
		if tt.data != "" {
			data = `,"data":` + tt.data
		}
		p.send(`{"jsonrpc":"2.0","id":` + string(req.ID) + `,"error":{"code":-32602,"message":"Invalid params"` + data + `,"more":1}}` + "\n")
		r := wait(t, res)
		var e *rpc.Error
		if !errors.As(r.err, &e) {
			t.Fatalf("data %s: error %v is not *rpc.Error", tt.data, r.err)
		}
		if e.Code != imsg.CodeInvalidParams || e.Message != "Invalid params" || e.Method != "messages.history" {
			t.Errorf("data %s: error = %+v", tt.data, e)
		}
		if got := e.DataString(); got != tt.wantData {
			t.Errorf("DataString() = %q; want %q", got, tt.wantData)
		}
		if !strings.Contains(r.err.Error(), "Invalid params") {
			t.Errorf("Error() = %q; want the server's message in it", r.err)
		}
	}
}

func TestNoiseIsGroupedAndFlushedBeforeTheNextFrame(t *testing.T) {
	rec := &recorder{}
	c, p, _ := connect(t, rpc.Options{Log: rec.add, OnNotify: func(m string, _ json.RawMessage) { rec.add("notify " + m) }})
	p.send("hello\n", "{not json\n", "   \n", "[1,2]\n")
	p.send(`{"jsonrpc":"2.0","method":"first","params":{}}` + "\n")
	p.send("tail noise\n")
	p.out.Close()
	waitDone(t, c)
	got := rec.all()
	want := []string{
		"imsg rpc: unexpected output on stdout (3 lines):\n  hello\n  {not json\n  [1,2]",
		"notify first",
		"imsg rpc: unexpected output on stdout: tail noise",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("log = %q; want %q", got, want)
	}
	if err := c.Err(); !errors.Is(err, rpc.ErrClosed) {
		t.Errorf("Err() = %v; want %v", err, rpc.ErrClosed)
	}
}

func TestNoiseBufferKeepsItsCap(t *testing.T) {
	c, p, rec := connect(t, rpc.Options{})
	for i := range 100 {
		p.send(fmt.Sprintf("noise %d\n", i))
	}
	p.out.Close()
	waitDone(t, c)
	e := rec.all()
	if len(e) != 1 {
		t.Fatalf("log has %d entries; want 1", len(e))
	}
	lines := strings.Split(e[0], "\n")
	if len(lines) != 1+64+1 || !strings.Contains(lines[0], "(100 lines)") || lines[65] != "  … 36 more lines" {
		t.Errorf("grouped entry has %d lines: first %q last %q", len(lines), lines[0], lines[len(lines)-1])
	}
}

func TestPermissionBannerOnStdout(t *testing.T) {
	var broken []error
	notified := make(chan struct{}, 1)
	rec := &recorder{}
	c, p, _ := connect(t, rpc.Options{
		Log:      rec.add,
		OnBroken: func(err error) { broken = append(broken, err) },
		OnNotify: func(string, json.RawMessage) { notified <- struct{}{} },
	})
	p.send("starting\n", `{"jsonrpc":"2.0","method":"x","params":{}}`+"\n")
	wait(t, notified)
	if err := c.Err(); err != nil {
		t.Fatalf("Err() before the banner = %v; want nil", err)
	}
	banner := fmt.Sprintf(imsg.PermissionBanner, "/Users/me/Library/Messages/chat.db")
	p.send(banner + "\n")
	p.send("permissionDenied(path: \"/Users/me/Library/Messages/chat.db\", underlying: authorization denied (code: 23))\n")
	p.out.Close()
	waitDone(t, c)

	if len(broken) != 1 {
		t.Fatalf("OnBroken called %d times; want 1", len(broken))
	}
	if !errors.Is(broken[0], rpc.ErrPermissionDenied) || !errors.Is(c.Err(), rpc.ErrPermissionDenied) {
		t.Errorf("errors = %v, %v; want %v", broken[0], c.Err(), rpc.ErrPermissionDenied)
	}
	var pe *rpc.PermissionError
	if errors.As(c.Err(), &pe) && !strings.Contains(pe.Detail, "Permission Error") {
		t.Errorf("Detail = %q; want the first banner line", pe.Detail)
	}
	if n := rec.count("Permission Error"); n != 1 {
		t.Errorf("%d log entries show the banner; want exactly 1: %q", n, rec.all())
	}
	if n := rec.count("unexpected output"); n != 2 { // "starting", then the banner
		t.Errorf("%d grouped entries; want 2: %q", n, rec.all())
	}
	last := rec.all()[len(rec.all())-1]
	for _, want := range []string{"Full Disk Access permission", "To fix:", "4. Try again", "authorization denied"} {
		if !strings.Contains(last, want) {
			t.Errorf("grouped banner entry lacks %q:\n%s", want, last)
		}
	}
	if err := c.Call(ctx(t), "chats.list", nil, nil); !errors.Is(err, rpc.ErrPermissionDenied) {
		t.Errorf("Call on a broken client = %v; want %v", err, rpc.ErrPermissionDenied)
	}
}

func TestPeerErrorsForNoRequest(t *testing.T) {
	c, p, rec := connect(t, rpc.Options{})
	res := call(c, ctx(t), "chats.list", nil)
	req := p.request()
	p.send(`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error","data":"bad line"}}` + "\n")
	p.send(`{"jsonrpc":"2.0","id":999,"result":{}}` + "\n")
	p.send(`{"jsonrpc":"2.0","id":` + string(req.ID) + `,"result":{"ok":true}}` + "\n")
	if r := wait(t, res); r.err != nil || string(r.result) != `{"ok":true}` {
		t.Fatalf("Call = %s, %v", r.result, r.err)
	}
	if rec.count("error for no request: Parse error (code -32700): bad line") != 1 || rec.count("#999") != 1 {
		t.Errorf("log = %q; want the id-null error and the unknown id reported", rec.all())
	}
}

func TestInvalidUTF8(t *testing.T) {
	c, p, rec := connect(t, rpc.Options{})
	res := call(c, ctx(t), "chats.list", nil)
	req := p.request()
	p.send("\xfe\xff garbage\n")
	p.send(`{"jsonrpc":"2.0","id":` + string(req.ID) + `,"result":{"t":"a` + "\xff" + `b"}}` + "\n")
	r := wait(t, res)
	if r.err != nil || string(r.result) != `{"t":"a`+"\uFFFD"+`b"}` {
		t.Errorf("Call = %q, %v; want the bad byte replaced", r.result, r.err)
	}
	if n := rec.count("not valid UTF-8"); n != 2 {
		t.Errorf("log = %q; want 2 invalid UTF-8 reports", rec.all())
	}
}

func TestLineOverTheCapIsSkipped(t *testing.T) {
	c, p, rec := connect(t, rpc.Options{MaxLineBytes: 1 << 20})
	res := call(c, ctx(t), "chats.list", nil)
	req := p.request()
	big := strings.Repeat("x", 256<<10)
	for range 8 { // 2 MiB without a newline, in several reads
		p.send(big)
	}
	p.send("\n", `{"jsonrpc":"2.0","id":`+string(req.ID)+`,"result":{}}`+"\n")
	if r := wait(t, res); r.err != nil {
		t.Fatalf("Call after a huge line: %v", r.err)
	}
	if rec.count("skipped stdout line 1: 2097153 bytes is over the 1048576-byte limit") != 1 {
		t.Errorf("log = %q; want the skipped line reported", rec.all())
	}
}
