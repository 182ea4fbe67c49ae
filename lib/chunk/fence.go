package chunk

import "strings"

// fence is one fenced code block, as byte offsets into the text it was
// found in. An unclosed fence runs to the end of the text.
type fence struct {
	open  int    // start of the opening line
	body  int    // start of the first content line
	close int    // start of the closing line (len(text) when unclosed)
	end   int    // end of the closing marker
	head  string // the opening line, repeated to reopen the block in the next part
	tail  string // the closing line to append when a part ends inside the block
}

// fenceOpen parses an opening fence line: optional indentation, then three
// or more backticks or tildes, then an info string (which for backtick
// fences may not contain a backtick). Indented fences are accepted at any
// depth because agents nest code blocks inside list items.
func fenceOpen(line string) (indent string, ch byte, n int, ok bool) {
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	if i >= len(line) || (line[i] != '`' && line[i] != '~') {
		return "", 0, 0, false
	}
	ch = line[i]
	j := i
	for j < len(line) && line[j] == ch {
		j++
	}
	if j-i < 3 || (ch == '`' && strings.IndexByte(line[j:], '`') >= 0) {
		return "", 0, 0, false
	}
	return line[:i], ch, j - i, true
}

// fenceCloses reports whether line closes a fence opened with n times ch:
// at least n of the same character and nothing but blanks after them.
func fenceCloses(line string, ch byte, n int) bool {
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	j := i
	for j < len(line) && line[j] == ch {
		j++
	}
	return j-i >= n && strings.TrimRight(line[j:], " \t") == ""
}

// scanFences finds the fenced code blocks of text in order.
func scanFences(text string) []fence {
	if strings.IndexByte(text, '`') < 0 && strings.IndexByte(text, '~') < 0 {
		return nil
	}
	var out []fence
	var cur *fence
	var ch byte
	var n int
	for start := 0; start < len(text); {
		end := strings.IndexByte(text[start:], '\n')
		next := start + end + 1
		if end < 0 {
			end, next = len(text)-start, len(text)
		}
		line := text[start : start+end]
		if cur == nil {
			if indent, c, k, ok := fenceOpen(line); ok {
				cur = &fence{open: start, body: next, head: line, tail: indent + strings.Repeat(string(c), k)}
				ch, n = c, k
			}
		} else if fenceCloses(line, ch, n) {
			// end stops before trailing blanks, so a break right after the
			// marker counts as outside the block.
			cur.close, cur.end = start, start+len(strings.TrimRight(line, " \t"))
			out = append(out, *cur)
			cur = nil
		}
		start = next
	}
	if cur != nil {
		cur.close, cur.end = len(text), len(text)
		if cur.body > len(text) {
			cur.body = len(text)
		}
		out = append(out, *cur)
	}
	return out
}
