package state

import (
	"errors"
	"fmt"
	"testing"
)

func TestBatchFinish(t *testing.T) {
	s := openTest(t, t.TempDir(), newFakeClock())
	for i, k := range []string{"A", "B", "C", "D"} {
		if _, err := s.Journal(k, int64(i+1), 1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Finish("D", OutcomeAnswered, ""); err != nil {
		t.Fatal(err)
	}
	var b Batch
	b.Finish("A", OutcomeDropped, "no mention")
	b.Finish("B", OutcomeDropped, "echo")
	b.Finish("A", OutcomeDropped, "echo") // the first outcome wins
	b.Finish("C", OutcomeAnswered, "config command")
	b.Finish("D", OutcomeDropped, "late") // already finished: unchanged
	b.Finish("unknown", OutcomeDropped, "x")
	b.Finish("", OutcomeDropped, "x")
	if b.Len() != 5 {
		t.Errorf("Len = %d; want 5 (one per distinct non-empty key)", b.Len())
	}
	if err := s.Commit(&b); err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{"A": {"dropped", "no mention"}, "B": {"dropped", "echo"},
		"C": {"answered", "config command"}, "D": {"answered", ""}}
	for k, w := range want {
		e, err := s.Entry(k)
		if err != nil || e.Status != StatusFinished || string(e.Outcome) != w[0] || e.Reason != w[1] {
			t.Errorf("Entry(%s) = %+v, %v; want finished %v", k, e, err, w)
		}
	}
	if _, err := s.Entry("unknown"); !errors.Is(err, ErrNotFound) {
		t.Errorf("an unknown key was created: %v", err)
	}
	if b.Len() != 0 || b.PendingHistory() {
		t.Errorf("batch not empty after commit")
	}
}

func TestBatchManyKeysAndBadOutcome(t *testing.T) {
	s := openTest(t, t.TempDir(), newFakeClock())
	var b Batch
	for i := range 1234 {
		k := fmt.Sprint("K", i)
		if _, err := s.Journal(k, int64(i+1), 1); err != nil {
			t.Fatal(err)
		}
		b.Finish(k, OutcomeDropped, fmt.Sprint("r", i%3))
	}
	b.AppendHistory("chat_id:1", HistoryEntry{Sender: "x", Body: "y"}, 10)
	if !b.HasHistory("chat_id:1") || b.HasHistory("chat_id:2") || !b.PendingHistory() {
		t.Errorf("HasHistory/PendingHistory wrong")
	}
	if err := s.Commit(&b); err != nil {
		t.Fatal(err)
	}
	counts, _ := s.JournalCounts()
	if counts[StatusFinished] != 1234 {
		t.Errorf("finished = %d; want 1234", counts[StatusFinished])
	}
	if e, _ := s.Entry("K1000"); e.Reason != "r1" {
		t.Errorf("K1000 reason %q", e.Reason)
	}
	var bad Batch
	bad.Finish("X", Outcome("weird"), "")
	bad.AppendHistory("chat_id:2", HistoryEntry{Sender: "x", Body: "kept"}, 10)
	if err := s.Commit(&bad); err == nil {
		t.Errorf("Commit with an unknown outcome succeeded")
	}
	if h, _ := s.History("chat_id:2", 0); len(h) != 0 || bad.Len() != 2 {
		t.Errorf("a failed commit applied something (%d entries) or lost the batch (%d)", len(h), bad.Len())
	}
}
