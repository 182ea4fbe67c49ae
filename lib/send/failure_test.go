package send_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/imsg-toolkit/imsg/lib/record"
	"github.com/imsg-toolkit/imsg/lib/send"
	"github.com/imsg-toolkit/imsg/lib/state"
)

// A crash between the ledger's sending and sent, with the row in chat.db:
// the next run finds it in messages.history and does not send again.
func TestCutOffSendSettledFromHistory(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	if _, _, err := h.store.Begin("k", "chat_id:2", "did it go?", "IN"); err != nil {
		t.Fatal(err)
	}
	h.sim("inject", "--db", h.db, "--chat-id", "2", "--from-me", "--text", "did it go?")
	if _, _, err := h.store.Begin("lost", "chat_id:2", "it did not", "IN"); err != nil {
		t.Fatal(err)
	}
	in := reply("chat_id:2", "did it go?", "k", "in_reply_to", "IN") + reply("chat_id:2", "it did not", "lost", "in_reply_to", "IN")
	r := h.run(in, "")
	if r.err != nil {
		t.Fatal(r.err)
	}
	found := r.byKey("k")
	rows := h.history(2)
	last := rows[len(rows)-2] // the injected row, before the one sent for "lost"
	if !found.OK || found.GUID != last.GUID || found.RowID != last.ID || found.Attempts != 1 {
		t.Errorf("receipt k = %+v; want the injected row %s (%d), 1 attempt", found, last.GUID, last.ID)
	}
	if rc := r.byKey("lost"); !rc.OK || rc.Attempts != 2 {
		t.Errorf("receipt lost = %+v; want sent on attempt 2", rc)
	}
	if got, want := h.sent(2), []string{"did it go?", "it did not"}; !slices.Equal(got, want) {
		t.Errorf("rows = %q; want %q (nothing twice)", got, want)
	}
	if d, _ := h.store.Delivery("k"); d.Status != state.DeliverySent || d.GUID != last.GUID {
		t.Errorf("ledger k = %+v; want sent with the found guid", d)
	}
}

// A send that outlives --send-timeout is not retried: the wedged child is
// replaced, and the row it wrote late is found in messages.history.
func TestTimedOutSendSettled(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.run(reply("chat_id:2", "slow", "k"), "send-delay=1500ms", func(o *send.Options) {
		o.RPC.SendTimeout = 300 * time.Millisecond
		o.SettleWait = 3 * time.Second
	})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if rc := r.byKey("k"); !rc.OK || rc.Attempts != 1 || rc.GUID == "" {
		t.Errorf("receipt = %+v; want ok after 1 attempt, guid from history", rc)
	}
	if got := h.sent(2); !slices.Equal(got, []string{"slow"}) {
		t.Errorf("rows = %q; want one", got)
	}
	if !strings.Contains(r.log, "restarting imsg rpc: imsg rpc timeout (send)") {
		t.Errorf("log %q; want the wedged child replaced", r.log)
	}
}

// A send that hangs and never lands: after the settle wait it is sent
// again, at most --attempts times, then given up for good.
func TestHungSendGivenUp(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.run(reply("chat_id:2", "never", "k"), "send-hang", func(o *send.Options) {
		o.RPC.SendTimeout = 200 * time.Millisecond
		o.MaxAttempts = 2
	})
	rc := r.byKey("k")
	if r.err != nil || rc.OK || rc.Attempts != 2 || !strings.HasPrefix(rc.Error, "outcome unknown after 2 attempts") {
		t.Errorf("Run = %v, receipt %+v; want given up after 2 attempts", r.err, rc)
	}
	if d, _ := h.store.Delivery("k"); !d.Settled() {
		t.Errorf("ledger = %+v; want failed permanently (it may still land: never resend)", d)
	}
	if n := len(h.simPids()); n != 3 {
		t.Errorf("%d imsg rpc children; want 3 (one replaced after each timeout)", n)
	}
}

func TestTransientRetriedPermanentNot(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.run(reply("chat_id:2", "second time lucky", "k"), "send-fail=2")
	if rc := r.byKey("k"); r.err != nil || !rc.OK || rc.Attempts != 3 {
		t.Errorf("send-fail=2: %v, receipt %+v; want ok on attempt 3", r.err, rc)
	}
	if got := h.sent(2); !slices.Equal(got, []string{"second time lucky"}) {
		t.Errorf("rows = %q", got)
	}
	if n := len(h.simPids()); n != 1 {
		t.Errorf("%d children; want the one child reused across retries", n)
	}

	h = newHarness(t)
	r = h.run(reply("chat_id:2", "no luck", "k"), "send-fail=always", func(o *send.Options) { o.MaxAttempts = 3 })
	rc := r.byKey("k")
	if rc.OK || rc.Attempts != 3 || !strings.HasPrefix(rc.Error, "gave up after 3 attempts: imsg rpc send: Internal error (code -32603): AppleScript failed") {
		t.Errorf("send-fail=always: receipt %+v; want given up after 3", rc)
	}
	if d, _ := h.store.Delivery("k"); d.Status != state.DeliveryFailed || d.Permanent {
		t.Errorf("ledger = %+v; want failed, not permanently (nothing went out)", d)
	}

	r = h.run(reply("chat_id:404", "no such chat", "p"), "")
	if rc := r.byKey("p"); rc.OK || rc.Attempts != 1 || !strings.Contains(rc.Error, "-32602") {
		t.Errorf("invalid params: receipt %+v; want 1 attempt", rc)
	}
	if d, _ := h.store.Delivery("p"); !d.Permanent {
		t.Errorf("ledger = %+v; want failed permanently", d)
	}
}

