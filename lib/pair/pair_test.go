package pair

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imsg-toolkit/imsg/lib/clock"
	"github.com/imsg-toolkit/imsg/lib/gate"
	"github.com/imsg-toolkit/imsg/lib/state"
	"github.com/imsg-toolkit/imsg/lib/tool"
)

var t0 = time.Date(2026, 5, 16, 9, 0, 0, 0, time.UTC)

func open(t *testing.T, dir string) *state.Store {
	t.Helper()
	s, err := state.Open(dir, "default", state.WithClock(clock.Frozen{T: t0}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newPairing(t *testing.T, s *state.Store) (*Pairing, *bytes.Buffer, *bytes.Buffer) {
	var out, errs bytes.Buffer
	return &Pairing{Store: s, Account: "default", Region: "US", Out: &out, Err: &errs}, &out, &errs
}

func TestListAndApprove(t *testing.T) {
	s := open(t, t.TempDir())
	p, out, errs := newPairing(t, s)
	if err := p.List(false); err != nil || out.String() != "No pending imessage pairing requests.\n" {
		t.Errorf("List() = %q, %v", out, err)
	}
	code, _, err := s.RequestPairing("+15559998888", 2, map[string]string{"accountId": "default", "chatId": "2"})
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := p.List(false); err != nil {
		t.Fatal(err)
	}
	want := "Pairing requests (1)\n" +
		"Code      imessageSenderId  Meta                                  Requested\n" +
		code + "  +15559998888      {\"accountId\":\"default\",\"chatId\":\"2\"}  2026-05-16T09:00:00Z\n"
	if out.String() != want {
		t.Errorf("List() =\n%s\nwant\n%s", out, want)
	}
	out.Reset()
	if err := p.List(true); err != nil {
		t.Fatal(err)
	}
	var js struct {
		Channel  string `json:"channel"`
		Requests []struct {
			ID, Code, ExpiresAt string
			ChatID              int64 `json:"chatId"`
		} `json:"requests"`
	}
	if err := json.Unmarshal(out.Bytes(), &js); err != nil || js.Channel != "imessage" || len(js.Requests) != 1 ||
		js.Requests[0].Code != code || js.Requests[0].ID != "+15559998888" || js.Requests[0].ExpiresAt != "2026-05-16T10:00:00Z" {
		t.Errorf("List(json) = %s, %v", out, err)
	}

	out.Reset()
	if err := p.Approve(" "+strings.ToLower(code)+" ", false); err != nil || out.String() != "Approved imessage sender +15559998888.\n" {
		t.Errorf("Approve = %q, %v", out, err)
	}
	if ok, _ := s.IsApproved("+15559998888"); !ok {
		t.Errorf("sender not approved")
	}
	err = p.Approve(code, false)
	if tool.CodeOf(err) != tool.ExitFailure || err.Error() != "No pending pairing request found for code: "+code {
		t.Errorf("approving twice = %v", err)
	}
	if errs.Len() != 0 {
		t.Errorf("stderr = %q", errs)
	}
}

func TestApproveNotify(t *testing.T) {
	s := open(t, t.TempDir())
	p, out, errs := newPairing(t, s)
	code, _, _ := s.RequestPairing("a@example.com", 0, nil)
	if err := p.Approve(code, true); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`{"kind":"reply","account":"default","to":"a@example.com","text":%q,"key":"pair-approved:%s"}`+"\n",
		gate.ApprovedText, code)
	if out.String() != want || errs.String() != "Approved imessage sender a@example.com.\n" {
		t.Errorf("stdout %q\nwant   %q\nstderr %q", out, want, errs)
	}
}

func TestRejectRevokeAllowed(t *testing.T) {
	s := open(t, t.TempDir())
	p, out, _ := newPairing(t, s)
	code, _, _ := s.RequestPairing("+15550000001", 1, nil)
	if err := p.Reject(code); err != nil || out.String() != "Rejected imessage sender +15550000001.\n" {
		t.Errorf("Reject = %q, %v", out, err)
	}
	if err := p.Reject(code); tool.CodeOf(err) != tool.ExitFailure {
		t.Errorf("Reject twice = %v; want exit 1", err)
	}
	out.Reset()
	if err := p.Allowed(false); err != nil || out.String() != "No approved imessage senders.\n" {
		t.Errorf("Allowed = %q, %v", out, err)
	}
	code, _, _ = s.RequestPairing("+15550000002", 1, nil)
	if _, err := s.Approve(code); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := p.Allowed(true); err != nil || !strings.Contains(out.String(), `"allowFrom":["+15550000002"]`) {
		t.Errorf("Allowed(json) = %q, %v", out, err)
	}
	out.Reset()
	if err := p.Allowed(false); err != nil || !strings.HasPrefix(out.String(), "Approved senders (1)\n") {
		t.Errorf("Allowed = %q, %v", out, err)
	}
	out.Reset()
	if err := p.Revoke("(555) 000-0002"); err != nil || out.String() != "Revoked imessage sender +15550000002.\n" {
		t.Errorf("Revoke = %q, %v", out, err)
	}
	if err := p.Revoke("+15550000002"); tool.CodeOf(err) != tool.ExitFailure || !strings.Contains(err.Error(), "No approved imessage sender: +15550000002") {
		t.Errorf("Revoke twice = %v", err)
	}
	for _, bad := range []string{"foo", "+", "chat_id:5"} {
		if err := p.Revoke(bad); tool.CodeOf(err) != tool.ExitUsage {
			t.Errorf("Revoke(%q) = %v; want a usage error", bad, err)
		}
	}
}

func TestExpiredCode(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	code, _, _ := s.RequestPairing("+15550000001", 1, nil)
	later, err := state.Open(dir, "default", state.WithClock(clock.Frozen{T: t0.Add(state.PairingTTL)}))
	if err != nil {
		t.Fatal(err)
	}
	defer later.Close()
	p, _, _ := newPairing(t, later)
	if err := p.Approve(code, false); tool.CodeOf(err) != tool.ExitFailure || !strings.Contains(err.Error(), "has expired") {
		t.Errorf("Approve of an expired code = %v", err)
	}
	if ok, _ := later.IsApproved("+15550000001"); ok {
		t.Errorf("an expired code approved its sender")
	}
}

// TestConcurrentApprovalsAndGateWrites runs approvals (imsg-pair) against
// pairing requests and journal writes (imsg-gate, imsg-listen) on the same
// database from separate stores: no entry may be lost.
func TestConcurrentApprovalsAndGateWrites(t *testing.T) {
	dir := t.TempDir()
	gateStore, pairStore := open(t, dir), open(t, dir)
	const rounds = 30
	codes := make(chan string, rounds)
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { // the gate: a stranger at a time asks, is approved, and messages flow
		defer wg.Done()
		for i := range rounds {
			for {
				code, _, err := gateStore.RequestPairing(fmt.Sprintf("+1555000%04d", i), int64(i), nil)
				if err == nil {
					codes <- code
					break
				}
				if err != state.ErrTooManyPending {
					t.Error(err)
					return
				}
				time.Sleep(time.Millisecond)
			}
		}
		close(codes)
	}()
	go func() { // listen and the gate's batch
		defer wg.Done()
		for i := range 200 {
			var b state.Batch
			k := fmt.Sprint("J", i)
			if _, err := gateStore.Journal(k, int64(i), 1); err != nil {
				t.Error(err)
			}
			b.Finish(k, state.OutcomeDropped, "x")
			if err := gateStore.Commit(&b); err != nil {
				t.Error(err)
			}
		}
	}()
	go func() { // the owner approves as codes come
		defer wg.Done()
		p, _, _ := newPairing(t, pairStore)
		for c := range codes {
			if err := p.Approve(c, false); err != nil {
				t.Error(err)
			}
		}
	}()
	wg.Wait()
	approved, _ := gateStore.ListApproved()
	counts, _ := gateStore.JournalCounts()
	if len(approved) != rounds || counts[state.StatusFinished] != 200 {
		t.Errorf("%d approved, %d finished; want %d and 200", len(approved), counts[state.StatusFinished], rounds)
	}
}
