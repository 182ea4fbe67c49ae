package sim

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTranscripts mirrors imsg's RPCServerTests: one request line, one
// answer, checked by code and data.
func TestTranscripts(t *testing.T) {
	t.Parallel()
	db := fixtureC(t, false)
	p := rpcProc(t, db)
	tests := []struct {
		req  string
		id   any // the echoed id
		code float64
		data string // error data; "" for success
	}{
		{`not-json`, nil, -32700, "invalid character 'o' in literal null (expecting 'u')"},
		{`[]`, nil, -32600, "request must be an object"},
		{`[{"jsonrpc":"2.0","id":1,"method":"chats.list"}]`, nil, -32600, "request must be an object"},
		{`{"jsonrpc":"1.0","id":3,"method":"chats.list"}`, 3.0, -32600, "jsonrpc must be 2.0"},
		{`{"jsonrpc":"2.0","id":4}`, 4.0, -32600, "method is required"},
		{`{"jsonrpc":"2.0","id":5,"method":""}`, 5.0, -32600, "method is required"},
		{`{"jsonrpc":"2.0","id":6,"method":"nope"}`, 6.0, -32601, "nope"},
		{`{"jsonrpc":"2.0","id":7,"method":"messages.history","params":{}}`, 7.0, -32602, "chat_id is required"},
		{`{"jsonrpc":"2.0","id":8,"method":"send","params":{"to":"+15551234567","text":"x","service":"fax"}}`, 8.0, -32602, "invalid service"},
		{`{"jsonrpc":"2.0","id":9,"method":"send","params":{"to":"+15551234567","text":"x","service":"iMessage"}}`, 9.0, -32602, "invalid service"},
		{`{"jsonrpc":"2.0","id":10,"method":"send","params":{"text":"x"}}`, 10.0, -32602, "to is required for direct sends"},
		{`{"jsonrpc":"2.0","id":11,"method":"send","params":{"to":"+15551234567","chat_id":1,"text":"x"}}`, 11.0, -32602, "use to or chat_*; not both"},
		{`{"jsonrpc":"2.0","id":12,"method":"send","params":{"to":"+15551234567"}}`, 12.0, -32602, "text or file is required"},
		{`{"jsonrpc":"2.0","id":13,"method":"send","params":{"chat_id":999,"text":"x"}}`, 13.0, -32602, "unknown chat_id 999"},
		{`{"jsonrpc":"2.0","id":14,"method":"send","params":{"to":"+1555","text":"x","transport":"pigeon"}}`, 14.0, -32602, "invalid transport"},
		{`{"jsonrpc":"2.0","id":15,"method":"send","params":{"to":"+1555","text":"x","transport":"BRIDGE"}}`, 15.0, -32602, "bridge transport requires an existing chat target"},
		{`{"jsonrpc":"2.0","id":16,"method":"watch.unsubscribe","params":{}}`, 16.0, -32602, "subscription is required"},
		{`{"jsonrpc":"2.0","id":17,"method":"watch.subscribe","params":{"debounce_ms":-1}}`, 17.0, -32602, "debounce_ms must be a non-negative integer"},
		{`{"jsonrpc":"2.0","id":18,"method":"watch.subscribe","params":{"debounceMs":"soon"}}`, 18.0, -32602, "debounce_ms must be a non-negative integer"},
		{`{"jsonrpc":"2.0","id":19,"method":"messages.history","params":{"chat_id":1,"start":"yesterday"}}`, 19.0, -32603, "Invalid ISO8601 date: yesterday"},
		{`{"jsonrpc":"2.0","id":20,"method":"tapback","params":{"chat_id":1}}`, 20.0, -32603, bridgeError},
		{`{"jsonrpc":"2.0","id":21,"method":"send","params":{"chat_id":1,"file":"/no/such/file.png"}}`, 21.0, -32603, "AppleScript failed: Attachment not found at /no/such/file.png"},
		{`{"id":"s","method":"watch.unsubscribe","params":{"subscription":"42"}}`, "s", 0, ""},
		{`{"jsonrpc":"2.0","method":"nope"}`, nil, -32601, "nope"},
		{"\xff\xfe", nil, -32700, "invalid utf8"},
	}
	for _, tt := range tests {
		p.send(tt.req)
		got := p.next()
		if got["jsonrpc"] != "2.0" || got["id"] != tt.id {
			t.Errorf("%s: answer %v; want jsonrpc 2.0 and id %v", tt.req, got, tt.id)
		}
		if tt.code == 0 {
			if get(got, "result", "ok") != true {
				t.Errorf("%s: answer %v; want ok", tt.req, got)
			}
			continue
		}
		if c, d, m := get(got, "error", "code"), get(got, "error", "data"), get(got, "error", "message"); c != tt.code || d != tt.data || m == "" {
			t.Errorf("%s: error %v %q %q; want %v %q", tt.req, c, m, d, tt.code, tt.data)
		}
	}
	if rest, code := p.finish(); len(rest) != 0 || code != 0 {
		t.Errorf("after EOF: %q, exit %d; want nothing, 0", rest, code)
	}
}

