package state

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestHistoryAppendListClear(t *testing.T) {
	s := openTest(t, t.TempDir(), newFakeClock())
	for i := range 5 {
		e := HistoryEntry{Sender: "+15550001111", Body: fmt.Sprint("m", i), CreatedAt: "2026-05-16T09:00:00.000Z",
			MessageID: fmt.Sprint(i), GUID: fmt.Sprint("G", i)}
		if err := s.AppendHistory("chat_id:7", e, 3); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AppendHistory("chat_id:8", HistoryEntry{Sender: "x", Body: "other"}, 3); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendHistory("chat_id:9", HistoryEntry{Sender: "x", Body: "off"}, 0); err != nil {
		t.Fatal(err)
	}
	got, err := s.History("chat_id:7", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Body != "m2" || got[2].Body != "m4" || got[2].GUID != "G4" || got[2].MessageID != "4" ||
		got[2].Added.IsZero() || got[2].CreatedAt == "" {
		t.Fatalf("History = %+v; want m2..m4 (limit 3), oldest first", got)
	}
	if last2, _ := s.History("chat_id:7", 2); len(last2) != 2 || last2[0].Body != "m3" {
		t.Errorf("History(limit 2) = %+v; want the newest two", last2)
	}
	if off, _ := s.History("chat_id:9", 0); len(off) != 0 {
		t.Errorf("limit 0 stored %+v", off)
	}
	// Clearing through the last entry read keeps one appended since.
	if err := s.AppendHistory("chat_id:7", HistoryEntry{Sender: "y", Body: "late"}, 3); err != nil {
		t.Fatal(err)
	}
	n, err := s.ClearHistory("chat_id:7", got[2].ID)
	if err != nil || n != 2 { // m3 and m4 remained of those read (m2 was trimmed by "late")
		t.Errorf("ClearHistory = %d, %v", n, err)
	}
	rest, _ := s.History("chat_id:7", 0)
	if len(rest) != 1 || rest[0].Body != "late" {
		t.Errorf("after clear: %+v; want only the late entry", rest)
	}
	if n, _ := s.ClearHistory("chat_id:8", 0); n != 1 {
		t.Errorf("ClearHistory(all) removed %d; want 1", n)
	}
}

func TestHistoryCapsChatsAndBodies(t *testing.T) {
	s := openTest(t, t.TempDir(), newFakeClock())
	var b Batch
	for i := range MaxHistoryChats + 2 {
		b.AppendHistory(fmt.Sprint("chat_id:", i+1), HistoryEntry{Sender: "x", Body: "b"}, 5)
	}
	if err := s.Commit(&b); err != nil {
		t.Fatal(err)
	}
	var chats int
	if err := s.db.QueryRow(`SELECT COUNT(DISTINCT chat_key) FROM group_history`).Scan(&chats); err != nil || chats != MaxHistoryChats {
		t.Errorf("%d chats kept, %v; want %d", chats, err, MaxHistoryChats)
	}
	if h, _ := s.History("chat_id:1", 0); len(h) != 0 {
		t.Errorf("the least recent chat survived the cap")
	}
	if h, _ := s.History(fmt.Sprint("chat_id:", MaxHistoryChats+2), 0); len(h) != 1 {
		t.Errorf("the newest chat was dropped")
	}
	long := strings.Repeat("é", MaxHistoryBody)
	if err := s.AppendHistory("chat_id:big", HistoryEntry{Sender: "x", Body: long}, 5); err != nil {
		t.Fatal(err)
	}
	h, _ := s.History("chat_id:big", 0)
	if len(h) != 1 || len(h[0].Body) > MaxHistoryBody || !utf8.ValidString(h[0].Body) || !strings.HasSuffix(h[0].Body, "…") {
		t.Errorf("a huge body was stored as %d bytes (valid UTF-8: %v)", len(h[0].Body), utf8.ValidString(h[0].Body))
	}
}
