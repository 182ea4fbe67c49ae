package send

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	tests := []struct {
		in   string
		want Rate
		err  bool
	}{
		{"1/s", Rate{1, time.Second}, false},
		{"30/m", Rate{30, time.Minute}, false},
		{" 30 / min ", Rate{30, time.Minute}, false},
		{"200/h", Rate{200, time.Hour}, false},
		{"1000/day", Rate{1000, 24 * time.Hour}, false},
		{"3/500ms", Rate{3, 500 * time.Millisecond}, false},
		{"0", Rate{}, false},
		{"off", Rate{}, false},
		{"", Rate{}, false},
		{"0/s", Rate{}, false},
		{"5", Rate{}, true},
		{"x/s", Rate{}, true},
		{"-1/s", Rate{}, true},
		{"1/fortnight", Rate{}, true},
		{"1/-1s", Rate{}, true},
	}
	for _, tt := range tests {
		got, err := ParseRate(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
	for _, r := range []Rate{{1, time.Second}, {30, time.Minute}, {7, time.Hour}, {9, 24 * time.Hour}, {3, 90 * time.Second}, {}} {
		if back, err := ParseRate(r.String()); err != nil || back != r {
			t.Errorf("ParseRate(%q) = %v, %v; want %v back", r.String(), back, err, r)
		}
	}
}

var t0 = time.Date(2026, 5, 16, 9, 0, 0, 0, time.UTC)

// reserve books n sends to chat at now and returns the waits.
func reserve(t *testing.T, p *Pacer, chat string, now time.Time, n int) []time.Duration {
	t.Helper()
	var out []time.Duration
	for i := 0; i < n; i++ {
		d, err := p.Reserve(chat, now, now)
		if err != nil {
			t.Fatalf("Reserve(%s) #%d: %v", chat, i+1, err)
		}
		out = append(out, d.Wait)
	}
	return out
}

func TestPacerPerChatBurstThenRate(t *testing.T) {
	p := NewPacer(Limits{ChatRate: Rate{1, time.Second}, ChatBurst: 5}, nil)
	got := reserve(t, p, "chat_id:1", t0, 7)
	want := []time.Duration{0, 0, 0, 0, 0, time.Second, 2 * time.Second}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("waits = %v; want %v (a burst of 5, then one a second)", got, want)
	}
	// Another chat has its own bucket.
	if got := reserve(t, p, "chat_id:2", t0, 1); got[0] != 0 {
		t.Errorf("other chat waits %v; want 0", got[0])
	}
	// Once the owed time has passed, plus a second, one token is back.
	d, _ := p.Reserve("chat_id:1", t0.Add(3*time.Second), t0)
	if d.Wait != 0 {
		t.Errorf("wait after 3 s = %v; want 0", d.Wait)
	}
	d, _ = p.Reserve("chat_id:1", t0.Add(3*time.Second), t0)
	if d.Wait != time.Second || !strings.HasPrefix(d.Limit, "per-chat rate 1/s (burst 5)") {
		t.Errorf("next = %+v; want 1s, per-chat limit", d)
	}
	// A long quiet spell refills to the burst, no further.
	got = reserve(t, p, "chat_id:1", t0.Add(time.Hour), 6)
	if got[4] != 0 || got[5] != time.Second {
		t.Errorf("waits after an hour = %v; want 5 free then 1s", got)
	}
}

func TestPacerGlobalLimitAcrossChats(t *testing.T) {
	p := NewPacer(Limits{ChatRate: Rate{1, time.Second}, ChatBurst: 5, GlobalRate: Rate{30, time.Minute}, GlobalBurst: 3}, nil)
	var waits []time.Duration
	for i := 0; i < 5; i++ {
		d, err := p.Reserve(fmt.Sprintf("chat_id:%d", i), t0, t0)
		if err != nil {
			t.Fatal(err)
		}
		waits = append(waits, d.Wait)
		if i == 4 && !strings.HasPrefix(d.Limit, "global rate 30/m (burst 3)") {
			t.Errorf("limit = %q; want the global one", d.Limit)
		}
	}
	want := []time.Duration{0, 0, 0, 2 * time.Second, 4 * time.Second}
	if fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Errorf("waits = %v; want %v (burst 3, then one every 2 s)", waits, want)
	}
}

func TestPacerDailyCap(t *testing.T) {
	// Two sends in the ledger from earlier runs, one of them over a day old.
	history := []time.Time{t0.Add(-25 * time.Hour), t0.Add(-time.Hour)}
	p := NewPacer(Limits{DailyCap: 3}, history)
	for i := 0; i < 2; i++ {
		if _, err := p.Reserve("c", t0, t0); err != nil {
			t.Fatalf("send %d: %v; want allowed (the 25 h old one does not count)", i+1, err)
		}
	}
	_, err := p.Reserve("c", t0, t0)
	var ce *CapError
	if !errors.As(err, &ce) || !errors.Is(err, ErrDailyCap) || ce.Cap != 3 || !ce.Next.Equal(t0.Add(23*time.Hour)) {
		t.Fatalf("third send: %v; want the cap, freeing at %v", err, t0.Add(23*time.Hour))
	}
	want := "daily send cap reached: 3 sent in the last 24 hours (--daily-cap); not sent; sending may resume at 2026-05-17T08:00:00Z"
	if err.Error() != want {
		t.Errorf("error = %q; want %q", err, want)
	}
	// A refused send books nothing: when the hour-old one leaves the
	// window, exactly one more may go.
	if _, err := p.Reserve("c", t0, t0.Add(23*time.Hour+time.Second)); err != nil {
		t.Errorf("after the oldest left the window: %v", err)
	}
	if _, err := p.Reserve("c", t0, t0.Add(23*time.Hour+time.Second)); !errors.Is(err, ErrDailyCap) {
		t.Errorf("then: %v; want the cap again", err)
	}
}

func TestPacerUnlimited(t *testing.T) {
	p := NewPacer(Limits{}, nil)
	for _, w := range reserve(t, p, "c", t0, 100) {
		if w != 0 {
			t.Fatalf("wait %v with no limits", w)
		}
	}
	if p.Chats() != 0 {
		t.Errorf("%d buckets kept with no per-chat rate", p.Chats())
	}
}

func TestPacerForgetsIdleChats(t *testing.T) {
	p := NewPacer(Limits{ChatRate: Rate{1, time.Second}, ChatBurst: 5}, nil)
	for i := 0; i < maxChats; i++ {
		p.Reserve(fmt.Sprintf("chat_id:%d", i), t0, t0)
	}
	if p.Chats() != maxChats {
		t.Fatalf("%d buckets; want %d", p.Chats(), maxChats)
	}
	// Seconds later every bucket is full again: the next new chat prunes them.
	p.Reserve("new", t0.Add(10*time.Second), t0)
	if p.Chats() != 1 {
		t.Errorf("%d buckets after pruning; want 1", p.Chats())
	}
}

func TestBackoff(t *testing.T) {
	for n, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second} {
		if got := backoff(time.Second, 10*time.Second, n+1); got != want {
			t.Errorf("backoff(1s, 10s, %d) = %v; want %v", n+1, got, want)
		}
	}
}
