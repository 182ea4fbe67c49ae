package chunk

import (
	"slices"
	"strings"
	"testing"
)

type splitCase struct {
	name  string
	text  string
	limit int
	want  []string
}

func runSplit(t *testing.T, mode Mode, tests []splitCase) {
	t.Helper()
	for _, tt := range tests {
		got := Split(tt.text, tt.limit, mode)
		limit := tt.limit
		if limit <= 0 {
			limit = DefaultLimit
		}
		if len(tt.text) > 200 {
			if len(got) != len(tt.want) || (len(got) > 0 && got[0] != tt.want[0]) {
				t.Errorf("%s: Split(<%d bytes>, %d, %s) gave %d parts; want %d", tt.name, len(tt.text), tt.limit, mode, len(got), len(tt.want))
			}
			continue
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: Split(%q, %d, %s) =\n\t%q\nwant\n\t%q", tt.name, tt.text, tt.limit, mode, got, tt.want)
			continue
		}
		for _, p := range got {
			if Len(p) > limit {
				t.Errorf("%s: part %q has %d units; limit %d", tt.name, p, Len(p), limit)
			}
		}
	}
}

func TestSplitLimits(t *testing.T) {
	ten := "abcde fghi" // 10 units
	runSplit(t, ModeLength, []splitCase{
		{"empty", "", 10, []string{}},
		{"exactly at the limit", ten, 10, []string{ten}},
		{"one under the limit", ten, 11, []string{ten}},
		{"one over the limit", ten, 9, []string{"abcde", "fghi"}},
		{"blank lines within the limit stay one part", "a\n\nb\nc", 6, []string{"a\n\nb\nc"}},
		// Units are UTF-16 code units: 👍 counts 2.
		{"emoji exactly at the limit", "abcd👍", 6, []string{"abcd👍"}},
		{"emoji one over the limit", "abcd👍", 5, []string{"abcd", "👍"}},
		{"emoji with a space one over", "abc 👍x", 6, []string{"abc", "👍x"}},
		{"hard cut without whitespace", "abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"default limit", strings.Repeat("a", 4000), 0, []string{strings.Repeat("a", 4000)}},
	})
	if got := Split(strings.Repeat("a", 4001), 0, ModeLength); len(got) != 2 || len(got[0]) != 4000 {
		t.Errorf("Split(4001×a, 0) gave %d parts; want 4000 + 1", len(got))
	}
}

func TestSplitBoundaries(t *testing.T) {
	runSplit(t, ModeLength, []splitCase{
		{"paragraph before line",
			"First paragraph here.\n\nSecond one\nwith lines and more", 45,
			[]string{"First paragraph here.", "Second one\nwith lines and more"}},
		{"line before sentence",
			"One. Two three four\nfive six seven eight", 30,
			[]string{"One. Two three four", "five six seven eight"}},
		{"sentence before word",
			"It works. Then some more words follow", 30,
			[]string{"It works.", "Then some more words follow"}},
		{"a tiny early paragraph gives way to a later sentence",
			"Hi\n\nThis sentence ends. And this one goes on and on", 40,
			[]string{"Hi\n\nThis sentence ends.", "And this one goes on and on"}},
		{"a short paragraph alone rather than a sentence cut",
			"Hi!\n\nThis second paragraph has words enough.", 40,
			[]string{"Hi!", "This second paragraph has words enough."}},
		{"an early sentence end rather than a sentence cut",
			"Yes. Then a long sentence that goes on and on", 40,
			[]string{"Yes.", "Then a long sentence that goes on and on"}},
		{"question and exclamation marks end sentences",
			"Really? Yes! And the rest of it", 20,
			[]string{"Really? Yes!", "And the rest of it"}},
		{"closing quote after the full stop",
			`He said "stop." Then more text here`, 22,
			[]string{`He said "stop."`, "Then more text here"}},
		{"a list number is not a sentence end",
			"Steps: 1. mix it all well together", 16,
			[]string{"Steps: 1. mix it", "all well", "together"}},
		{"word break",
			"alpha beta gamma delta", 12,
			[]string{"alpha beta", "gamma delta"}},
		{"no-break space holds",
			"aaaa 10\u00a0km bb", 9,
			[]string{"aaaa", "10\u00a0km bb"}},
		{"CJK sentences break without spaces",
			"今日は晴れです。明日は雨でしょう。", 10,
			[]string{"今日は晴れです。", "明日は雨でしょう。"}},
		{"whitespace at the break is dropped",
			"aaa   \n\n   bbb", 4,
			[]string{"aaa", "bbb"}},
	})
}

func TestSplitParentheses(t *testing.T) {
	runSplit(t, ModeLength, []splitCase{
		{"a parenthetical moves whole to the next part",
			"Intro (a note in parens) end", 22,
			[]string{"Intro", "(a note in parens) end"}},
		{"a parenthetical that fits is not a reason to break early",
			"Intro (a note in parens) tail", 26,
			[]string{"Intro (a note in parens)", "tail"}},
		{"an unmatched closer does not count",
			"a) one two) three four", 12,
			[]string{"a) one two)", "three four"}},
		{"a parenthetical longer than the limit is broken inside",
			"(one two three four five)", 10,
			[]string{"(one two", "three four", "five)"}},
		{"a blank line ends an unclosed parenthesis",
			"(open\n\nnext words here", 12,
			[]string{"(open", "next words", "here"}},
	})
}

func TestSplitFences(t *testing.T) {
	code := "```go\nfunc a() {}\nfunc b() {}\nfunc c() {}\n```"
	runSplit(t, ModeLength, []splitCase{
		{"a block that fits stays whole",
			"Intro text.\n\n" + code + "\n\nOutro.", 60,
			[]string{"Intro text.\n\n" + code, "Outro."}},
		{"a break outside the block is preferred",
			"Intro text.\n" + code, 50,
			[]string{"Intro text.", code}},
		{"a long block is closed and reopened with its info string",
			code, 36,
			[]string{"```go\nfunc a() {}\nfunc b() {}\n```", "```go\nfunc c() {}\n```"}},
		{"text after the split block",
			"```py\nx = 1\ny = 2\nz = 3\n```\nDone.", 22,
			[]string{"```py\nx = 1\ny = 2\n```", "```py\nz = 3\n```\nDone."}},
		{"tilde fence",
			"~~~\nline one\nline two\n~~~", 20,
			[]string{"~~~\nline one\n~~~", "~~~\nline two\n~~~"}},
		{"four-backtick fence keeps its marker",
			"````md\n```\nab\n```\ncd\n````", 24,
			[]string{"````md\n```\nab\n```\n````", "````md\ncd\n````"}},
		{"indented fence",
			"- item\n  ```sh\n  echo one\n  echo two\n  ```", 30,
			[]string{"- item", "```sh\n  echo one\n  ```", "  ```sh\n  echo two\n  ```"}},
		{"blank lines inside the block are kept",
			"```\na\n\nb\n```", 100,
			[]string{"```\na\n\nb\n```"}},
		{"unclosed fence",
			"```js\nlet a\nlet b\nlet c", 20,
			[]string{"```js\nlet a\n```", "```js\nlet b\nlet c"}},
		{"overlong code line is cut at a space, fenced",
			"```\naaaa bbbb cccc dddd\n```", 18,
			[]string{"```\naaaa bbbb\n```", "```\ncccc dddd\n```"}},
		{"a limit too small for fence lines treats the block as text",
			"```go\nab\ncd\n```", 12,
			[]string{"```go\nab\ncd", "```"}},
	})
}

func TestSplitURLs(t *testing.T) {
	url := "https://example.com/some/long/path?q=1"
	runSplit(t, ModeLength, []splitCase{
		{"a URL moves whole to the next part",
			"See " + url, 40,
			[]string{"See", url}},
		{"a URL in text is not cut",
			"Read this: " + url + " now", 45,
			[]string{"Read this:", url + " now"}},
		{"a word glued to a URL is cut before the URL",
			"abcdefgh" + url, 30,
			[]string{"abcdefgh", url[:30], url[30:]}},
		{"a URL longer than the limit is cut as a last resort",
			url, 20,
			[]string{url[:20], url[20:]}},
		{"www links count",
			"xxxxwww.example.com/a/b", 12,
			[]string{"xxxx", "www.example.", "com/a/b"}},
	})
}

func TestSplitGraphemes(t *testing.T) {
	runSplit(t, ModeLength, []splitCase{
		{"skin tones stay on their emoji",
			"👍🏽👍🏽👍🏽", 9,
			[]string{"👍🏽👍🏽", "👍🏽"}},
		{"a ZWJ family is never split",
			"👨‍👩‍👧‍👦👨‍👩‍👧‍👦", 15,
			[]string{"👨‍👩‍👧‍👦", "👨‍👩‍👧‍👦"}},
		{"flags stay paired",
			"🇯🇵🇫🇷🇯🇵", 6,
			[]string{"🇯🇵", "🇫🇷", "🇯🇵"}},
		{"keycaps stay whole",
			"1️⃣2️⃣3️⃣", 7,
			[]string{"1️⃣2️⃣", "3️⃣"}},
		{"combining accents stay on their letter",
			"e\u0301e\u0301e\u0301", 3,
			[]string{"e\u0301", "e\u0301", "e\u0301"}},
		{"surrogate pairs are never split",
			"a😀😀", 2,
			[]string{"a", "😀", "😀"}},
		{"a cluster longer than the limit is cut between runes",
			"a\u0301\u0302\u0303\u0304", 3,
			[]string{"a\u0301\u0302", "\u0303\u0304"}},
		{"a space before a combining mark is not a break",
			"abc \u0301def ghi", 8,
			[]string{"abc \u0301def", "ghi"}},
	})
	// The one case where a part exceeds the limit: a character that needs
	// two units cannot fit in one, and is emitted alone to make progress.
	got := Split("a😀b", 1, ModeLength)
	if !slices.Equal(got, []string{"a", "😀", "b"}) {
		t.Errorf("Split(a😀b, 1) = %q; want a, 😀, b", got)
	}
}

func TestSplitNewline(t *testing.T) {
	runSplit(t, ModeNewline, []splitCase{
		{"within the limit is one part",
			"one\n\ntwo", 100,
			[]string{"one\n\ntwo"}},
		{"short paragraphs are packed",
			"aaa\n\nbbb\n\nccc\n\nddd", 10,
			[]string{"aaa\n\nbbb", "ccc\n\nddd"}},
		{"a paragraph that does not fit starts a part",
			"aaa\n\nbbbbbbbb\n\ncc", 10,
			[]string{"aaa", "bbbbbbbb", "cc"}},
		{"blank-line variants separate paragraphs",
			"aaaa\n  \t\n\nbbbb\n\ncccc", 10,
			[]string{"aaaa\n\nbbbb", "cccc"}},
		{"single newlines stay inside a paragraph",
			"a line\nnext line\n\nz", 17,
			[]string{"a line\nnext line", "z"}},
		{"a long paragraph is split and later ones pack onto its tail",
			"one two three four\n\nfive", 16,
			[]string{"one two three", "four\n\nfive"}},
		{"blank lines inside a fence never split",
			"```\na\n\nb\n```\n\nafter text", 16,
			[]string{"```\na\n\nb\n```", "after text"}},
		{"a fence followed by a line stays together",
			"```\nx\n```\nafter\n\nnext", 16,
			[]string{"```\nx\n```\nafter", "next"}},
	})
}

// TestSplitNoEmptyOrFenceOnlyParts checks small limits across a fenced
// block: no part is empty or made only of fence lines.
func TestSplitNoEmptyOrFenceOnlyParts(t *testing.T) {
	text := "Intro.\n\n```python\nprint(1)\n\nprint(2)\nprint(3)\n```\n\nOutro words here."
	// From 28 units on, the fence lines (9 + 3, twice) fit in half the
	// limit; below that the block is split as plain text.
	for limit := 28; limit <= Len(text); limit++ {
		for _, mode := range []Mode{ModeLength, ModeNewline} {
			for _, p := range Split(text, limit, mode) {
				if strings.TrimSpace(p) == "" {
					t.Errorf("Split(…, %d, %s) has an empty part", limit, mode)
				}
				onlyFence := true
				for _, l := range strings.Split(p, "\n") {
					if _, _, _, ok := fenceOpen(l); !ok && strings.TrimSpace(l) != "" {
						onlyFence = false
					}
				}
				if onlyFence {
					t.Errorf("Split(…, %d, %s) has a part of fence lines only: %q", limit, mode, p)
				}
			}
		}
	}
}