func TestGhostRowNotRetried(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	if _, err := h.store.Journal("IN", 2, 2); err != nil {
		t.Fatal(err)
	}
	r := h.run(reply("chat_guid:"+h.groupGUID, "into the void", "k", "in_reply_to", "IN"), "ghost-row")
	rc := r.byKey("k")
	if rc.OK || rc.Attempts != 1 || !strings.Contains(rc.Error, "delivery to chat_guid:"+h.groupGUID+" not confirmed") ||
		!strings.Contains(rc.Error, "probably went to a new chat or nowhere") || !strings.Contains(rc.Error, "unjoined empty outgoing row") {
		t.Errorf("receipt %+v; want one attempt and the ghost row explained", rc)
	}
	if e, _ := h.store.Entry("IN"); e.Outcome != state.OutcomeDropped || !strings.HasPrefix(e.Reason, "send failed: delivery to") {
		t.Errorf("journal = %+v; want dropped with the reason", e)
	}
}

// A send answering {ok:true} alone counts as sent; its guid comes from
// history, for the echo cache.
func TestSendWithoutGUID(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.run(reply("chat_id:2", "no id", "k")+reply("+15551234567", "no id either", "d"), "send-no-id")
	rows := h.history(2)
	if rc := r.byKey("k"); !rc.OK || rc.GUID != rows[len(rows)-1].GUID {
		t.Errorf("receipt %+v; want the guid of the sent row %s", rc, rows[len(rows)-1].GUID)
	}
	dm := h.history(1)
	if rc := r.byKey("d"); !rc.OK || rc.GUID != dm[len(dm)-1].GUID {
		t.Errorf("receipt %+v; want the guid of the DM row %s", rc, dm[len(dm)-1].GUID)
	}
	if echo, _ := h.store.SeenEcho("chat_id:2", rows[len(rows)-1].GUID, "", 0); !echo {
		t.Error("echo cache does not know the looked-up guid")
	}
}

// A child killed between sends is started again for the next one; one
// killed under a send is replaced, and the send settled then retried.
func TestDeadChildRespawned(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pr, pw := newPipe(t)
	o := h.options("", "send-delay=400ms")
	var out syncBuffer
	o.In, o.Out = pr, &out
	o.Log = testLog(t)
	done := runAsync(o)

	waitReceipts := func(n int) []record.Receipt {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			rcs := parseReceipts(t, out.String())
			if len(rcs) >= n {
				return rcs
			}
			if time.Now().After(deadline) {
				t.Fatalf("waiting for %d receipts; have %v", n, rcs)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	pw.WriteString(reply("chat_id:2", "one", "k1"))
	waitReceipts(1)
	pid := h.simPids()[0]
	syscall.Kill(pid, syscall.SIGKILL) // between sends
	waitFor(t, func() bool { _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); return err != nil })
	time.Sleep(200 * time.Millisecond) // let the client see its end
	pw.WriteString(reply("chat_id:2", "two", "k2"))
	waitReceipts(2)

	pw.WriteString(reply("chat_id:2", "three", "k3"))
	waitFor(t, func() bool {
		d, err := h.store.Delivery("k3")
		return err == nil && d.Status == state.DeliverySending
	})
	time.Sleep(100 * time.Millisecond) // the request is in the child, which waits 400 ms
	syscall.Kill(h.simPids()[1], syscall.SIGKILL)
	rcs := waitReceipts(3)
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if rc := rcs[1]; !rc.OK || rc.Attempts != 1 {
		t.Errorf("receipt after the idle kill = %+v; want ok on the first attempt", rc)
	}
	if rc := rcs[2]; !rc.OK || rc.Attempts != 2 {
		t.Errorf("receipt after the kill mid-send = %+v; want ok on attempt 2", rc)
	}
	if got, want := h.sent(2), []string{"one", "two", "three"}; !slices.Equal(got, want) {
		t.Errorf("rows = %q; want %q", got, want)
	}
	if n := len(h.simPids()); n != 3 {
		t.Errorf("%d children; want 3", n)
	}
}

// A key already used for another text: the usual cause is an agent that
// answered again in other words after a restart.
func TestKeyReused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.run(reply("chat_id:2", "first answer", "sent"), "")
	if _, _, err := h.store.Begin("unsent", "chat_id:2", "lost answer", ""); err != nil {
		t.Fatal(err)
	}
	// Cut off mid-send, and it landed, in the DM: the old target is searched.
	if _, _, err := h.store.Begin("landed", "chat_id:1", "landed answer", ""); err != nil {
		t.Fatal(err)
	}
	h.sim("inject", "--db", h.db, "--chat-id", "1", "--from-me", "--text", "landed answer")
	r := h.run(reply("chat_id:2", "second answer", "sent")+reply("chat_id:2", "new answer", "unsent")+
		reply("chat_id:2", "other answer", "landed"), "")
	if rc := r.byKey("landed"); !rc.OK || !rc.Duplicate || rc.GUID == "" {
		t.Errorf("receipt landed = %+v; want a duplicate with the found row's guid", rc)
	}
	if rc := r.byKey("sent"); !rc.OK || !rc.Duplicate || !strings.Contains(rc.Note, "already sent with another text") {
		t.Errorf("receipt sent = %+v; want a duplicate with a note", rc)
	}
	if rc := r.byKey("unsent"); !rc.OK || rc.Duplicate || rc.Attempts != 2 {
		t.Errorf("receipt unsent = %+v; want the new text sent", rc)
	}
	if got, want := h.sent(2), []string{"first answer", "new answer"}; !slices.Equal(got, want) {
		t.Errorf("rows = %q; want %q", got, want)
	}
}
