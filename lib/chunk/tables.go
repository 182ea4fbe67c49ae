package chunk

import (
	"fmt"
	"strings"
)

// TableMode is markdown.tables: what becomes of a Markdown table, which
// Messages would show as a mess of pipes.
type TableMode string

// Table modes.
const (
	TablesOff     TableMode = "off"     // leave tables as written
	TablesBullets TableMode = "bullets" // one block per row: the first cell, then "• Header: cell" lines
	TablesCode    TableMode = "code"    // the table re-aligned inside a ``` code block (the default)
)

// ParseTables checks a markdown.tables value; "block" is read as "code",
// as the reference does.
func ParseTables(s string) (TableMode, error) {
	switch s {
	case "off", "bullets", "code":
		return TableMode(s), nil
	case "block":
		return TablesCode, nil
	}
	return "", fmt.Errorf("unknown table mode %q (want off, bullets, code or block)", s)
}

type table struct {
	header []string
	align  []byte // 'l', 'r' or 'c' per column
	rows   [][]string
}

// ConvertTables rewrites the GitHub-style tables of text (a header row, a
// delimiter row such as |---|:--:|, then body rows until a blank line or a
// line without a pipe) that are outside fenced code blocks. Cell widths in
// code mode count grapheme clusters, so accents and emoji do not skew the
// columns more than the font does.
func ConvertTables(text string, mode TableMode) string {
	if mode == TablesOff || mode == "" || strings.IndexByte(text, '|') < 0 {
		return text
	}
	lines := strings.Split(text, "\n")
	out := make([]string, 0, len(lines))
	inFence := false
	var ch byte
	var n int
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if inFence {
			inFence = !fenceCloses(line, ch, n)
			out = append(out, line)
			continue
		}
		if _, c, k, ok := fenceOpen(line); ok {
			inFence, ch, n = true, c, k
			out = append(out, line)
			continue
		}
		t, next := parseTable(lines, i)
		if t == nil {
			out = append(out, line)
			continue
		}
		if mode == TablesBullets {
			if len(out) > 0 && strings.TrimSpace(out[len(out)-1]) != "" {
				out = append(out, "")
			}
			out = append(out, t.bullets()...)
			if next < len(lines) && strings.TrimSpace(lines[next]) != "" {
				out = append(out, "")
			}
		} else {
			out = append(out, t.code()...)
		}
		i = next - 1
	}
	return strings.Join(out, "\n")
}

// parseTable reads a table starting at lines[i]; it returns nil when there
// is none, else the table and the index of the first line after it.
func parseTable(lines []string, i int) (*table, int) {
	if i+1 >= len(lines) || strings.IndexByte(lines[i], '|') < 0 {
		return nil, i
	}
	header := splitRow(lines[i])
	align, ok := parseDelimiter(lines[i+1])
	if !ok || len(align) != len(header) {
		return nil, i
	}
	t := &table{header: header, align: align}
	j := i + 2
	for ; j < len(lines); j++ {
		l := lines[j]
		if strings.TrimSpace(l) == "" || strings.IndexByte(l, '|') < 0 {
			break
		}
		if _, _, _, ok := fenceOpen(l); ok {
			break
		}
		cells := splitRow(l)
		// As in GFM: missing cells are empty, extra cells are ignored.
		row := make([]string, len(header))
		copy(row, cells)
		t.rows = append(t.rows, row)
	}
	return t, j
}

// splitRow splits a table row at unescaped pipes outside code spans,
// dropping the optional outer pipes and unescaping \|.
func splitRow(line string) []string {
	s := strings.TrimSpace(line)
	s = strings.TrimPrefix(s, "|")
	if strings.HasSuffix(s, "|") && !strings.HasSuffix(s, `\|`) {
		s = s[:len(s)-1]
	}
	var cells []string
	var cur strings.Builder
	inCode := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s) && s[i+1] == '|':
			cur.WriteByte('|')
			i++
		case c == '`':
			inCode = !inCode
			cur.WriteByte(c)
		case c == '|' && !inCode:
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return append(cells, strings.TrimSpace(cur.String()))
}

// parseDelimiter reads a delimiter row: cells of dashes with optional
// colons marking the alignment. At least one pipe is required, so that a
// Setext heading underline or a horizontal rule is not taken for one.
func parseDelimiter(line string) ([]byte, bool) {
	if strings.IndexByte(line, '|') < 0 {
		return nil, false
	}
	var align []byte
	for _, c := range splitRow(line) {
		left, right := strings.HasPrefix(c, ":"), strings.HasSuffix(c, ":")
		d := strings.Trim(c, ":")
		if d == "" || strings.Trim(d, "-") != "" {
			return nil, false
		}
		switch {
		case left && right:
			align = append(align, 'c')
		case right:
			align = append(align, 'r')
		default:
			align = append(align, 'l')
		}
	}
	return align, true
}

// code renders the table aligned inside a code block.
func (t *table) code() []string {
	width := make([]int, len(t.header))
	for j, h := range t.header {
		width[j] = max(3, clusters(h))
		for _, r := range t.rows {
			width[j] = max(width[j], clusters(r[j]))
		}
	}
	row := func(cells []string) string {
		var b strings.Builder
		b.WriteString("|")
		for j, c := range cells {
			pad := width[j] - clusters(c)
			left := 0
			switch t.align[j] {
			case 'r':
				left = pad
			case 'c':
				left = pad / 2
			}
			b.WriteString(" " + strings.Repeat(" ", left) + c + strings.Repeat(" ", pad-left) + " |")
		}
		return b.String()
	}
	out := []string{"```", row(t.header)}
	sep := make([]string, len(width))
	for j, w := range width {
		sep[j] = strings.Repeat("-", w)
	}
	out = append(out, row(sep))
	for _, r := range t.rows {
		out = append(out, row(r))
	}
	return append(out, "```")
}

// bullets renders each row as its first cell on a line of its own, then
// "• Header: cell" for the other non-empty cells; rows are separated by a
// blank line. A one-column table becomes a plain bullet list.
func (t *table) bullets() []string {
	var out []string
	for i, r := range t.rows {
		if len(t.header) == 1 {
			if r[0] != "" {
				out = append(out, "• "+r[0])
			}
			continue
		}
		if i > 0 {
			out = append(out, "")
		}
		if r[0] != "" {
			out = append(out, r[0])
		}
		for j := 1; j < len(r); j++ {
			switch {
			case r[j] == "":
			case t.header[j] == "":
				out = append(out, "• "+r[j])
			default:
				out = append(out, "• "+t.header[j]+": "+r[j])
			}
		}
	}
	if len(t.rows) == 0 {
		out = append(out, strings.Join(t.header, ", "))
	}
	return out
}

// clusters counts the grapheme clusters of s.
func clusters(s string) int {
	n := 0
	for i := 0; i < len(s); i = clusterEnd(s, i) {
		n++
	}
	return n
}