func TestChatsListAndHistory(t *testing.T) {
	t.Parallel()
	p := rpcProc(t, fixtureC(t, false))
	p.send(`{"jsonrpc":"2.0","id":"1","method":"chats.list","params":{"limit":10}}`)
	got := p.next()
	chats, _ := get(got, "result", "chats").([]any)
	if got["id"] != "1" || len(chats) != 1 {
		t.Fatalf("chats.list = %v", got)
	}
	c := chats[0].(map[string]any)
	if c["id"] != 1.0 || c["identifier"] != "iMessage;+;chat123" || c["is_group"] != true || c["name"] != "Group Chat" ||
		len(c["participants"].([]any)) != 2 || c["contact_name"] != nil {
		t.Errorf("chat = %v", c)
	}
	// Lenient params: a numeric string is an int; non-object params are {}.
	p.send(`{"jsonrpc":"2.0","id":2,"method":"messages.history","params":{"chat_id":"1","limit":5}}`,
		`{"jsonrpc":"2.0","id":3,"method":"chats.list","params":[1,2]}`)
	h := p.next()
	msgs, _ := get(h, "result", "messages").([]any)
	if len(msgs) != 1 {
		t.Fatalf("history = %v", h)
	}
	m := msgs[0].(map[string]any)
	if m["chat_id"] != 1.0 || m["chat_identifier"] != "iMessage;+;chat123" || m["is_group"] != true || m["guid"] != "msg-guid-5" {
		t.Errorf("history message = %v", m)
	}
	if l := p.next(); l["id"] != 3.0 || len(get(l, "result", "chats").([]any)) != 1 {
		t.Errorf("chats.list with array params = %v", l)
	}
}

func TestIDRules(t *testing.T) {
	t.Parallel()
	p := rpcProc(t, fixtureC(t, false))
	p.send(
		`{"jsonrpc":"2.0","method":"chats.list"}`,           // no id, success: no answer
		`{"method":"messages.history"}`,                     // no id, error: answered with null
		`{"jsonrpc":"2.0","id":null,"method":"chats.list"}`, // explicit null: answered
		"",
		`   {"jsonrpc":"2.0","id":-7.5,"method":"status"}   `,
		`{"jsonrpc":"2.0","id":{"a":1},"method":"initialize","params":{"protocol_version":1}}`,
	)
	want := []string{
		`{"code":-32602,"data":"chat_id is required","message":"Invalid params"}`,
		`result`, `result`, `result`,
	}
	wantIDs := []string{`null`, `null`, `-7.5`, `{"a":1}`}
	for i := range want {
		got := p.next()
		id, _ := json.Marshal(got["id"])
		if string(id) != wantIDs[i] {
			t.Errorf("answer %d id = %s; want %s", i, id, wantIDs[i])
		}
		if want[i] == "result" {
			if got["result"] == nil {
				t.Errorf("answer %d = %v; want a result", i, got)
			}
			continue
		}
		if e, _ := json.Marshal(got["error"]); string(e) != want[i] {
			t.Errorf("answer %d error = %s; want %s", i, e, want[i])
		}
	}
	if rest, _ := p.finish(); len(rest) != 0 {
		t.Errorf("extra output %q", rest)
	}
}

func TestStatus(t *testing.T) {
	t.Parallel()
	db := fixtureC(t, false)
	p := rpcProc(t, db)
	p.send(`{"jsonrpc":"2.0","id":1,"method":"status"}`, `{"jsonrpc":"2.0","id":2,"method":"initialize","params":{"protocol_version":2}}`)
	st := p.next()
	if get(st, "result", "protocol_version") != 1.0 || get(st, "result", "database", "ready") != true ||
		get(st, "result", "database", "path") != db || get(st, "result", "bridge", "ready") != false {
		t.Errorf("status = %v", st)
	}
	if e := p.next(); get(e, "error", "code") != -32602.0 {
		t.Errorf("initialize with protocol_version 2 = %v; want -32602", e)
	}
}

func TestStartupFailure(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"missing db", []string{"rpc", "--db", filepath.Join(dir, "none.db")}},
		{"fda fault", []string{"rpc", "--db", newDB(t, nil), "--faults", "fda"}},
	} {
		p := run(t, dir, nil, tt.args...)
		p.send(`{"jsonrpc":"2.0","id":"startup","method":"chats.list","params":{}}`, `{"jsonrpc":"2.0","id":2,"method":"status"}`)
		for _, id := range []any{"startup", 2.0} {
			got := p.next()
			data, _ := get(got, "error", "data").(string)
			if got["id"] != id || get(got, "error", "code") != -32603.0 || get(got, "error", "message") != "Internal error" ||
				!strings.Contains(data, "Permission Error") || !strings.Contains(data, "Full Disk Access") {
				t.Errorf("%s: answer %v; want -32603 with the permission banner", tt.name, got)
			}
		}
		if _, code := p.finish(); code != 1 {
			t.Errorf("%s: exit %d; want 1", tt.name, code)
		}
	}
}

