package chunk

import (
	"strings"
	"unicode"
)

// Sanitize strips the assistant scaffolding that must never reach a chat
// (channel-behaviour §13.5 and the directive tags of §12.3), in this order:
//
//   - thinking blocks (<think>, <thinking>, <thought>, <antthinking>,
//     <reasoning>) and <relevant-memories> / <relevant_memories> blocks,
//     with their content; an unclosed opening tag hides everything after it
//     (reasoning must not leak), a stray closing tag is removed alone, and
//     a self-closing <think/> is removed alone;
//   - <final> and </final> tags, keeping their content;
//   - internal separators (#+#+, repeated, optional trailing #);
//   - assistant role markers ("assistant to=functions.search");
//   - directive tags [[audio_as_voice]], [[reply_to_current]] and
//     [[reply_to:<id>]] (case-insensitive, blanks allowed inside); the
//     record's in_reply_to already says what the message answers;
//   - lines that hold only a role turn marker (user:, system:, assistant:);
//   - runs of blank lines, collapsed to one; then surrounding whitespace.
//
// Better than the reference: nothing inside a fenced code block or an
// inline code span is touched (a code sample about <think> tags survives),
// a removed tag takes its surrounding blanks with it (one space is left
// between two words, a line left empty disappears, so no paragraph break
// appears where there was none), and a role word ending a line of prose
// ("tell the user:") is kept; only a line that is nothing but the marker
// goes. Line endings are normalised to \n first.
func Sanitize(text string) string {
	if text == "" {
		return ""
	}
	if strings.IndexByte(text, '\r') >= 0 {
		text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	}
	if needsTagPass(text) {
		text = stripTags(text)
	}
	return strings.TrimFunc(cleanLines(text), unicode.IsSpace)
}

// needsTagPass is a quick test, in one pass, for the characters every tag
// starts with and for the word "assistant" in any case.
func needsTagPass(text string) bool {
	const a = "assistant"
	for i := 0; i < len(text); i++ {
		switch c := text[i]; c {
		case '<', '[', '#':
			return true
		case 'a', 'A':
			if i+len(a) <= len(text) && text[i+1]|0x20 == 's' && strings.EqualFold(text[i:i+len(a)], a) {
				return true
			}
		}
	}
	return false
}

// protected returns the spans of fenced code blocks and inline code spans,
// which Sanitize leaves alone, in order.
func protected(text string) [][2]int {
	fences := scanFences(text)
	var out [][2]int
	fi := 0
	for i := 0; i < len(text); {
		if fi < len(fences) && i >= fences[fi].open {
			f := fences[fi]
			out = append(out, [2]int{f.open, f.end})
			i, fi = f.end, fi+1
			continue
		}
		limit := len(text)
		if fi < len(fences) {
			limit = fences[fi].open
		}
		k := strings.IndexByte(text[i:limit], '`')
		if k < 0 {
			i = limit
			continue
		}
		s := i + k
		n := 0
		for s+n < limit && text[s+n] == '`' {
			n++
		}
		if e := closingRun(text[:limit], s+n, n); e > 0 {
			out = append(out, [2]int{s, e})
			i = e
		} else {
			i = s + n
		}
	}
	return out
}

// closingRun finds a run of exactly n backticks at or after i, before the
// next blank line, and returns the offset just past it, or 0.
func closingRun(text string, i, n int) int {
	for i < len(text) {
		k := strings.IndexByte(text[i:], '`')
		if k < 0 {
			return 0
		}
		if strings.Contains(text[i:i+k], "\n\n") {
			return 0
		}
		s := i + k
		e := s
		for e < len(text) && text[e] == '`' {
			e++
		}
		if e-s == n {
			return e
		}
		i = e
	}
	return 0
}

// stripTags removes tags, separators, role markers and directive tags
// outside code.
func stripTags(text string) string {
	prot := protected(text)
	var o output
	o.blank = true
	pi := 0
	for i := 0; i < len(text); {
		for pi < len(prot) && prot[pi][1] <= i {
			pi++
		}
		if pi < len(prot) && i >= prot[pi][0] {
			o.write(text[i:prot[pi][1]])
			i = prot[pi][1]
			continue
		}
		e := 0
		switch c := text[i]; {
		case c == '<':
			e = matchTagSpan(text, i, prot)
		case c == '[':
			e = matchDirective(text, i)
		case c == '#':
			e = matchSeparator(text, i)
		case c == 'a' || c == 'A':
			if i == 0 || !isWordByte(text[i-1]) {
				e = matchRoleMarker(text, i)
			}
		}
		if e > i {
			i = o.removeSpan(text, e)
			continue
		}
		o.write(text[i : i+1])
		i++
	}
	return string(o.b)
}

