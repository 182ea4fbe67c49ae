package state

import (
	"fmt"
	"strings"
	"testing"
)

func turnsString(ts []Turn) string {
	var parts []string
	for _, t := range ts {
		parts = append(parts, t.Role[:1]+":"+t.Content)
	}
	return strings.Join(parts, " ")
}

func TestTranscriptTrimsToUserTurns(t *testing.T) {
	s := openTest(t, t.TempDir(), newFakeClock())
	for i := 1; i <= 5; i++ {
		if err := s.RecordExchange("agent:main:main", fmt.Sprintf("G%d", i), fmt.Sprintf("q%d", i), fmt.Sprintf("a%d", i), 3); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RecordExchange("agent:main:imessage:group:7", "X", "other", "session", 3); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		n    int
		want string
	}{
		{0, ""},
		{1, "u:q5 a:a5"},
		{2, "u:q4 a:a4 u:q5 a:a5"},
		{3, "u:q3 a:a3 u:q4 a:a4 u:q5 a:a5"},
		{10, "u:q3 a:a3 u:q4 a:a4 u:q5 a:a5"}, // trimmed to 3 when recorded
	}
	for _, tt := range tests {
		got, err := s.Transcript("agent:main:main", tt.n)
		if err != nil {
			t.Fatal(err)
		}
		if turnsString(got) != tt.want {
			t.Errorf("Transcript(main, %d) = %q; want %q", tt.n, turnsString(got), tt.want)
		}
	}
	got, _ := s.Transcript("agent:main:imessage:group:7", 5)
	if turnsString(got) != "u:other a:session" {
		t.Errorf("other session = %q; want its own exchange only", turnsString(got))
	}
}

func TestRecordExchangeOncePerGUID(t *testing.T) {
	s := openTest(t, t.TempDir(), newFakeClock())
	for range 2 {
		if err := s.RecordExchange("k", "G1", "q", "first answer", 5); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RecordExchange("k", "G1", "q", "second answer", 5); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Transcript("k", 5)
	if turnsString(got) != "u:q a:first answer" {
		t.Errorf("Transcript = %q; want one exchange", turnsString(got))
	}
	reply, ok, err := s.ExchangeReply("k", "G1")
	if err != nil || !ok || reply != "first answer" {
		t.Errorf("ExchangeReply(k, G1) = %q, %v, %v; want the first answer", reply, ok, err)
	}
	if _, ok, _ := s.ExchangeReply("k", "G2"); ok {
		t.Error("ExchangeReply(k, G2) found an exchange that never happened")
	}
	if _, ok, _ := s.ExchangeReply("other", "G1"); ok {
		t.Error("ExchangeReply looked outside its session")
	}
}

func TestRecordExchangeKeepNone(t *testing.T) {
	s := openTest(t, t.TempDir(), newFakeClock())
	s.RecordExchange("k", "G1", "q1", "a1", 5)
	if err := s.RecordExchange("k", "G2", "q2", "a2", 0); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Transcript("k", 5); len(got) != 0 {
		t.Errorf("Transcript after keep 0 = %q; want empty", turnsString(got))
	}
	s.RecordExchange("k", "G3", "q3", "a3", 5)
	n, err := s.ClearTranscript("k")
	if err != nil || n != 2 {
		t.Errorf("ClearTranscript = %d, %v; want 2 turns", n, err)
	}
}
