package gate

import (
	"strings"
	"testing"
	"time"
)

func TestMentions(t *testing.T) {
	m, errs := CompileMentions([]string{`\bclaw\b`, "🦞", "molty\bbot"})
	if len(errs) > 0 {
		t.Fatalf("CompileMentions = %v", errs)
	}
	tests := []struct {
		text string
		want bool
	}{
		{"hey claw", true},
		{"HEY CLAW!", true},
		{"clawed", false},
		{"c\u200blaw", true},       // zero-width space inside
		{"\u202eclaw\u202c", true}, // bidi override around
		{"cl\ufeffaw", true},
		{"🦞 please", true},
		{"moltybot", false}, // the backspace became a word boundary
		{"", false},
		{"\u200b\u200b", false},
	}
	for _, tc := range tests {
		if got := m.Match(tc.text); got != tc.want {
			t.Errorf("Match(%q) = %v; want %v", tc.text, got, tc.want)
		}
	}
	if (&Mentions{}).CanDetect() || (*Mentions)(nil).Match("claw") {
		t.Errorf("no patterns must detect nothing")
	}
}

func TestCompileMentionsRefuses(t *testing.T) {
	many := make([]string, MaxMentionPatterns+2)
	for i := range many {
		many[i] = "name" + strings.Repeat("x", i)
	}
	tests := []struct {
		name     string
		patterns []string
		bad      []int
		why      string
	}{
		{"does not compile", []string{"ok", "(unclosed"}, []int{1}, "missing closing"},
		{"matches everything", []string{".*"}, []int{0}, "empty string"},
		{"optional everything", []string{"(claw)?"}, []int{0}, "empty string"},
		{"blank", []string{"  "}, []int{0}, "empty pattern"},
		{"too long", []string{strings.Repeat("a", MaxMentionPatternLength+1)}, []int{0}, "longer than"},
		{"too many", many, []int{MaxMentionPatterns, MaxMentionPatterns + 1}, "more than"},
		{"huge repetition", []string{"(a{1000}){1000}"}, []int{0}, "repeat count"},
		{"perl backreference", []string{`(a)\1`}, []int{0}, "escape"},
	}
	for _, tc := range tests {
		m, errs := CompileMentions(tc.patterns)
		var got []int
		for _, e := range errs {
			got = append(got, e.Index)
			if !strings.Contains(e.Error(), tc.why) {
				t.Errorf("%s: error %q does not say %q", tc.name, e, tc.why)
			}
		}
		if len(got) != len(tc.bad) {
			t.Errorf("%s: refused %v; want %v", tc.name, got, tc.bad)
			continue
		}
		for i := range got {
			if got[i] != tc.bad[i] {
				t.Errorf("%s: refused %v; want %v", tc.name, got, tc.bad)
			}
		}
		if m.CanDetect() != (len(tc.patterns) > len(tc.bad)) {
			t.Errorf("%s: CanDetect = %v", tc.name, m.CanDetect())
		}
	}
}

func TestMentionHugeTextIsLinear(t *testing.T) {
	m, _ := CompileMentions([]string{`(a+)+b`, `\bclaw\b`})
	// A classic catastrophic-backtracking input; RE2 answers in linear
	// time. The deadline only guards against a hang.
	text := strings.Repeat("a", 1<<20)
	done := make(chan bool)
	go func() { done <- m.Match(text) }()
	select {
	case got := <-done:
		if got {
			t.Errorf("Match of a's = true")
		}
	case <-time.After(time.Minute):
		t.Fatal("mention matching hung")
	}
}

func TestStripLeading(t *testing.T) {
	m, _ := CompileMentions([]string{`\bclaw\b`})
	tests := map[string]string{
		"claw /status":    "/status",
		"@claw, /status":  "/status",
		"  @Claw: /new":   "/new",
		"hi claw /status": "hi claw /status",
		"/status":         "/status",
	}
	for in, want := range tests {
		if got := m.StripLeading(in); got != want {
			t.Errorf("StripLeading(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestStripInvisible(t *testing.T) {
	tests := map[string]string{
		"a\u200bb\u200fc\u202ad\u202ee\u2060f\u206fg\ufeffh": "abcdefgh",
		"it’s — fine": "it’s — fine",
		"plain":       "plain",
	}
	for in, want := range tests {
		if got := StripInvisible(in); got != want {
			t.Errorf("StripInvisible(%q) = %q; want %q", in, got, want)
		}
	}
}