// output is stripTags' result, with what removeSpan needs to know about
// the line being written kept up to date, so that tidying after a removal
// never rescans the output.
type output struct {
	b     []byte
	ls    int  // start of the current line in b
	blank bool // b[ls:] holds nothing but blanks
}

func (o *output) write(s string) {
	if k := strings.LastIndexByte(s, '\n'); k >= 0 {
		o.ls, o.blank = len(o.b)+k+1, true
		s2 := s[k+1:]
		o.b = append(o.b, s...)
		s = s2
	} else {
		o.b = append(o.b, s...)
	}
	if o.blank && strings.TrimLeft(s, " \t") != "" {
		o.blank = false
	}
}

// removeSpan drops the text up to e (not yet written) and tidies the
// blanks around the hole: a line left blank goes entirely, blanks at a
// line's end go, and two words keep exactly one space between them. It
// returns where to continue in text.
func (o *output) removeSpan(text string, e int) int {
	j := e
	for j < len(text) && (text[j] == ' ' || text[j] == '\t') {
		j++
	}
	afterBlank := j == len(text) || text[j] == '\n'
	switch {
	case o.blank && afterBlank:
		o.b = o.b[:o.ls]
		if j < len(text) && o.ls > 0 {
			j++ // the line's newline
		}
		return j
	case afterBlank:
		o.b = trimBlanks(o.b)
		return j
	case o.blank:
		return j
	case len(o.b) > 0 && (o.b[len(o.b)-1] == ' ' || o.b[len(o.b)-1] == '\t') || j > e:
		o.b = append(trimBlanks(o.b), ' ')
		return j
	}
	return e
}

func trimBlanks(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// cleanLines drops lines that are only a role turn marker and collapses
// runs of blank lines to one, outside fenced code blocks.
func cleanLines(text string) string {
	if !needsCleaning(text) {
		return text
	}
	var b strings.Builder
	b.Grow(len(text))
	inFence, blank := false, false
	var ch byte
	var n int
	for ls := 0; ls < len(text); {
		le := strings.IndexByte(text[ls:], '\n')
		next := ls + le + 1
		if le < 0 {
			le, next = len(text)-ls, len(text)
		}
		line := text[ls : ls+le]
		ls = next
		if inFence {
			inFence = !fenceCloses(line, ch, n)
		} else if _, c, k, ok := fenceOpen(line); ok {
			inFence, ch, n = true, c, k
		} else if isRoleTurn(line) {
			continue
		} else if strings.TrimLeft(line, " \t") == "" {
			if blank {
				continue
			}
			blank = true
			b.WriteByte('\n')
			continue
		}
		blank = false
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// needsCleaning is a quick test for cleanLines: a run of two blank lines,
// or a line ending in ':' (the only kind a role turn marker can be).
func needsCleaning(text string) bool {
	blank := 0
	for ls := 0; ls <= len(text); {
		le := strings.IndexByte(text[ls:], '\n')
		if le < 0 {
			le = len(text) - ls
		}
		line := text[ls : ls+le]
		k := len(line)
		for k > 0 && (line[k-1] == ' ' || line[k-1] == '\t') {
			k--
		}
		if k == 0 {
			if blank++; blank >= 2 || le > 0 {
				return true // two blank lines, or one holding blanks
			}
		} else {
			blank = 0
			if line[k-1] == ':' {
				return true
			}
		}
		ls += le + 1
	}
	return false
}

// isRoleTurn reports whether line is nothing but "user:", "system:" or
// "assistant:" (any case, blanks allowed around).
func isRoleTurn(line string) bool {
	t := strings.TrimSpace(line)
	if !strings.HasSuffix(t, ":") {
		return false
	}
	t = strings.TrimSpace(t[:len(t)-1])
	return strings.EqualFold(t, "user") || strings.EqualFold(t, "system") || strings.EqualFold(t, "assistant")
}
