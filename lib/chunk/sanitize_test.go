package chunk

import "testing"

func TestSanitize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"plain text unchanged", "Hello, world.\nSecond line.", "Hello, world.\nSecond line."},
		{"surrounding whitespace trimmed", "  \n hi \n\n", "hi"},
		{"CRLF normalised", "a\r\nb\rc", "a\nb\nc"},

		// Thinking blocks go with their content.
		{"think block", "<think>plan it</think>The answer.", "The answer."},
		{"thinking block on its own lines", "Intro\n<thinking>\nsteps\n</thinking>\nAnswer", "Intro\nAnswer"},
		{"thought and antthinking", "<thought>a</thought>x <antthinking>b</antthinking>y", "x y"},
		{"reasoning block", "<reasoning>r</reasoning>ok", "ok"},
		{"tag names are case-insensitive, attributes allowed", "<THINK mode=\"deep\">x</Think>done", "done"},
		{"unclosed thinking hides the rest", "Answer first.\n<think>half a thought", "Answer first."},
		{"stray closing tag removed alone", "reasoning leaked</think>Answer", "reasoning leakedAnswer"},
		{"self-closing tag removed alone", "a <think/> b", "a b"},
		{"a word that merely starts like a tag", "<thinker>", "<thinker>"},
		{"an unclosed angle bracket is text", "<think about it", "<think about it"},
		{"prose words are kept", "I think the final thought is reasoning.", "I think the final thought is reasoning."},
		{"relevant memories block", "<relevant-memories>\n- likes tea\n</relevant-memories>\nHi!", "Hi!"},
		{"relevant_memories spelling", "<relevant_memories>x</relevant_memories>Hi", "Hi"},
		{"final tags keep their content", "<final>The answer.</final>", "The answer."},
		{"final tag with attributes", "<final reason=\"x\">Yes</final>", "Yes"},

		// Separators and markers.
		{"internal separator line", "one\n#+#+#+#\ntwo", "one\ntwo"},
		{"separator inline", "a #+#+ b", "a b"},
		{"a single #+ is text", "C#+ is not a language", "C#+ is not a language"},
		{"markdown headings are text", "## Heading\ntext", "## Heading\ntext"},
		{"assistant role marker", "assistant to=functions.search\nResult: 3", "Result: 3"},
		{"role marker inside a line", "ok assistant to = final done", "ok done"},
		{"assistant as a word is kept", "I am your assistant today", "I am your assistant today"},
		{"role turn line removed", "Sure.\nassistant:\nHere it is.", "Sure.\nHere it is."},
		{"role turn with spaces, any case", "x\n  User :  \ny", "x\ny"},
		{"role word ending a line of prose is kept", "Tell the user:\n- hello", "Tell the user:\n- hello"},

		// Directive tags.
		{"reply_to_current between words", "Hello [[reply_to_current]] world", "Hello world"},
		{"reply_to with id at start", "[[reply_to: p:0/ABC-123]] Sure thing", "Sure thing"},
		{"directive with blanks and case", "[[ Audio_As_Voice ]]Listen", "Listen"},
		{"directive alone on a line", "Line one\n[[reply_to_current]]\nLine two", "Line one\nLine two"},
		{"directive at line end", "Done [[audio_as_voice]]\nNext", "Done\nNext"},
		{"glued directive leaves no space", "a[[reply_to_current]]b", "ab"},
		{"other double brackets are text", "[[wiki link]]", "[[wiki link]]"},
		{"only directives leaves nothing", "[[reply_to_current]] [[audio_as_voice]]", ""},

		// Blank lines.
		{"runs of blank lines collapse", "a\n\n\n\nb\n \n\t\nc", "a\n\nb\n\nc"},

		// Code is left alone.
		{"inline code untouched", "Use `<think>` tags", "Use `<think>` tags"},
		{"double-backtick code untouched", "``a ` [[reply_to_current]]`` b", "``a ` [[reply_to_current]]`` b"},
		{"fenced code untouched", "```\n<think>x</think>\n#+#+\n\n\n\nassistant:\n```", "```\n<think>x</think>\n#+#+\n\n\n\nassistant:\n```"},
		{"marker after the fence is removed", "```\ncode\n```\n<think>x</think>after", "```\ncode\n```\nafter"},
		{"think block spanning code is removed whole", "<think>try\n```\nx\n```\n</think>Result", "Result"},
	}
	for _, tt := range tests {
		if got := Sanitize(tt.in); got != tt.want {
			t.Errorf("%s: Sanitize(%q) = %q; want %q", tt.name, tt.in, got, tt.want)
		}
	}
}
