package chunk

import (
	"slices"
	"strings"
	"testing"
)

func TestResolvePrefix(t *testing.T) {
	full := PrefixVars{Model: "gpt-4o", ModelFull: "openai/gpt-4o", Provider: "openai", ThinkingLevel: "high", IdentityName: "Molty"}
	tests := []struct {
		raw  string
		vars PrefixVars
		want string
	}{
		{"", full, ""},
		{"[bot]", full, "[bot]"},
		{"auto", full, "[Molty]"},
		{"auto", PrefixVars{IdentityName: "  "}, ""},
		{"auto", PrefixVars{}, ""},
		{"Auto", PrefixVars{IdentityName: "X"}, "Auto"}, // only the exact value is special
		{"[{model}]", full, "[gpt-4o]"},
		{"{modelFull} via {provider}", full, "openai/gpt-4o via openai"},
		{"{thinkingLevel}/{think}", full, "high/high"},
		{"{identity.name}|{identityName}", full, "Molty|Molty"},
		{"{MODEL} {IdentityName}", full, "gpt-4o Molty"},
		{"{unknown} {model", full, "{unknown} {model"},
		{"{} {1x} {{model}}", full, "{} {1x} {gpt-4o}"},
		{"[{model}] {identity.name}", PrefixVars{IdentityName: "Molty"}, "[{model}] Molty"},
	}
	for _, tt := range tests {
		if got := ResolvePrefix(tt.raw, tt.vars); got != tt.want {
			t.Errorf("ResolvePrefix(%q, %+v) = %q; want %q", tt.raw, tt.vars, got, tt.want)
		}
	}
}

func TestApplyPrefix(t *testing.T) {
	tests := []struct{ text, prefix, want string }{
		{"hello", "", "hello"},
		{"", "[bot]", ""},
		{"hello", "[bot]", "[bot] hello"},
		{"[bot] hello", "[bot]", "[bot] hello"},
		{"HEARTBEAT_OK", "[bot]", "HEARTBEAT_OK"},
		{"hello", "Bot: ", "Bot: hello"},
		{"```go\nx\n```", "[bot]", "[bot]\n```go\nx\n```"},
		{"```go\nx\n```", "[bot] ", "[bot]\n```go\nx\n```"},
	}
	for _, tt := range tests {
		if got := ApplyPrefix(tt.text, tt.prefix); got != tt.want {
			t.Errorf("ApplyPrefix(%q, %q) = %q; want %q", tt.text, tt.prefix, got, tt.want)
		}
	}
}

func TestReply(t *testing.T) {
	base := Settings{Limit: 20, Mode: ModeLength, Tables: TablesCode}
	with := func(f func(*Settings)) Settings { s := base; f(&s); return s }
	tests := []struct {
		name string
		text string
		s    Settings
		want []string
	}{
		{"empty text is one empty part", "", base, []string{""}},
		{"empty after sanitising", "<think>only thoughts</think>", with(func(s *Settings) { s.Prefix = "[b]" }), []string{""}},
		{"prefix on the first part only",
			"one two three four five six", with(func(s *Settings) { s.Prefix = "[b]" }),
			[]string{"[b] one two three", "four five six"}},
		// "[b] " takes 4 units: 16 units of text still fit in one part of 20 …
		{"prefix fits exactly", strings.Repeat("x", 16), with(func(s *Settings) { s.Prefix = "[b]" }),
			[]string{"[b] " + strings.Repeat("x", 16)}},
		// … but 17 do not: the prefix counts towards the first part's limit,
		// and it is never left alone in a bubble.
		{"prefix one over", strings.Repeat("x", 17), with(func(s *Settings) { s.Prefix = "[b]" }),
			[]string{"[b] " + strings.Repeat("x", 16), "x"}},
		{"prefix one over, with words", "aaaaaaaa bbbbbbbb", with(func(s *Settings) { s.Prefix = "[b]" }),
			[]string{"[b] aaaaaaaa", "bbbbbbbb"}},
		{"prefix before a code block", "```\nab\ncd\nef\n```", with(func(s *Settings) { s.Prefix = "[b]"; s.Limit = 18 }),
			[]string{"[b]\n```\nab\ncd\n```", "```\nef\n```"}},
		{"a prefix longer than half the limit is split as text", "hello", with(func(s *Settings) { s.Prefix = "[a long prefix]" }),
			[]string{"[a long prefix]", "hello"}},
		{"newline mode packs within the reserved room", "aaa\n\nbbb\n\nccc", with(func(s *Settings) { s.Prefix = "[b]"; s.Limit = 11; s.Mode = ModeNewline }),
			[]string{"[b] aaa", "bbb\n\nccc"}},
		{"sanitised before splitting", "[[reply_to_current]] hi <final>there</final>", base, []string{"hi there"}},
		{"tables converted", "| a |\n|---|\n| 1 |", with(func(s *Settings) { s.Tables = TablesBullets }), []string{"• 1"}},
		{"newline mode", "aa\n\nbb\n\ncc", with(func(s *Settings) { s.Limit = 6; s.Mode = ModeNewline }),
			[]string{"aa\n\nbb", "cc"}},
	}
	for _, tt := range tests {
		if got := Reply(tt.text, tt.s); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Reply(%q, %+v) = %q; want %q", tt.name, tt.text, tt.s, got, tt.want)
		}
	}
}
