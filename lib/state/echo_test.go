package state

import (
	"testing"
	"time"
)

func TestNormalizeEchoText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"hello", "hello"},
		{"  hello \r\n", "hello"},
		{"line one\r\nline two", "line one line two"},
		{"a \t\n  b", "a b"},
		// Prefix shapes seen in the wild (#64309, #79036): junk, maybe one
		// printable length byte, more junk.
		{"\x93b\x02Confirmed — full access", "Confirmed — full access"},
		{"\u0093b\u0002Confirmed", "Confirmed"},
		{"\ufffd\ufffd\u0003Fine", "Fine"},
		{"\ufffd/\u0001Pong", "Pong"},
		{"\ufffd\ufffd\u0000Plain", "Plain"},
		{"\x00\x00hello", "hello"},
		{"\ufffcCaption", "Caption"},
		{"\nA\nB", "A B"}, // whitespace alone is no marker
		{"\u200b\x02hi", "hi"},
		{"mid\x02dle", "mid\x02dle"},
		{"\ufffd\ufffchello", "hello"},
		{"\x01\x02\x1bhello", "hello"},
		{"\ufeff\ufffe\uffffhi", "hi"},
		{" \ufffd \x02 hi", "hi"},
		{"it’s “quoted” ‘here’", `it's "quoted" 'here'`},
		{"„low“ ‚low‘", `"low" 'low'`},
		{"❤️ ok", "❤ ok"},
		{"☺︎", "☺"},
		{"zero\u200bwidth\u200d\u2060", "zerowidth"},
		{"keep \ufffc middle", "keep \ufffc middle"}, // only leading residue goes
		{"Case Kept", "Case Kept"},
		{"", ""},
		{" \n\t ", ""},
		{"\ufffc", ""},
		{"non\u00a0breaking", "non breaking"},
	}
	for _, tt := range tests {
		got := NormalizeEchoText(tt.in)
		if got != tt.want {
			t.Errorf("NormalizeEchoText(%q) = %q; want %q", tt.in, got, tt.want)
		}
		if again := NormalizeEchoText(got); again != got {
			t.Errorf("NormalizeEchoText(%q) = %q; not idempotent", got, again)
		}
	}
}

func FuzzNormalizeEchoText(f *testing.F) {
	for _, s := range []string{"\x93b\x02Hi", " a  b ", "\u200b\x02x", "“q”", "\ufffc", "\nA\nB", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		once := NormalizeEchoText(s)
		if twice := NormalizeEchoText(once); twice != once {
			t.Fatalf("NormalizeEchoText(%q) = %q, then %q; want idempotent", s, once, twice)
		}
	})
}

func TestEchoGUIDWins(t *testing.T) {
	clk := newFakeClock()
	s := openTest(t, t.TempDir(), clk)
	mustDo(t, s.RememberSent("chat_id:1", "OUT-1", "Reply text"))

	seen := func(scope, guid, text string) bool {
		t.Helper()
		hit, err := s.SeenEcho(scope, guid, text, 0)
		mustDo(t, err)
		return hit
	}
	// The guid matches whatever the text, long after the text TTL.
	clk.Advance(2 * time.Hour)
	if !seen("chat_id:1", "OUT-1", "garbled \x02text") {
		t.Errorf("guid match after 2h = false; want true")
	}
	if !seen("chat_id:1", " OUT-1 ", "") {
		t.Errorf("guid match (again, trimmed) = false; want true: the guid keeps matching")
	}
	if seen("chat_id:2", "OUT-1", "Reply text") {
		t.Errorf("guid matched in another scope")
	}
	clk.Advance(EchoRetention)
	if seen("chat_id:1", "OUT-1", "") {
		t.Errorf("guid matched after the retention window")
	}
}

