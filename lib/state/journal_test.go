package state

import (
	"strings"
	"testing"
	"time"
)

func TestJournalLifecycle(t *testing.T) {
	clk := newFakeClock()
	s := openTest(t, t.TempDir(), clk)
	t0 := clk.Now()

	if _, err := s.Status("G"); !isNotFound(err) {
		t.Errorf("Status of an unknown key: err = %v; want ErrNotFound", err)
	}
	prev, err := s.Journal("G", 10, 3)
	if err != nil || prev != "" {
		t.Fatalf("Journal(new) = %q, %v; want \"\"", prev, err)
	}
	clk.Advance(time.Second)
	// A second sighting reports what is known and changes nothing.
	if prev, err := s.Journal("G", 99, 8); err != nil || prev != StatusReceived {
		t.Errorf("Journal(known) = %q, %v; want received", prev, err)
	}
	e, err := s.Entry("G")
	if err != nil || e.RowID != 10 || e.ChatID != 3 || e.Status != StatusReceived || e.Emits != 0 ||
		!e.FirstSeen.Equal(t0) || !e.Updated.Equal(t0) {
		t.Errorf("Entry after Journal = %+v, %v", e, err)
	}

	mustDo(t, s.MarkEmitted("G"))
	mustDo(t, s.MarkEmitted("G")) // redelivery after a restart
	e, _ = s.Entry("G")
	if e.Status != StatusEmitted || e.Emits != 2 || !e.Updated.Equal(t0.Add(time.Second)) {
		t.Errorf("Entry after two MarkEmitted = %+v; want emitted, 2 emits", e)
	}
	if prev, _ := s.Journal("G", 10, 3); prev != StatusEmitted {
		t.Errorf("Journal after emit = %q; want emitted (a redelivery)", prev)
	}

	clk.Advance(time.Second)
	changed, err := s.Finish("G", OutcomeDropped, "from me")
	if err != nil || !changed {
		t.Fatalf("Finish = %v, %v; want true", changed, err)
	}
	// The first terminal outcome wins.
	if changed, err := s.Finish("G", OutcomeAnswered, ""); err != nil || changed {
		t.Errorf("second Finish = %v, %v; want false, nil", changed, err)
	}
	if changed, err := s.MarkStale("G", "too old"); err != nil || changed {
		t.Errorf("MarkStale after Finish = %v, %v; want false, nil", changed, err)
	}
	mustDo(t, s.MarkEmitted("G")) // counted, but the status stays terminal
	e, _ = s.Entry("G")
	if e.Status != StatusFinished || e.Outcome != OutcomeDropped || e.Reason != "from me" || e.Emits != 3 {
		t.Errorf("Entry after finish = %+v; want finished/dropped/from me", e)
	}
	if prev, _ := s.Journal("G", 10, 3); prev != StatusFinished || !prev.Terminal() {
		t.Errorf("Journal of a finished key = %q; want finished (a duplicate)", prev)
	}
}

func TestJournalStale(t *testing.T) {
	s := openTest(t, t.TempDir(), newFakeClock())
	_, err := s.Journal("OLD", 5, 1)
	mustDo(t, err)
	if changed, err := s.MarkStale("OLD", "older than 10m"); err != nil || !changed {
		t.Fatalf("MarkStale = %v, %v", changed, err)
	}
	if changed, err := s.Finish("OLD", OutcomeAnswered, ""); err != nil || changed {
		t.Errorf("Finish after MarkStale = %v, %v; want false (stale is terminal)", changed, err)
	}
	e, _ := s.Entry("OLD")
	if e.Status != StatusStale || e.Reason != "older than 10m" || e.Outcome != "" || !e.Status.Terminal() {
		t.Errorf("Entry = %+v; want stale", e)
	}
}

func TestJournalErrors(t *testing.T) {
	s := openTest(t, t.TempDir(), newFakeClock())
	if err := s.MarkEmitted("nope"); !isNotFound(err) {
		t.Errorf("MarkEmitted(unknown) = %v; want ErrNotFound", err)
	}
	if _, err := s.Finish("nope", OutcomeAnswered, ""); !isNotFound(err) {
		t.Errorf("Finish(unknown) = %v; want ErrNotFound", err)
	}
	if _, err := s.MarkStale("nope", ""); !isNotFound(err) {
		t.Errorf("MarkStale(unknown) = %v; want ErrNotFound", err)
	}
	if _, err := s.Journal("", 1, 1); err == nil {
		t.Errorf("Journal with an empty key succeeded")
	}
	_, err := s.Journal("G", 1, 1)
	mustDo(t, err)
	if _, err := s.Finish("G", "maybe", ""); err == nil {
		t.Errorf("Finish with outcome %q succeeded", "maybe")
	}
	if st, _ := s.Status("G"); st != StatusReceived {
		t.Errorf("a rejected Finish changed the status to %q", st)
	}
}

