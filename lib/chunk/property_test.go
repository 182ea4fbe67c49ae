package chunk

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// tokens the random texts are made of: words, punctuation, emoji
// sequences, combining marks, CJK, URLs, brackets and odd spaces.
var tokens = []string{
	"a", "word", "longerword", "x", "Hello", "end.", "why?", "wow!", "1.", "(paren", "paren)", "[link]",
	"👍🏽", "👨‍👩‍👧‍👦", "🇯🇵🇫🇷", "1️⃣", "e\u0301", "😀", "日本語。", "한국어", "\u00a0", "é",
	"https://example.com/a/b?c=d", "www.example.org/x", "https://e.co/" + strings.Repeat("p", 60),
	strings.Repeat("z", 50), "#", "|", "`code`", "<b>", "\u200d", "\u0301",
}

var separators = []string{" ", " ", " ", "", "\n", "\n\n", "  ", "\t", "\n \n"}

// randomText builds a text of n tokens, now and then with a fenced block.
func randomText(r *rand.Rand, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if r.Intn(25) == 0 {
			b.WriteString("\n```go\n")
			for j := r.Intn(8); j >= 0; j-- {
				b.WriteString(strings.Repeat("    ", r.Intn(2)))
				for k := r.Intn(6); k >= 0; k-- {
					b.WriteString(tokens[r.Intn(len(tokens))] + " ")
				}
				b.WriteString(strings.Repeat("\n", 1+r.Intn(2)))
			}
			if r.Intn(8) != 0 || i < n-1 {
				b.WriteString("```\n")
			}
			continue
		}
		b.WriteString(tokens[r.Intn(len(tokens))])
		b.WriteString(separators[r.Intn(len(separators))])
	}
	return b.String()
}

func dropSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// checkPieces asserts the splitter's guarantees for one input.
func checkPieces(t *testing.T, text string, limit int, mode Mode) {
	t.Helper()
	ps := split(text, limit, mode, 0)
	cur := 0
	fail := func(format string, args ...any) {
		t.Helper()
		var near strings.Builder
		for k := max(0, cur-2); k < min(len(ps), cur+2); k++ {
			fmt.Fprintf(&near, "\n\tpart %d: head %q body %q tail %q", k+1, ps[k].head, ps[k].body, ps[k].tail)
		}
		t.Fatalf("Split(%q, %d, %s): "+format+near.String(), append([]any{text, limit, mode}, args...)...)
	}
	// Cuts must fall between grapheme clusters, except inside a cluster
	// too long to fit in a part at all, which is cut between runes. In a
	// reopened code block the room is smaller by the fence lines (6 + 4)
	// and the line's indentation (4).
	slack := 0
	if strings.Contains(text, "```") {
		slack = 14
	}
	boundaries := map[int]bool{0: true, len(text): true}
	for i := 0; i < len(text); {
		j := clusterEnd(text, i)
		if n := Len(text[i:j]); 2*n > limit || n+slack > limit {
			for k := range text[i:j] {
				boundaries[i+k] = true
			}
		}
		boundaries[j] = true
		i = j
	}
	urls := scanURLs(text)
	balanced := true
	for _, f := range scanFences(text) {
		if f.close == len(text) || 2*(Len(f.head)+Len(f.tail)+2) > limit {
			balanced = false
		}
	}
	var bodies strings.Builder
	at := 0
	for i, p := range ps {
		cur = i
		s := p.String()
		if Len(s) > limit && limit > 1 {
			fail("part %d has %d units: %q", i+1, Len(s), s)
		}
		if !utf8.ValidString(s) {
			fail("part %d is not valid UTF-8: %q", i+1, s)
		}
		if strings.TrimSpace(p.body) == "" {
			fail("part %d is empty: %q", i+1, s)
		}
		if p.head != "" {
			if _, _, _, ok := fenceOpen(strings.TrimSuffix(p.head, "\n")); !ok || !strings.HasSuffix(p.head, "\n") {
				fail("part %d head %q is not a fence line", i+1, p.head)
			}
		}
		if p.tail != "" && !strings.HasPrefix(p.tail, "\n") {
			fail("part %d tail %q is not a fence line", i+1, p.tail)
		}
		// Where the body came from: its non-space runes are the next ones
		// of the text, in order.
		start, end := -1, at
		for _, r := range p.body {
			if unicode.IsSpace(r) {
				continue
			}
			for at < len(text) {
				tr, n := utf8.DecodeRuneInString(text[at:])
				if !unicode.IsSpace(tr) {
					break
				}
				at += n
			}
			tr, n := utf8.DecodeRuneInString(text[at:])
			if at >= len(text) || tr != r {
				fail("part %d: %q is not the next text at byte %d", i+1, p.body, at)
			}
			if start < 0 {
				start = at
			}
			at += n
			end = at
		}
		// Blanks the body keeps at either end (a code line's indentation)
		// come from the text too.
		lead := p.body[:len(p.body)-len(strings.TrimLeftFunc(p.body, unicode.IsSpace))]
		trail := p.body[len(strings.TrimRightFunc(p.body, unicode.IsSpace)):]
		start -= len(lead) - strings.LastIndexByte(lead, '\n') - 1
		if k := strings.IndexByte(trail, '\n'); k >= 0 {
			trail = trail[:k]
		}
		end += len(trail)
		for _, cut := range []int{start, end} {
			if !boundaries[cut] {
				fail("part %d cuts inside a grapheme cluster at byte %d", i+1, cut)
			}
			for _, u := range urls {
				if cut > u[0] && cut < u[1] && 2*Len(text[u[0]:u[1]]) <= limit {
					fail("part %d cuts the URL %q", i+1, text[u[0]:u[1]])
				}
			}
		}
		bodies.WriteString(p.body)
		// When every block of the text is closed and its fence lines fit
		// twice in the limit, a part never leaves a block open.
		if i < len(ps)-1 && balanced {
			if fs := scanFences(s); len(fs) > 0 && fs[len(fs)-1].close == len(s) {
				fail("part %d leaves a code block open: %q", i+1, s)
			}
		}
	}
	if got, want := dropSpace(bodies.String()), dropSpace(text); got != want {
		fail("content changed:\n got %q\nwant %q", got, want)
	}
}

