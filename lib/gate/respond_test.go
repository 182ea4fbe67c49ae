package gate

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/imsg-toolkit/imsg/lib/imsg"
	"github.com/imsg-toolkit/imsg/lib/state"
)

func TestStreamPairingFlow(t *testing.T) {
	h := newHarness(t, cfg(``), Options{})
	msg := func(sender string, id int64) *imsg.Message {
		return with(dm(sender, "hello?"), func(m *imsg.Message) { m.ID, m.GUID, m.ChatID = id, fmt.Sprint("P-", id), id })
	}
	in := h.rec(msg(stranger, 1), "") + h.rec(msg(stranger, 2), "") + h.rec(msg("+15550000002", 3), "") +
		h.rec(msg("+15550000003", 4), "") + h.rec(msg("+15550000004", 5), "") + h.rec(msg("+15550000004", 6), "")
	if err := h.run(in); err != nil {
		t.Fatal(err)
	}
	out := lines(h.out.String())
	if len(out) != 3 {
		t.Fatalf("out = %q; want 3 pairing replies (one per request, none for the 4th stranger)", out)
	}
	reqs, _ := h.other.ListPending()
	if len(reqs) != 3 {
		t.Fatalf("pending = %+v", reqs)
	}
	codes := map[string]string{}
	for _, r := range reqs {
		codes[r.Sender] = r.Code
	}
	code := codes[stranger]
	if field(t, out[0], "kind") != "reply" || field(t, out[0], "to") != "chat_id:1" || field(t, out[0], "in_reply_to") != "P-1" ||
		field(t, out[0], "key") != "pair:P-1" {
		t.Errorf("reply = %s", out[0])
	}
	text, _ := field(t, out[0], "text").(string)
	if text != PairingText(stranger, code, "default") || !strings.Contains(text, "\n```\n"+code+"\n```\n") ||
		!strings.Contains(text, "Your iMessage sender id: "+stranger) || !strings.Contains(text, "imsg-pair approve "+code) {
		t.Errorf("pairing text = %q", text)
	}
	wantErr := []string{
		"imsg-gate: pairing request from +15559998888: code " + code + " sent to chat_id:1",
		"imsg-gate: dropped row 1 from +15559998888: pairing",
		"imsg-gate: dropped row 2 from +15559998888: pairing (already requested)",
	}
	for _, w := range wantErr {
		if !strings.Contains(h.errs.String(), w+"\n") {
			t.Errorf("stderr lacks %q:\n%s", w, h.errs)
		}
	}
	if n := strings.Count(h.errs.String(), "warning: pairing request from +15550000004 refused"); n != 1 {
		t.Errorf("the 4th stranger was reported %d times; want once:\n%s", n, h.errs)
	}
	if !strings.Contains(h.errs.String(), "dropped row 6 from +15550000004: pairing (too many pending)") {
		t.Errorf("stderr lacks the 4th stranger's drop:\n%s", h.errs)
	}
	for _, k := range []string{"P-1", "P-2", "P-5"} {
		if e, _ := h.store.Entry(k); e.Status != state.StatusFinished {
			t.Errorf("%s status %q; want finished", k, e.Status)
		}
	}

	// The owner approves in another process; the stranger's next message passes.
	if _, err := h.other.Approve(strings.ToLower(code)); err != nil {
		t.Fatal(err)
	}
	h.out.b.Reset()
	if err := h.run(h.rec(msg(stranger, 7), "")); err != nil {
		t.Fatal(err)
	}
	if out := lines(h.out.String()); len(out) != 1 || field(t, out[0], "gate.admitted_by") != AdmitPairing {
		t.Fatalf("after approval out = %q", out)
	}
	// A freed slot lets the 4th stranger pair; after an hour codes expire and
	// a new one is sent.
	h.out.b.Reset()
	if err := h.run(h.rec(msg("+15550000004", 8), "")); err != nil {
		t.Fatal(err)
	}
	if len(lines(h.out.String())) != 1 {
		t.Errorf("4th stranger after a slot freed: out = %q; want a pairing reply", h.out)
	}
	h.clk.Advance(state.PairingTTL)
	h.out.b.Reset()
	if err := h.run(h.rec(msg("+15550000002", 9), "")); err != nil {
		t.Fatal(err)
	}
	if out := lines(h.out.String()); len(out) != 1 || strings.Contains(out[0], codes["+15550000002"]) {
		t.Errorf("after expiry out = %q; want a new code", out)
	}
}

