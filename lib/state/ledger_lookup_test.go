package state

import (
	"errors"
	"testing"
	"time"
)

func TestSendTimesSince(t *testing.T) {
	clk := newFakeClock()
	s := openTest(t, t.TempDir(), clk)
	t0 := clk.Now()

	begin := func(key string) {
		t.Helper()
		if _, _, err := s.Begin(key, "chat_id:1", key, ""); err != nil {
			t.Fatal(err)
		}
	}
	begin("old")
	mustDo(t, s.MarkSent("old", "G-OLD", 1))
	clk.Advance(time.Hour)
	begin("sent")
	clk.Advance(time.Minute)
	mustDo(t, s.MarkSent("sent", "G-SENT", 2))
	clk.Advance(time.Minute)
	begin("failed")
	mustDo(t, s.MarkFailed("failed", "nope", false))
	begin("cut-off") // left in sending: it may have gone out

	got, err := s.SendTimesSince(t0.Add(time.Minute))
	mustDo(t, err)
	want := []time.Time{t0.Add(time.Hour + time.Minute), t0.Add(time.Hour + 2*time.Minute)}
	if len(got) != len(want) || !got[0].Equal(want[0]) || !got[1].Equal(want[1]) {
		t.Errorf("SendTimesSince = %v; want %v (the sent one and the cut-off one, not the old or failed)", got, want)
	}
}

func TestDeliveriesForAndByGUID(t *testing.T) {
	s := openTest(t, t.TempDir(), newFakeClock())
	for _, k := range []string{"IN#2", "IN#1", "OTHER#1"} {
		in := "IN"
		if k == "OTHER#1" {
			in = "OTHER"
		}
		if _, _, err := s.Begin(k, "chat_id:1", k, in); err != nil {
			t.Fatal(err)
		}
	}
	mustDo(t, s.MarkSent("IN#1", "G1", 5))

	ds, err := s.DeliveriesFor("IN")
	mustDo(t, err)
	if len(ds) != 2 || ds[0].Key != "IN#1" || ds[0].Status != DeliverySent || ds[1].Key != "IN#2" {
		t.Errorf("DeliveriesFor(IN) = %+v; want IN#1 (sent), IN#2", ds)
	}
	if ds, err := s.DeliveriesFor(""); err != nil || ds != nil {
		t.Errorf("DeliveriesFor(\"\") = %v, %v; want nothing", ds, err)
	}

	d, err := s.DeliveryByGUID("G1")
	if err != nil || d.Key != "IN#1" {
		t.Errorf("DeliveryByGUID(G1) = %+v, %v; want IN#1", d, err)
	}
	for _, g := range []string{"G2", ""} {
		if _, err := s.DeliveryByGUID(g); !errors.Is(err, ErrNotFound) {
			t.Errorf("DeliveryByGUID(%q) error = %v; want ErrNotFound", g, err)
		}
	}
}

func TestReplaceUnsent(t *testing.T) {
	clk := newFakeClock()
	s := openTest(t, t.TempDir(), clk)
	t0 := clk.Now()
	if _, _, err := s.Begin("k", "chat_id:1", "first words", "IN"); err != nil {
		t.Fatal(err)
	}
	// Left in sending, then settled as not sent: the new text takes its place.
	clk.Advance(time.Minute)
	mustDo(t, s.ReplaceUnsent("k", "chat_id:1", "second words"))
	d, prev, err := s.Begin("k", "chat_id:1", "second words", "IN")
	if err != nil || prev != DeliveryFailed || d.Attempts != 2 || d.TextHash != HashText("second words") ||
		!d.FirstAttempt.Equal(t0) {
		t.Errorf("Begin after ReplaceUnsent = %+v, %q, %v; want attempt 2 of the new text", d, prev, err)
	}
	if _, _, err := s.Begin("k", "chat_id:1", "first words", "IN"); !errors.Is(err, ErrKeyReused) {
		t.Errorf("Begin(old text) error = %v; want ErrKeyReused", err)
	}

	mustDo(t, s.MarkSent("k", "G", 1))
	if err := s.ReplaceUnsent("k", "chat_id:1", "third"); !errors.Is(err, ErrAlreadySent) {
		t.Errorf("ReplaceUnsent(sent) error = %v; want ErrAlreadySent", err)
	}
	if err := s.ReplaceUnsent("nope", "chat_id:1", "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReplaceUnsent(unknown) error = %v; want ErrNotFound", err)
	}
}
