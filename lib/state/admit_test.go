package state

import (
	"fmt"
	"testing"
	"time"
)

func TestAdmitVerdicts(t *testing.T) {
	clk := newFakeClock()
	s := openTest(t, t.TempDir(), clk)
	mustDo(t, s.SetCursor(5))
	mustFinish := func(key string) {
		t.Helper()
		if _, err := s.Finish(key, OutcomeAnswered, ""); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Admit([]Arrival{
		{Key: "A", RowID: 6, ChatID: 1},
		{Key: "B", RowID: 7, ChatID: 1, Stale: true, StaleReason: "stale"},
		{Key: "A", RowID: 6, ChatID: 2}, // joined to two chats: once is enough
	}, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []Verdict{Emit, Fence, Skip}
	for i, w := range want {
		if got[i].Verdict != w {
			t.Errorf("first batch [%d] = %+v; want verdict %d", i, got[i], w)
		}
	}
	if c, _ := s.Cursor(); c != 7 {
		t.Errorf("cursor = %d; want 7", c)
	}
	if e, _ := s.Entry("A"); e.Status != StatusEmitted || e.Emits != 1 {
		t.Errorf("A = %+v; want emitted once", e)
	}
	if e, _ := s.Entry("B"); e.Status != StatusStale || e.Reason != "stale" {
		t.Errorf("B = %+v; want stale", e)
	}

	// After a restart: A is unfinished (redeliver), B stays fenced (skip),
	// C is finished (skip). A lower batch never moves the cursor back.
	if _, err := s.Admit([]Arrival{{Key: "C", RowID: 8}}, 3, 0); err != nil {
		t.Fatal(err)
	}
	mustFinish("C")
	got, err = s.Admit([]Arrival{{Key: "A", RowID: 6}, {Key: "B", RowID: 7}, {Key: "C", RowID: 8}}, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Verdict != Redeliver || got[0].Prev != StatusEmitted || got[0].Emits != 1 ||
		got[1].Verdict != Skip || got[2].Verdict != Skip {
		t.Errorf("replay = %+v", got)
	}
	if c, _ := s.Cursor(); c != 8 {
		t.Errorf("cursor = %d; want 8", c)
	}

	// A message emitted maxEmits times is given up only once it has also
	// been pending for giveUpAfter: quick restarts alone never do it.
	if got, _ := s.Admit([]Arrival{{Key: "A", RowID: 6}}, 3, 0); got[0].Verdict != Redeliver {
		t.Fatalf("third emit = %+v; want redeliver", got[0])
	}
	if got, _ := s.Admit([]Arrival{{Key: "A", RowID: 6}}, 3, time.Hour); got[0].Verdict != Redeliver {
		t.Fatalf("fourth arrival within the hour = %+v; want redeliver", got[0])
	}
	clk.Advance(time.Hour)
	got, _ = s.Admit([]Arrival{{Key: "A", RowID: 6}}, 3, time.Hour)
	if got[0].Verdict != GiveUp {
		t.Errorf("fourth arrival = %+v; want give up", got[0])
	}
	if e, _ := s.Entry("A"); e.Status != StatusFinished || e.Outcome != OutcomeDropped || e.Reason != ReasonRedeliveryLimit {
		t.Errorf("A after give-up = %+v", e)
	}
	if r, _ := s.ResumePoint(); r != 8 {
		t.Errorf("resume point = %d; want the cursor 8 once nothing is open", r)
	}
}

func TestForgetPositions(t *testing.T) {
	s := openTest(t, t.TempDir(), newFakeClock())
	if _, err := s.Admit([]Arrival{{Key: "OLD", RowID: 900}, {Key: "OLD2", RowID: 950}}, 0, 0); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.ResumePoint(); r != 899 {
		t.Fatalf("resume point = %d; want 899", r)
	}
	// The database was replaced and now ends at row 40.
	mustDo(t, s.ForgetPositions(40))
	if r, _ := s.ResumePoint(); r != 40 {
		t.Errorf("resume point after ForgetPositions(40) = %d; want 40", r)
	}
	if st, _ := s.Status("OLD"); st != StatusEmitted {
		t.Errorf("OLD status = %q; want it kept (emitted)", st)
	}
	// Seen again at its new position, it is a redelivery and moves with it.
	got, _ := s.Admit([]Arrival{{Key: "OLD", RowID: 12}}, 0, 0)
	if got[0].Verdict != Redeliver {
		t.Errorf("OLD again = %+v; want redeliver", got[0])
	}
	if e, _ := s.Entry("OLD"); e.RowID != 12 {
		t.Errorf("OLD rowid = %d; want 12", e.RowID)
	}
}

// BenchmarkAdmit measures journalling a catch-up burst of 100 new rows in
// one transaction (the size of one imsg watch poll).
func BenchmarkAdmit(b *testing.B) {
	s := openTest(b, b.TempDir(), newFakeClock())
	batch := make([]Arrival, 100)
	row := int64(0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range batch {
			row++
			batch[j] = Arrival{Key: fmt.Sprintf("G-%d", row), RowID: row, ChatID: 1}
		}
		if _, err := s.Admit(batch, 5, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "rows/s")
}
