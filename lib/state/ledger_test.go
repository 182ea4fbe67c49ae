package state

import (
	"errors"
	"testing"
	"time"
)

func TestLedgerSendOnce(t *testing.T) {
	clk := newFakeClock()
	s := openTest(t, t.TempDir(), clk)
	t0 := clk.Now()

	d, prev, err := s.Begin("k1", "chat_id:7", "Hello there", "IN-1")
	if err != nil || prev != "" {
		t.Fatalf("Begin(new) prev = %q, %v; want \"\"", prev, err)
	}
	if d.Status != DeliverySending || d.Attempts != 1 || d.Target != "chat_id:7" || d.InReplyTo != "IN-1" ||
		d.TextHash != HashText("Hello there") || !d.FirstAttempt.Equal(t0) || !d.Created.Equal(t0) {
		t.Errorf("Begin(new) = %+v", d)
	}

	clk.Advance(2 * time.Second)
	mustDo(t, s.MarkSent("k1", "OUT-GUID", 812))
	d, err = s.Delivery("k1")
	if err != nil || d.Status != DeliverySent || d.GUID != "OUT-GUID" || d.RowID != 812 ||
		!d.SentAt.Equal(t0.Add(2*time.Second)) || !d.Settled() {
		t.Errorf("Delivery after MarkSent = %+v, %v", d, err)
	}

	// A replay of the same reply is a duplicate: nothing changes.
	clk.Advance(time.Minute)
	d, prev, err = s.Begin("k1", "chat_id:7", "Hello there", "IN-1")
	if err != nil || prev != DeliverySent || d.Status != DeliverySent || d.Attempts != 1 || d.GUID != "OUT-GUID" {
		t.Errorf("Begin(sent) = %+v, %q, %v; want the sent entry untouched", d, prev, err)
	}
	// Sent is final: a late failure or a second MarkSent changes nothing.
	mustDo(t, s.MarkFailed("k1", "timeout", false))
	mustDo(t, s.MarkSent("k1", "OTHER", 1))
	if d, _ := s.Delivery("k1"); d.Status != DeliverySent || d.GUID != "OUT-GUID" || d.Error != "" {
		t.Errorf("Delivery after late MarkFailed/MarkSent = %+v; want first sent state", d)
	}
}

func TestLedgerRetries(t *testing.T) {
	clk := newFakeClock()
	s := openTest(t, t.TempDir(), clk)
	t0 := clk.Now()
	_, _, err := s.Begin("k", "+15551234567", "hi", "")
	mustDo(t, err)
	mustDo(t, s.MarkFailed("k", "imsg rpc closed", false))
	if d, _ := s.Delivery("k"); d.Status != DeliveryFailed || d.Error != "imsg rpc closed" || d.Permanent || d.Settled() {
		t.Errorf("Delivery after transient failure = %+v", d)
	}

	clk.Advance(5 * time.Second)
	d, prev, err := s.Begin("k", "+15551234567", "hi", "")
	if err != nil || prev != DeliveryFailed || d.Status != DeliverySending || d.Attempts != 2 ||
		!d.FirstAttempt.Equal(t0) || !d.LastAttempt.Equal(t0.Add(5*time.Second)) {
		t.Errorf("Begin after transient failure = %+v, %q, %v; want sending, attempt 2", d, prev, err)
	}

	// A crash between the RPC and MarkSent leaves "sending"; the next Begin
	// says so, and the first attempt time bounds the history search.
	clk.Advance(5 * time.Second)
	d, prev, err = s.Begin("k", "+15551234567", "hi", "")
	if err != nil || prev != DeliverySending || d.Attempts != 3 || !d.FirstAttempt.Equal(t0) {
		t.Errorf("Begin after a cut-off attempt = %+v, %q, %v; want prev sending, attempt 3", d, prev, err)
	}

	mustDo(t, s.MarkFailed("k", "Invalid chat target: Unknown chat id 9", true))
	d, prev, err = s.Begin("k", "+15551234567", "hi", "")
	if err != nil || prev != DeliveryFailed || d.Status != DeliveryFailed || !d.Permanent || d.Attempts != 3 || !d.Settled() {
		t.Errorf("Begin after a permanent failure = %+v, %q, %v; want it settled and untouched", d, prev, err)
	}
	// A permanent failure can still be corrected when the row turns up in
	// messages.history after all.
	mustDo(t, s.MarkSent("k", "FOUND", 0))
	if d, _ := s.Delivery("k"); d.Status != DeliverySent || d.Permanent || d.Error != "" {
		t.Errorf("Delivery after MarkSent on failed = %+v; want sent, error cleared", d)
	}
}

