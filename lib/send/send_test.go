package send_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/imsg-toolkit/imsg/lib/imsg"
	"github.com/imsg-toolkit/imsg/lib/send"
	"github.com/imsg-toolkit/imsg/lib/state"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

func TestTargetForms(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	in := reply("chat_id:2", "by id", "k1") +
		reply("chat_guid:"+h.groupGUID, "by guid", "k2") +
		reply("ChatIdentifier:"+h.groupGUID, "by identifier", "k3") +
		reply("+1 (555) 123-4567", "by phone", "k4") +
		reply("sms:+15559990000", "by sms", "k5") +
		reply("Friend@Example.com", "by email", "k6") +
		reply("imessage:chat_id:1", "service prefix on a chat", "k7")
	r := h.run(in, "")
	if r.err != nil {
		t.Fatalf("Run = %v", r.err)
	}
	for _, k := range []string{"k1", "k2", "k3", "k4", "k5", "k6", "k7"} {
		rc := r.byKey(k)
		if !rc.OK || rc.GUID == "" || rc.RowID == 0 || rc.Attempts != 1 || rc.Duplicate {
			t.Errorf("receipt %s = %+v; want ok with guid, rowid, 1 attempt", k, rc)
		}
	}
	if got, want := h.sent(2), []string{"by id", "by guid", "by identifier"}; !slices.Equal(got, want) {
		t.Errorf("group rows = %q; want %q", got, want)
	}
	if got, want := h.sent(1), []string{"by phone", "service prefix on a chat"}; !slices.Equal(got, want) {
		t.Errorf("DM rows = %q; want %q", got, want)
	}
	// New direct chats: the SMS one for the sms: prefix, an iMessage one
	// for the (lowercased) email.
	sms := h.history(3)
	if len(sms) != 1 || sms[0].Text != "by sms" || sms[0].ChatGUID != "SMS;-;+15559990000" {
		t.Errorf("chat 3 = %+v; want the SMS chat with one row", sms)
	}
	mail := h.history(4)
	if len(mail) != 1 || mail[0].Text != "by email" || mail[0].ChatGUID != "iMessage;-;friend@example.com" {
		t.Errorf("chat 4 = %+v; want the iMessage chat of friend@example.com", mail)
	}
}

// The account's service applies to handles without a prefix; a prefix
// wins over it.
func TestServiceFromConfig(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	in := reply("+15557654321", "config says sms", "k1") + reply("imessage:+15558889999", "prefix says imessage", "k2")
	r := h.run(in, "", func(o *send.Options) { o.Service = "sms" })
	if r.err != nil {
		t.Fatal(r.err)
	}
	if c := h.history(3); len(c) != 1 || c[0].ChatGUID != "SMS;-;+15557654321" {
		t.Errorf("chat 3 = %+v; want an SMS chat", c)
	}
	if c := h.history(4); len(c) != 1 || c[0].ChatGUID != "iMessage;-;+15558889999" {
		t.Errorf("chat 4 = %+v; want an iMessage chat", c)
	}
}

func TestFilesAndSizeCap(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	small := filepath.Join(h.dir, "small.png")
	big := filepath.Join(h.dir, "big.bin")
	os.WriteFile(small, []byte("png"), 0o600)
	os.WriteFile(big, make([]byte, 2<<20+1), 0o600)
	rel, _ := filepath.Rel(mustWd(t), small)

	in := reply("chat_id:2", "caption", "k", "files", []string{rel, big, filepath.Join(h.dir, "missing.jpg"), h.dir}) +
		reply("chat_id:1", "", "only-file", "files", []string{small})
	r := h.run(in, "", func(o *send.Options) { o.MaxBytes = 2 << 20 })
	if r.err != nil {
		t.Fatal(r.err)
	}
	want := []struct {
		key, err string
		ok       bool
	}{
		{"k", "", true},
		{"k/file1", "", true},
		{"k/file2", "attachment too large: " + big + " is 2097153 bytes (2.0 MB), over the 2 MB limit (mediaMaxMb)", false},
		{"k/file3", "attachment not found: " + filepath.Join(h.dir, "missing.jpg"), false},
		{"k/file4", "attachment is a directory: " + h.dir, false},
		{"only-file/file1", "", true},
	}
	if len(r.receipts) != len(want) {
		t.Fatalf("receipts = %+v; want %d", r.receipts, len(want))
	}
	for i, w := range want {
		rc := r.receipts[i]
		if rc.Key != w.key || rc.OK != w.ok || rc.Error != w.err {
			t.Errorf("receipt %d = %+v; want key %s ok %v error %q", i, rc, w.key, w.ok, w.err)
		}
	}
	if rc := r.receipts[1]; rc.GUID == "" {
		t.Errorf("file receipt %+v has no guid; want the one looked up in history", rc)
	}
	// The text first, then the one good file; nothing for the others.
	if got, want := h.sent(2), []string{"caption", "file:small.png"}; !slices.Equal(got, want) {
		t.Errorf("group rows = %q; want %q", got, want)
	}
	if got, want := h.sent(1), []string{"file:small.png"}; !slices.Equal(got, want) {
		t.Errorf("DM rows = %q; want %q", got, want)
	}
}