func TestBannerAndNoRPCFaults(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := newDB(t, nil)
	for _, tt := range []struct{ fault, first string }{
		{"fda-banner", "⚠️ Permission Error: Cannot access Messages database"},
		{"no-rpc", "Unknown command"},
	} {
		p := run(t, dir, []string{"IMSG_SIM_FAULTS=" + tt.fault}, "rpc", "--db", db)
		rest, code := p.finish()
		if len(rest) < 3 || rest[0] != tt.first || code != 1 {
			t.Errorf("%s: stdout %q, exit %d; want %q… and 1", tt.fault, rest, code, tt.first)
		}
	}
}

func TestBadFaultsIsUsageError(t *testing.T) {
	t.Parallel()
	p := run(t, t.TempDir(), nil, "rpc", "--db", "x.db", "--faults", "explode")
	if rest, code := p.finish(); len(rest) != 0 || code != 2 || !strings.Contains(p.stderr.String(), `bad fault "explode"`) {
		t.Errorf("stdout %q, exit %d, stderr %q; want usage error", rest, code, p.stderr.String())
	}
}

func TestParseFaults(t *testing.T) {
	t.Parallel()
	f, err := ParseFaults("crash-after=3, send-delay=20ms,send-fail=always,send-hang,ghost-row,early-notify,send-no-id")
	if err != nil {
		t.Fatal(err)
	}
	if f.CrashAfter != 3 || f.SendDelay.Milliseconds() != 20 || f.SendFail != -1 || !f.SendHang || !f.GhostRow || !f.EarlyNotify || !f.SendNoID {
		t.Errorf("ParseFaults = %+v", f)
	}
	if f, _ := ParseFaults("send-fail=2"); f.SendFail != 2 {
		t.Errorf("send-fail=2 = %d", f.SendFail)
	}
	for _, bad := range []string{"crash-after=0", "send-delay=soon", "fda=1", "nope"} {
		if _, err := ParseFaults(bad); err == nil {
			t.Errorf("ParseFaults(%q) = nil error", bad)
		}
	}
}

func TestLongLineIsParseErrorAndReadingGoesOn(t *testing.T) {
	t.Parallel()
	p := rpcProc(t, fixtureC(t, false))
	p.send(`{"jsonrpc":"2.0","id":1,"method":"send","params":{"to":"+15551234567","text":"` + strings.Repeat("x", 300_000) + `"}}`)
	if got := p.next(); get(got, "result", "ok") != true {
		t.Errorf("a 300 KB request = %v; want ok", got)
	}
	p.send("{\"jsonrpc\":\"2.0\",", `"id":2,"method":"status"}`, `{"jsonrpc":"2.0","id":3,"method":"status"}`)
	for i, want := range []float64{-32700, -32700} {
		if got := p.next(); get(got, "error", "code") != want {
			t.Errorf("fragment %d = %v; want a parse error", i, got)
		}
	}
	if got := p.next(); got["id"] != 3.0 {
		t.Errorf("after the fragments = %v; want the answer to id 3", got)
	}
}

func TestAttachmentSendCopiesFile(t *testing.T) {
	t.Parallel()
	db := fixtureC(t, false)
	file := filepath.Join(filepath.Dir(db), "pic.png")
	os.WriteFile(file, []byte("png!"), 0o644)
	p := rpcProc(t, db)
	p.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"send","params":{"chat_id":1,"file":%q}}`, file),
		`{"jsonrpc":"2.0","id":2,"method":"messages.history","params":{"chat_id":1,"limit":1,"attachments":true}}`)
	if got, _ := json.Marshal(p.next()["result"]); string(got) != `{"ok":true,"transport":"applescript"}` {
		t.Errorf("file-only send = %s; want ok without id or guid", got)
	}
	h := p.next()
	m, _ := get(h, "result", "messages").([]any)
	if len(m) != 1 {
		t.Fatalf("history = %v", h)
	}
	at, _ := get(m[0], "attachments").([]any)
	if len(at) != 1 || get(at[0], "missing") != false || get(at[0], "transfer_name") != "pic.png" ||
		get(at[0], "mime_type") != "image/png" || get(m[0], "is_from_me") != true || get(m[0], "text") != "\uFFFC" {
		t.Errorf("sent attachment row = %v", m[0])
	}
}

func TestUnescapeHTML(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"t":"a \u003cb\u003e \u0026 c"}`, `{"t":"a <b> & c"}`},
		{`{"t":"literal \\u003c kept"}`, `{"t":"literal \\u003c kept"}`},
		{`{"t":"\\\u0026"}`, `{"t":"\\&"}`},
		{`{"t":"\u2028 \u0027"}`, `{"t":"\u2028 \u0027"}`},
		{`{"t":"plain"}`, `{"t":"plain"}`},
	}
	for _, tt := range tests {
		if got := string(unescapeHTML([]byte(tt.in))); got != tt.want {
			t.Errorf("unescapeHTML(%s) = %s; want %s", tt.in, got, tt.want)
		}
		var a, b any
		if json.Unmarshal([]byte(tt.in), &a) != nil || json.Unmarshal([]byte(tt.want), &b) != nil || fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("unescapeHTML(%s) changed the value", tt.in)
		}
	}
}