func TestJournalKey(t *testing.T) {
	tests := []struct {
		guid  string
		rowid int64
		want  string
	}{
		{"ABC-123", 7, "ABC-123"},
		{" p:0/ABC ", 7, "p:0/ABC"},
		{"", 7, "rowid:7"},
		{"  ", 12, "rowid:12"},
	}
	for _, tt := range tests {
		if got := JournalKey(tt.guid, tt.rowid); got != tt.want {
			t.Errorf("JournalKey(%q, %d) = %q; want %q", tt.guid, tt.rowid, got, tt.want)
		}
	}
	// A guid-less row is journalled under its synthetic key like any other.
	s := openTest(t, t.TempDir(), newFakeClock())
	key := JournalKey("", 7)
	_, err := s.Journal(key, 7, 1)
	mustDo(t, err)
	if prev, _ := s.Journal(JournalKey("", 7), 7, 1); prev != StatusReceived {
		t.Errorf("Journal(%q) again = %q; want received", key, prev)
	}
}

func TestResumePoint(t *testing.T) {
	type step func(s *Store)
	journal := func(key string, rowid int64) step {
		return func(s *Store) { _, err := s.Journal(key, rowid, 1); mustDo(t, err) }
	}
	finish := func(key string) step {
		return func(s *Store) { _, err := s.Finish(key, OutcomeAnswered, ""); mustDo(t, err) }
	}
	stale := func(key string) step {
		return func(s *Store) { _, err := s.MarkStale(key, "old"); mustDo(t, err) }
	}
	emit := func(key string) step { return func(s *Store) { mustDo(t, s.MarkEmitted(key)) } }
	cursor := func(c int64) step { return func(s *Store) { mustDo(t, s.SetCursor(c)) } }

	tests := []struct {
		name  string
		steps []step
		want  int64
	}{
		{"empty store", nil, 0},
		{"cursor only", []step{cursor(40)}, 40},
		{"all terminal: the cursor", []step{journal("a", 10), journal("b", 11), finish("a"), stale("b"), cursor(11)}, 11},
		{"lowest unfinished minus one", []step{journal("a", 10), journal("b", 11), journal("c", 12), finish("a"), cursor(12)}, 10},
		{"emitted counts as unfinished", []step{journal("a", 10), journal("b", 11), emit("b"), finish("a"), cursor(11)}, 10},
		{"gaps in rowids", []step{journal("a", 10), journal("b", 20), finish("a"), cursor(20)}, 19},
		{"no cursor yet", []step{journal("a", 10), journal("b", 11)}, 9},
		{"crash before the cursor moved", []step{cursor(5), journal("a", 9)}, 5},
		{"rewound cursor wins", []step{journal("a", 10), journal("b", 30), cursor(30), finish("a"), cursor(3)}, 3},
		{"rowid 0 never goes negative", []step{journal("a", 0)}, 0},
	}
	for _, tt := range tests {
		s := openTest(t, t.TempDir(), newFakeClock())
		for _, f := range tt.steps {
			f(s)
		}
		if got, err := s.ResumePoint(); err != nil || got != tt.want {
			t.Errorf("%s: ResumePoint() = %d, %v; want %d", tt.name, got, err, tt.want)
		}
	}
}

func TestPendingAndCounts(t *testing.T) {
	s := openTest(t, t.TempDir(), newFakeClock())
	for _, e := range []struct {
		key   string
		rowid int64
	}{{"c", 30}, {"a", 10}, {"d", 40}, {"b", 20}, {"e", 50}} {
		_, err := s.Journal(e.key, e.rowid, 1)
		mustDo(t, err)
	}
	mustDo(t, s.MarkEmitted("d"))
	_, err := s.Finish("b", OutcomeAnswered, "")
	mustDo(t, err)
	_, err = s.MarkStale("e", "old")
	mustDo(t, err)

	p, err := s.Pending()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, e := range p {
		keys = append(keys, e.Key)
	}
	if got := strings.Join(keys, " "); got != "a c d" {
		t.Errorf("Pending() keys = %q; want \"a c d\" (rowid order, non-terminal only)", got)
	}
	counts, err := s.JournalCounts()
	if err != nil {
		t.Fatal(err)
	}
	want := map[Status]int{StatusReceived: 2, StatusEmitted: 1, StatusFinished: 1, StatusStale: 1}
	for st, n := range want {
		if counts[st] != n {
			t.Errorf("JournalCounts()[%s] = %d; want %d", st, counts[st], n)
		}
	}
}

func TestPruneJournal(t *testing.T) {
	clk := newFakeClock()
	s := openTest(t, t.TempDir(), clk)
	for i, key := range []string{"old-done", "old-open", "new-done"} {
		_, err := s.Journal(key, int64(i+1), 1)
		mustDo(t, err)
	}
	_, err := s.Finish("old-done", OutcomeAnswered, "")
	mustDo(t, err)
	clk.Advance(48 * time.Hour)
	_, err = s.Finish("new-done", OutcomeDropped, "x")
	mustDo(t, err)
	n, err := s.PruneJournal(clk.Now().Add(-24 * time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("PruneJournal = %d, %v; want 1", n, err)
	}
	if _, err := s.Entry("old-done"); !isNotFound(err) {
		t.Errorf("old finished entry survived the prune: %v", err)
	}
	for _, key := range []string{"old-open", "new-done"} {
		if _, err := s.Entry(key); err != nil {
			t.Errorf("Entry(%q) after prune = %v; want kept", key, err)
		}
	}
}