func TestEchoTextTTLAndOneShot(t *testing.T) {
	clk := newFakeClock()
	s := openTest(t, t.TempDir(), clk)
	seen := func(guid, text string, ttl time.Duration) bool {
		t.Helper()
		hit, err := s.SeenEcho("+15551234567", guid, text, ttl)
		mustDo(t, err)
		return hit
	}
	// imsg answered {ok:true}: no real guid, so text must do (#64309).
	mustDo(t, s.RememberSent("+15551234567", "ok", "On my way"))
	clk.Advance(20 * time.Second)
	if !seen("IN-1", "\ufffd\x02On my way ", 0) {
		t.Errorf("text echo with residue within TTL = false; want true")
	}
	// One-shot: the user typing the same words next is not swallowed.
	if seen("IN-2", "On my way", 0) {
		t.Errorf("second text match = true; want false (one-shot)")
	}

	mustDo(t, s.RememberSent("+15551234567", "", "Later"))
	clk.Advance(DefaultEchoTTL + time.Second)
	if seen("IN-3", "Later", 0) {
		t.Errorf("text match after the default TTL = true; want false")
	}
	if !seen("IN-3", "Later", time.Minute) {
		t.Errorf("text match with a longer explicit TTL = false; want true")
	}

	// Two identical sends are swallowed once each.
	mustDo(t, s.RememberSent("+15551234567", "", "twice"))
	mustDo(t, s.RememberSent("+15551234567", "", "twice"))
	got := []bool{seen("", "twice", 0), seen("", "twice", 0), seen("", "twice", 0)}
	if !got[0] || !got[1] || got[2] {
		t.Errorf("matches of a text sent twice = %v; want [true true false]", got)
	}
	if seen("", "never sent", 0) || seen("", "", 0) || seen("unknown", "  ", 0) {
		t.Errorf("unsent or blank text matched")
	}
}

func TestEchoRealGUIDBlocksText(t *testing.T) {
	clk := newFakeClock()
	s := openTest(t, t.TempDir(), clk)
	seen := func(guid, text string) bool {
		t.Helper()
		hit, err := s.SeenEcho("scope", guid, text, 0)
		mustDo(t, err)
		return hit
	}
	// The agent's text was stored with its real guid: a message with the
	// same text and another guid is the user (#47830).
	mustDo(t, s.RememberSent("scope", "OUT-9", "same words"))
	if seen("USER-1", "same words") {
		t.Errorf("same text, different real guid = echo; want not an echo")
	}
	// A row without a guid may still match by text.
	if !seen("", "same words") {
		t.Errorf("same text, inbound without guid = not an echo; want echo")
	}
	// The most recent remember decides: the latest copy has no guid, so
	// text matching is allowed even for an inbound row with a guid.
	mustDo(t, s.RememberSent("scope", "OUT-10", "again"))
	mustDo(t, s.RememberSent("scope", "", "again"))
	if !seen("USER-2", "again") {
		t.Errorf("text last remembered without guid = not an echo; want echo")
	}
	// The echo arriving by guid consumes its text too.
	mustDo(t, s.RememberSent("scope", "OUT-11", "by guid"))
	if !seen("OUT-11", "by guid") || seen("", "by guid") {
		t.Errorf("after a guid hit, the text must not match a guid-less row")
	}
}

func TestEchoPrune(t *testing.T) {
	clk := newFakeClock()
	s := openTest(t, t.TempDir(), clk)
	mustDo(t, s.RememberSent("s", "OLD", "old"))
	clk.Advance(EchoRetention + time.Minute)
	// Fill past the cap directly, then let one RememberSent prune.
	tx, err := s.db.Begin()
	mustDo(t, err)
	for i := 0; i < EchoMaxRows+10; i++ {
		_, err := tx.Exec(`INSERT INTO echo (scope, guid, text, created) VALUES ('s', ?, 'x', ?)`,
			"G"+time.Duration(i).String(), clk.Now().UnixMilli())
		mustDo(t, err)
	}
	mustDo(t, tx.Commit())
	mustDo(t, s.RememberSent("s", "NEWEST", "newest"))
	var n int
	mustDo(t, s.db.QueryRow(`SELECT COUNT(*) FROM echo`).Scan(&n))
	if n != EchoMaxRows {
		t.Errorf("echo rows after prune = %d; want %d", n, EchoMaxRows)
	}
	var oldLeft, newest int
	mustDo(t, s.db.QueryRow(`SELECT COUNT(*) FROM echo WHERE guid = 'OLD'`).Scan(&oldLeft))
	mustDo(t, s.db.QueryRow(`SELECT COUNT(*) FROM echo WHERE guid = 'NEWEST'`).Scan(&newest))
	if oldLeft != 0 || newest != 1 {
		t.Errorf("prune kept old=%d newest=%d; want 0 and 1", oldLeft, newest)
	}
	// Nothing to remember stores nothing.
	mustDo(t, s.RememberSent("s", "ok", " \n"))
	mustDo(t, s.db.QueryRow(`SELECT COUNT(*) FROM echo`).Scan(&n))
	if n != EchoMaxRows {
		t.Errorf("RememberSent of nothing stored a row")
	}
}