func TestLedgerErrors(t *testing.T) {
	s := openTest(t, t.TempDir(), newFakeClock())
	if _, err := s.Delivery("nope"); !isNotFound(err) {
		t.Errorf("Delivery(unknown) = %v; want ErrNotFound", err)
	}
	if err := s.MarkSent("nope", "g", 1); !isNotFound(err) {
		t.Errorf("MarkSent(unknown) = %v; want ErrNotFound", err)
	}
	if err := s.MarkFailed("nope", "x", false); !isNotFound(err) {
		t.Errorf("MarkFailed(unknown) = %v; want ErrNotFound", err)
	}
	if _, _, err := s.Begin("", "chat_id:1", "x", ""); err == nil {
		t.Errorf("Begin with an empty key succeeded")
	}
	_, _, err := s.Begin("k", "chat_id:1", "first text", "")
	mustDo(t, err)
	for _, c := range []struct{ target, text string }{{"chat_id:2", "first text"}, {"chat_id:1", "other text"}} {
		if _, _, err := s.Begin("k", c.target, c.text, ""); !errors.Is(err, ErrKeyReused) {
			t.Errorf("Begin(k, %q, %q) = %v; want ErrKeyReused", c.target, c.text, err)
		}
	}
	// Cosmetic differences are the same message.
	if _, _, err := s.Begin("k", "chat_id:1", "  first\n text ", ""); err != nil {
		t.Errorf("Begin with re-spaced text = %v; want the same message", err)
	}
	if d, _ := s.Delivery("k"); d.Attempts != 2 {
		t.Errorf("Attempts = %d; want 2 (the reused-key calls must not count)", d.Attempts)
	}
}

func TestLedgerInFlightAndCounts(t *testing.T) {
	clk := newFakeClock()
	s := openTest(t, t.TempDir(), clk)
	for _, k := range []string{"b", "a", "c", "d"} {
		_, _, err := s.Begin(k, "chat_id:1", "text "+k, "")
		mustDo(t, err)
		clk.Advance(time.Second)
	}
	mustDo(t, s.MarkSent("a", "G", 1))
	mustDo(t, s.MarkFailed("d", "x", false))
	got, err := s.InFlight()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Key != "b" || got[1].Key != "c" {
		t.Errorf("InFlight() = %+v; want b then c (oldest first)", got)
	}
	counts, err := s.DeliveryCounts()
	if err != nil || counts[DeliverySending] != 2 || counts[DeliverySent] != 1 || counts[DeliveryFailed] != 1 {
		t.Errorf("DeliveryCounts() = %v, %v", counts, err)
	}

	clk.Advance(72 * time.Hour)
	mustDo(t, s.MarkFailed("c", "gone", true))
	n, err := s.PruneLedger(clk.Now().Add(-time.Hour))
	if err != nil || n != 1 {
		t.Errorf("PruneLedger = %d, %v; want 1 (only the old sent one)", n, err)
	}
	if _, err := s.Delivery("a"); !isNotFound(err) {
		t.Errorf("old sent delivery survived the prune: %v", err)
	}
	for _, k := range []string{"b", "c", "d"} {
		if _, err := s.Delivery(k); err != nil {
			t.Errorf("Delivery(%q) after prune = %v; want kept", k, err)
		}
	}
}

func TestHashText(t *testing.T) {
	same := []string{"Hello “world”", "Hello \"world\"", "\ufffd\x02Hello  \"world\"\n", "Hello \"world\"\ufe0f"}
	for _, s := range same[1:] {
		if HashText(s) != HashText(same[0]) {
			t.Errorf("HashText(%q) != HashText(%q); want equal", s, same[0])
		}
	}
	if HashText("Hello") == HashText("hello") {
		t.Errorf("HashText must keep case")
	}
	if len(HashText("")) != 64 {
		t.Errorf("HashText is not hex SHA-256: %q", HashText(""))
	}
}
