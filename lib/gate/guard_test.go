package gate

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imsg-toolkit/imsg/lib/imsg"
	"github.com/imsg-toolkit/imsg/lib/record"
)

func TestReflectionMarkers(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"I was thinking about the final thought", nil},
		{"<final>done</final>", []string{"final-tag"}},
		{"<final reason=x>", []string{"final-tag"}},
		{"<final unclosed", nil},
		{"<thought about it", nil},
		{"</Thinking>", []string{"thinking-tag"}},
		{"<antthinking>x", []string{"thinking-tag"}},
		{"<relevant_memories> <relevant-memories>", []string{"relevant-memories-tag"}},
		{"assistant to=functions.exec", []string{"assistant-role-marker"}},
		{"Assistant  TO = bash", []string{"assistant-role-marker"}},
		{"the assistant went to the shop", nil},
		{"#+#+#", []string{"internal-separator"}},
		{"#+", nil},
		{"`<final>` is a tag", nil},
		{"```\n<think>\nassistant to=x\n```\nfine", nil},
		{"```\n<think>\n```\n<final>", []string{"final-tag"}},
		{"~~~\n<think>\n~~~", nil},
		{"an `unclosed <final> tick", []string{"final-tag"}},
		{"<think>x</think> and <final>y</final>", []string{"thinking-tag", "final-tag"}},
	}
	for _, tc := range tests {
		if got := ReflectionMarkers(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("ReflectionMarkers(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func TestSelfChatSequence(t *testing.T) {
	clk := &mutableClock{t: t0}
	g := newGate(t, cfg(`dmPolicy: "allowlist", allowFrom: ["`+owner+`"]`), Options{Clock: clk})
	look := &fakeLookups{}
	mine := with(dm(owner, "buy milk"), func(m *imsg.Message) { m.IsFromMe, m.DestinationCallerID = true, owner })
	copyOf := with(dm(owner, "buy milk"), func(m *imsg.Message) { m.ID, m.GUID = 11, "G-11" })
	decide := func(m *imsg.Message) Decision {
		t.Helper()
		d, err := g.Decide(record.KindMessage, m, look)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if d := decide(mine); d.Action != Dispatch {
		t.Fatalf("from-me self-chat row = %+v; want dispatch", d)
	}
	if d := decide(copyOf); d.Reason != ReasonSelfChatEcho {
		t.Errorf("its reflected copy = %q; want %q", d.Reason, ReasonSelfChatEcho)
	}
	later := with(dm(owner, "buy milk"), func(m *imsg.Message) { m.CreatedAt = "2026-05-16T08:59:01.000Z" })
	if d := decide(later); d.Action != Dispatch {
		t.Errorf("same text one second later = %q; want dispatch", d.Reason)
	}
	// The cache is scoped per chat: the same text from the owner in a
	// group (a different scope) is not a duplicate.
	ambiguous := with(dm(owner, "note to self"), func(m *imsg.Message) { m.IsFromMe = true })
	if d := decide(ambiguous); d.Reason != ReasonFromMe {
		t.Errorf("ambiguous self-thread row = %q; want from me", d.Reason)
	}
	if d := decide(with(dm(owner, "note to self"), nil2)); d.Reason != ReasonSelfChatEcho {
		t.Errorf("copy of an ambiguous self-thread row = %q; want %q", d.Reason, ReasonSelfChatEcho)
	}
	decide(mine)
	clk.Advance(11 * time.Second)
	if d := decide(copyOf); d.Action != Dispatch {
		t.Errorf("copy after the 10 s TTL = %q; want dispatch", d.Reason)
	}
}

func TestSelfChatCacheBounds(t *testing.T) {
	c := newSelfChatCache()
	for i := range selfChatMax + 1 {
		c.remember(selfChatKey("s", "t", fmt.Sprint("text", i)), t0)
	}
	if c.has(selfChatKey("s", "t", "text0"), t0) {
		t.Errorf("entry 0 survived inserting entry %d", selfChatMax)
	}
	if !c.has(selfChatKey("s", "t", "text1"), t0) {
		t.Errorf("entry 1 was evicted too early")
	}
	long := strings.Repeat("a", 10000)
	if selfChatKey("s", "t", long+"x"+long) == selfChatKey("s", "t", long+"y"+long) {
		t.Errorf("texts differing in the middle share a key")
	}
	if selfChatKey("s", "", "x") != "" || selfChatKey("s", "t", "  ") != "" {
		t.Errorf("a key without a date or text must be empty")
	}
}

func TestLoopBreakerCountsEchoDropsOnly(t *testing.T) {
	clk := &mutableClock{t: t0}
	open := cfg(`dmPolicy: "open", allowFrom: ["*"]`)
	decide := func(g *Gate, look *fakeLookups, m *imsg.Message) Decision {
		t.Helper()
		d, err := g.Decide(record.KindMessage, m, look)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}

	// Any number of ordinary replies (from-me rows) never pause a chat.
	g := newGate(t, open, Options{Clock: clk})
	look := &fakeLookups{}
	for range 20 {
		mine := with(dm(stranger, "a reply"), func(m *imsg.Message) { m.IsFromMe, m.DestinationCallerID = true, owner })
		if d := decide(g, look, mine); d.Reason != ReasonFromMe {
			t.Fatalf("reply row = %q", d.Reason)
		}
	}
	if d := decide(g, look, dm(stranger, "hello")); d.Action != Dispatch {
		t.Fatalf("after 20 replies: %q; want dispatch", d.Reason)
	}

	// Five echoes in a minute do.
	for i := range loopThreshold {
		look.echo = append(look.echo, &echoRow{scope: "chat_id:1", text: fmt.Sprint("echo ", i)})
		if d := decide(g, look, dm(stranger, fmt.Sprint("echo ", i))); d.Reason != ReasonEcho {
			t.Fatalf("echo %d = %q", i, d.Reason)
		}
	}
	if d := decide(g, look, dm(stranger, "hello")); d.Reason != ReasonEchoLoop {
		t.Errorf("after %d echoes: %q; want %q", loopThreshold, d.Reason, ReasonEchoLoop)
	}
	other := with(dm(owner, "hello"), func(m *imsg.Message) { m.ChatID = 2 })
	if d := decide(g, look, other); d.Action != Dispatch {
		t.Errorf("another chat = %q; want dispatch (keys are independent)", d.Reason)
	}
	clk.Advance(loopWindow)
	if d := decide(g, look, dm(stranger, "hello")); d.Action != Dispatch {
		t.Errorf("after the window: %q; want dispatch", d.Reason)
	}
	// Reflections count too.
	for range loopThreshold {
		decide(g, look, dm(stranger, "<final>x</final>"))
	}
	if d := decide(g, look, dm(stranger, "hello")); d.Reason != ReasonEchoLoop {
		t.Errorf("after reflections: %q; want %q", d.Reason, ReasonEchoLoop)
	}
}

func TestLoopLimiter(t *testing.T) {
	l := newLoopLimiter(time.Minute, 3)
	if l.limited("k", t0) {
		t.Errorf("unknown key limited")
	}
	for i := range 3 {
		l.record("k", t0.Add(time.Duration(i)*time.Second))
	}
	if !l.limited("k", t0.Add(3*time.Second)) {
		t.Errorf("3 hits in the window not limited")
	}
	if l.limited("k", t0.Add(61*time.Second)) {
		t.Errorf("hits older than the window still count")
	}
	for i := range 5000 {
		l.record(fmt.Sprint("key", i), t0)
	}
	l.record("late", t0.Add(2*time.Minute))
	if len(l.hits) > 4096 {
		t.Errorf("limiter keeps %d idle keys", len(l.hits))
	}
}