func mustWd(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

// A replayed reply is not sent again; its receipt is a duplicate with the
// first guid. The echo cache knows every sent part by guid.
func TestDuplicateKeys(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	in := reply("chat_id:2", "once", "k#1", "part", 1, "parts", 2) + reply("chat_id:2", "only", "k#2", "part", 2, "parts", 2)
	first := h.run(in, "")
	second := h.run(in+in, "")
	if first.err != nil || second.err != nil {
		t.Fatal(first.err, second.err)
	}
	if got, want := h.sent(2), []string{"once", "only"}; !slices.Equal(got, want) {
		t.Errorf("rows = %q; want each part once", got)
	}
	if len(second.receipts) != 4 {
		t.Fatalf("second run receipts = %+v", second.receipts)
	}
	for i, rc := range second.receipts {
		orig := first.receipts[i%2]
		if !rc.OK || !rc.Duplicate || rc.GUID != orig.GUID || rc.RowID != orig.RowID || rc.Attempts != 1 {
			t.Errorf("replayed receipt %+v; want a duplicate of %+v", rc, orig)
		}
	}
	for _, rc := range first.receipts {
		if echo, err := h.store.SeenEcho("chat_id:2", rc.GUID, "", 0); err != nil || !echo {
			t.Errorf("SeenEcho(chat_id:2, %s) = %v, %v; want the sent guid remembered", rc.GUID, echo, err)
		}
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	drops := filepath.Join(h.dir, "drops.ndjson")
	df, _ := os.Create(drops)
	defer df.Close()
	in := `{"kind":"message","account":"default","message":{"id":1},"x":  1}` + "\n" +
		"not json\n" +
		reply("chat_id:x", "bad target", "k1") +
		reply("sms:", "no handle", "k2") +
		reply("", "no target", "k3") +
		reply("chat_id:2", "no key", "") +
		`{"kind":"reply","account":"default","to":"chat_id:2","text":7,"key":"k4"}` + "\n" +
		reply("chat_id:2", "other account", "k5", "account", "work") +
		reply("chat_id:999", "unknown chat", "k6")
	r := h.run(in, "", func(o *send.Options) { o.Drops = df })
	if tool.CodeOf(r.err) != tool.ExitFailure || !strings.Contains(r.err.Error(), "1 input line(s) rejected") {
		t.Errorf("Run = %v; want exit 1 for the malformed line", r.err)
	}
	if !strings.Contains(r.log, "imsg-send: error: line 2: invalid JSON") {
		t.Errorf("log %q; want the malformed line reported with its number", r.log)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if lines[0] != `{"kind":"message","account":"default","message":{"id":1},"x":  1}` {
		t.Errorf("first output line %q; want the message passed through byte for byte", lines[0])
	}
	if !strings.Contains(r.stdout, `"key":"k5"`) || strings.Contains(r.stdout, `"kind":"receipt","account":"default","key":"k5"`) {
		t.Errorf("output %s; want the reply for another account passed through", r.stdout)
	}
	for key, want := range map[string]string{
		"k1": "Invalid chat_id: x",
		"k2": "sms: target is required",
		"k3": "iMessage target is required",
		"k6": "imsg rpc send: Invalid params (code -32602): unknown chat_id 999",
	} {
		if rc := r.byKey(key); rc.OK || rc.Error != want {
			t.Errorf("receipt %s = %+v; want error %q", key, rc, want)
		}
	}
	if rc := r.byKey("k6"); rc.Attempts != 1 {
		t.Errorf("receipt k6 = %+v; want 1 attempt (invalid params are not retried)", rc)
	}
	b, _ := os.ReadFile(drops)
	if !strings.Contains(string(b), `"reason":"reply without key"`) || !strings.Contains(string(b), `"reason":"reply is not well-formed: `) {
		t.Errorf("drops file %s; want the keyless and the malformed reply", b)
	}
	if got := h.sent(2); len(got) != 0 {
		t.Errorf("group rows = %q; want nothing sent", got)
	}
}

// The journal entry of the message answered is finished when the last
// part is settled: answered, answered with "empty reply", or dropped.
func TestJournalFinishedAfterLastPart(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for i, g := range []string{"IN-A", "IN-B", "IN-C", "IN-D"} {
		if _, err := h.store.Journal(g, int64(i+1), 2); err != nil {
			t.Fatal(err)
		}
	}
	status := func(g string) state.Entry {
		e, err := h.store.Entry(g)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	part := func(g string, n, of int, text string) string {
		return reply("chat_id:2", text, g+"#"+string(rune('0'+n)), "part", n, "parts", of, "in_reply_to", g)
	}
	// Two of three parts, then a restart: the message stays open.
	r := h.run(part("IN-A", 1, 3, "one")+part("IN-A", 2, 3, "two"), "")
	if r.err != nil {
		t.Fatal(r.err)
	}
	if e := status("IN-A"); e.Status != state.StatusReceived {
		t.Fatalf("IN-A after 2 of 3 parts = %+v; want still open", e)
	}
	// The last part, in a new run: the earlier ones are in the ledger.
	h.run(part("IN-A", 3, 3, "three"), "")
	if e := status("IN-A"); e.Status != state.StatusFinished || e.Outcome != state.OutcomeAnswered || e.Reason != "" {
		t.Errorf("IN-A = %+v; want finished, answered", e)
	}

	h.run(part("IN-B", 1, 1, ""), "")
	if e := status("IN-B"); e.Outcome != state.OutcomeAnswered || e.Reason != send.ReasonEmptyReply {
		t.Errorf("IN-B (empty reply) = %+v; want answered, %q", e, send.ReasonEmptyReply)
	}

	h.run(reply("chat_id:999", "nowhere", "IN-C#1", "in_reply_to", "IN-C"), "")
	if e := status("IN-C"); e.Outcome != state.OutcomeDropped || !strings.HasPrefix(e.Reason, "send failed: imsg rpc send: Invalid params") {
		t.Errorf("IN-C (failed) = %+v; want dropped with the error", e)
	}

	h.run(part("IN-D", 1, 2, "fine")+
		reply("chat_id:2", "", "IN-D#2", "part", 2, "parts", 2, "in_reply_to", "IN-D", "files", []string{"/nonexistent"}), "")
	if e := status("IN-D"); e.Outcome != state.OutcomeAnswered || !strings.HasPrefix(e.Reason, "partly delivered: attachment not found") {
		t.Errorf("IN-D (one part failed) = %+v; want answered, partly delivered", e)
	}
}

func TestDailyCapSurvivesRestart(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	capped := func(o *send.Options) { o.Limits.DailyCap = 3 }
	h.run(reply("chat_id:2", "a", "a")+reply("chat_id:1", "b", "b"), "", capped)
	r := h.run(reply("chat_id:2", "c", "c")+reply("chat_id:2", "d", "d")+reply("chat_id:2", "a", "a"), "", capped)
	if rc := r.byKey("c"); !rc.OK {
		t.Errorf("receipt c = %+v; want sent (third of 3)", rc)
	}
	rc := r.byKey("d")
	if rc.OK || !strings.HasPrefix(rc.Error, "daily send cap reached: 3 sent in the last 24 hours") || rc.Attempts != 0 {
		t.Errorf("receipt d = %+v; want refused by the cap, counted across runs", rc)
	}
	if rc := r.byKey("a"); !rc.OK || !rc.Duplicate {
		t.Errorf("receipt a = %+v; want a duplicate (not counted, not refused)", rc)
	}
	if got := h.sent(2); !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("group rows = %q; want a, c", got)
	}
	if !strings.Contains(r.log, "d: not delivered to chat_id:2: daily send cap reached") {
		t.Errorf("log %q; want the refusal on stderr", r.log)
	}
}

// An imsg that cannot serve makes imsg-send exit 4; the part is left for
// the next run.
func TestUnavailablePeer(t *testing.T) {
	t.Parallel()
	for _, fault := range []string{"no-rpc", "fda"} {
		h := newHarness(t)
		r := h.run(reply("chat_id:2", "x", "k"), fault)
		if tool.CodeOf(r.err) != tool.ExitUnavailable {
			t.Errorf("%s: Run = %v; want exit 4", fault, r.err)
		}
		if len(r.receipts) != 0 {
			t.Errorf("%s: receipts %+v; want none (the part is not settled)", fault, r.receipts)
		}
		if d, err := h.store.Delivery("k"); err == nil && d.Settled() {
			t.Errorf("%s: delivery %+v; want it open for the next run", fault, d)
		}
	}
	h := newHarness(t)
	r := h.run(reply("chat_id:2", "x", "k"), "", func(o *send.Options) { o.RPC.CLIPath = filepath.Join(h.dir, "no-such-imsg") })
	if tool.CodeOf(r.err) != tool.ExitUnavailable {
		t.Errorf("missing imsg: Run = %v; want exit 4", r.err)
	}
}

var _ = errors.Is
var _ imsg.Message