func TestStreamRevocationIsSeenWithoutRestart(t *testing.T) {
	h := newHarness(t, cfg(``), Options{})
	if _, _, err := h.other.RequestPairing(stranger, 1, nil); err != nil {
		t.Fatal(err)
	}
	reqs, _ := h.other.ListPending()
	if _, err := h.other.Approve(reqs[0].Code); err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- h.stream.Run(context.Background(), pr) }()
	send := func(id int64) {
		fmt.Fprint(pw, h.rec(with(dm(stranger, "hi"), func(m *imsg.Message) { m.ID, m.GUID = id, fmt.Sprint("R-", id) }), ""))
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; out %q stderr %q", what, h.out, h.errs)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	send(1)
	waitFor("the approved message", func() bool { return strings.Contains(h.out.String(), `"R-1"`) })
	if err := h.other.Revoke(stranger); err != nil {
		t.Fatal(err)
	}
	send(2)
	waitFor("the revoked sender's drop", func() bool { return strings.Contains(h.errs.String(), "dropped row 2") })
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, l := range lines(h.out.String()) {
		if field(t, l, "kind") == "message" && field(t, l, "message.guid") == "R-2" {
			t.Errorf("a revoked sender was dispatched: %s", l)
		}
	}
	if !strings.Contains(h.errs.String(), "dropped row 2 from +15559998888: pairing\n") {
		t.Errorf("stderr = %q; want the revoked sender treated as a stranger again", h.errs)
	}
}

func TestStreamConfigCommand(t *testing.T) {
	h := newHarness(t, cfg(`dmPolicy: "allowlist", allowFrom: ["`+owner+`"]`, `commands: {config: true}`), Options{})
	in := h.rec(with(dm(owner, "/config set channels.imessage.allowFrom [\"+15550001111\", \"+15559998888\"]"),
		func(m *imsg.Message) { m.ID, m.GUID = 1, "C-1" }), "") +
		h.rec(with(dm(stranger, "am I in?"), func(m *imsg.Message) { m.ID, m.GUID, m.ChatID = 2, "C-2", 2 }), "")
	if err := h.run(in); err != nil {
		t.Fatal(err)
	}
	out := lines(h.out.String())
	if len(out) != 2 {
		t.Fatalf("out = %q; want the reply and the newly allowed message", out)
	}
	if field(t, out[0], "kind") != "reply" || field(t, out[0], "to") != "chat_id:1" || field(t, out[0], "key") != "config:C-1" ||
		field(t, out[0], "text") != `Config updated: channels.imessage.allowFrom = ["+15550001111","+15559998888"]` {
		t.Errorf("reply = %s", out[0])
	}
	if field(t, out[1], "gate.admitted_by") != AdmitAllowFrom {
		t.Errorf("second message = %s; want admitted by the new allowFrom", out[1])
	}
	data, _ := os.ReadFile(h.file.Path)
	bak, _ := os.ReadFile(h.file.Path + ".bak")
	if !strings.Contains(string(data), `"+15559998888"`) || !strings.Contains(string(bak), "allowlist") {
		t.Errorf("config file %s, backup %s", data, bak)
	}
	if e, _ := h.store.Entry("C-1"); e.Status != state.StatusFinished || e.Outcome != state.OutcomeAnswered {
		t.Errorf("config command journal = %+v; want finished/answered", e)
	}

	// An edit that would break the config is refused and nothing is written.
	h.out.b.Reset()
	if err := h.run(h.rec(with(dm(owner, "/config set channels.imessage.dmPolicy nope"), func(m *imsg.Message) { m.ID, m.GUID = 3, "C-3" }), "")); err != nil {
		t.Fatal(err)
	}
	if text, _ := field(t, lines(h.out.String())[0], "text").(string); !strings.HasPrefix(text, `Config unchanged: channels.imessage.dmPolicy: invalid value "nope"`) {
		t.Errorf("refusal = %q", text)
	}
	if after, _ := os.ReadFile(h.file.Path); string(after) != string(data) {
		t.Errorf("a refused edit changed the file")
	}
}
