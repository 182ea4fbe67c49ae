package state

import (
	"testing"
	"time"
)

func TestChangeWatch(t *testing.T) {
	dir := t.TempDir()
	clk := newFakeClock()
	a := openTest(t, dir, clk)
	b := openTest(t, dir, clk) // another process
	w, err := a.WatchChanges()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	step := func(what string, want bool) {
		t.Helper()
		if got, err := w.Changed(); err != nil || got != want {
			t.Errorf("Changed() after %s = %v, %v; want %v", what, got, err, want)
		}
	}
	step("nothing (first call)", true)
	step("nothing", false)
	if err := b.SetCursor(5); err != nil {
		t.Fatal(err)
	}
	step("another store's commit", true)
	step("nothing", false)
	if _, err := a.Cursor(); err != nil {
		t.Fatal(err)
	}
	step("a read", false)
	if err := a.SetCursor(6); err != nil {
		t.Fatal(err)
	}
	step("a commit on another connection of the same store", true)
}

func TestEchoRowsAfter(t *testing.T) {
	clk := newFakeClock()
	s := openTest(t, t.TempDir(), clk)
	if err := s.RememberSent("chat_id:1", "G1", "Hello  there"); err != nil {
		t.Fatal(err)
	}
	if err := s.RememberSent("+15550001111", "", "hi"); err != nil {
		t.Fatal(err)
	}
	rows, err := s.EchoRowsAfter(0)
	if err != nil || len(rows) != 2 {
		t.Fatalf("EchoRowsAfter(0) = %+v, %v", rows, err)
	}
	if rows[0].Scope != "chat_id:1" || rows[0].GUID != "G1" || rows[0].Text != "Hello there" || rows[1].ID <= rows[0].ID {
		t.Errorf("rows = %+v", rows)
	}
	if more, _ := s.EchoRowsAfter(rows[1].ID); len(more) != 0 {
		t.Errorf("rows after the last = %+v", more)
	}
	clk.Advance(EchoRetention + time.Second)
	if old, _ := s.EchoRowsAfter(0); len(old) != 0 {
		t.Errorf("rows past retention listed: %+v", old)
	}
}

func TestIsSentGUID(t *testing.T) {
	s := openTest(t, t.TempDir(), newFakeClock())
	if err := s.RememberSent("chat_id:1", "p:0/ECHO-1", "x"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Begin("k1", "chat_id:1", "text", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSent("k1", "LEDGER-1", 9); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Begin("k2", "chat_id:1", "other", ""); err != nil {
		t.Fatal(err)
	}
	tests := map[string]bool{
		"p:0/ECHO-1": true, "ECHO-1": true, "CHO-1": false, "LEDGER-1": true,
		"": false, "ok": false, "unknown": false, "nope": false,
	}
	for g, want := range tests {
		if got, err := s.IsSentGUID(g); err != nil || got != want {
			t.Errorf("IsSentGUID(%q) = %v, %v; want %v", g, got, err, want)
		}
	}
}

func TestLivePairingsOnlyReads(t *testing.T) {
	clk := newFakeClock()
	s := openTest(t, t.TempDir(), clk)
	if _, _, err := s.RequestPairing("+15550001111", 1, nil); err != nil {
		t.Fatal(err)
	}
	clk.Advance(30 * time.Minute)
	if _, _, err := s.RequestPairing("+15550002222", 2, nil); err != nil {
		t.Fatal(err)
	}
	clk.Advance(31 * time.Minute)
	w, _ := s.WatchChanges()
	defer w.Close()
	w.Changed()
	live, err := s.LivePairings()
	if err != nil || len(live) != 1 || live[0].Sender != "+15550002222" {
		t.Errorf("LivePairings = %+v, %v; want only the unexpired request", live, err)
	}
	if changed, _ := w.Changed(); changed {
		t.Errorf("LivePairings wrote to the database")
	}
	var n int
	s.db.QueryRow(`SELECT COUNT(*) FROM pairing_pending`).Scan(&n)
	if n != 2 {
		t.Errorf("LivePairings pruned: %d rows left", n)
	}
}