// seed and iterMul let a longer search be run by hand.
var seed, iterMul int64 = 1, 1

func TestSplitProperties(t *testing.T) {
	r := rand.New(rand.NewSource(seed))
	for i := int64(0); i < 3000*iterMul; i++ {
		text := randomText(r, 1+r.Intn(80))
		limit := 2 + r.Intn(200)
		mode := ModeLength
		if r.Intn(2) == 0 {
			mode = ModeNewline
		}
		checkPieces(t, text, limit, mode)
	}
}

// TestSplitPathological runs inputs that once took quadratic time (one
// grapheme cluster of thousands of marks or ZWJs, thousands of URLs, many
// packed paragraphs) through the same checks.
func TestSplitPathological(t *testing.T) {
	texts := []string{
		"a" + strings.Repeat("\u0301", 5000),
		strings.Repeat("👨\u200d", 3000),
		strings.Repeat("https://e.com/x ", 2000),
		strings.Repeat("a\n\n", 5000),
		strings.Repeat("(a ", 5000),
		"```\n" + strings.Repeat("x", 20000) + "\n```",
		strings.Repeat("```go\nx := 1\n```\n", 1000),
	}
	for _, text := range texts {
		for _, limit := range []int{10, 100, 4000} {
			checkPieces(t, text, limit, ModeLength)
			checkPieces(t, text, limit, ModeNewline)
		}
	}
}

func FuzzSplit(f *testing.F) {
	f.Add("Hello there. A second sentence (with parens) follows.\n\nNew paragraph https://example.com/x", uint16(20), false)
	f.Add("```go\nfunc a() {}\n\nfunc b() {}\n```\n\nafter 👍🏽👨‍👩‍👧‍👦🇯🇵1️⃣e\u0301", uint16(24), true)
	f.Add("日本語。テキスト。😀😀😀", uint16(3), false)
	f.Fuzz(func(t *testing.T, text string, limit uint16, newline bool) {
		if !utf8.ValidString(text) || limit < 2 {
			return
		}
		mode := ModeLength
		if newline {
			mode = ModeNewline
		}
		checkPieces(t, text, int(limit), mode)
	})
}

// FuzzReply runs any text through a reply record and the stream: every
// output line is a valid reply with its part number, the part count, the
// derived key and a text within the limit.
func FuzzReply(f *testing.F) {
	f.Add("<think>x</think>Hello [[reply_to_current]] | a |\n|---|\n| 1 |", uint16(20), "[bot]")
	f.Add("```go\nfunc f() {}\n```\n\n👍🏽 https://example.com/x", uint16(12), "auto")
	f.Fuzz(func(t *testing.T, text string, limit uint16, prefix string) {
		if limit < 2 {
			return
		}
		line, _ := json.Marshal(map[string]any{"kind": "reply", "to": "chat_id:1", "key": "k", "text": text})
		s := Settings{Limit: int(limit), Mode: ModeLength, Tables: TablesCode, Prefix: prefix}
		out, _, _, err := runStream(t, string(line)+"\n", s)
		if err != nil {
			t.Fatalf("Stream: %v", err)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		for i, l := range lines {
			var r struct {
				Text  string `json:"text"`
				Key   string `json:"key"`
				Part  int    `json:"part"`
				Parts int    `json:"parts"`
			}
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				t.Fatalf("output line %q: %v", l, err)
			}
			if r.Part != i+1 || r.Parts != len(lines) || r.Key != fmt.Sprintf("k#%d", i+1) {
				t.Fatalf("line %d: part %d/%d key %q", i+1, r.Part, r.Parts, r.Key)
			}
			// A prefix longer than half the limit is split like text, so
			// the limit holds whatever the prefix.
			if Len(r.Text) > int(limit) {
				t.Fatalf("part %d has %d units; limit %d: %q", i+1, Len(r.Text), limit, r.Text)
			}
		}
	})
}
