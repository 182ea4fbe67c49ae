package config

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Error is one configuration problem. Line and Col are 1-based (Col counts
// characters, not bytes) and zero when the problem has no place in the file,
// such as a file that cannot be read. Path is the dotted key path
// ("channels.imessage.accounts.work.dmPolicy"), empty for syntax errors.
type Error struct {
	File string
	Line int
	Col  int
	Path string
	Msg  string
	Hint string // how to fix it, e.g. `did you mean "allowFrom"?`; may be empty
}

// Error renders "FILE:LINE:COL: PATH: MSG; HINT", leaving out empty parts.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d:%d", e.Line, e.Col)
		}
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Errors is every problem Load found, in file order (line, then column, then
// path), so the same file always reports the same first problem. It is never
// empty when returned as an error.
type Errors []*Error

// Error reports the first problem and how many more there are, in the manner
// of go/scanner.ErrorList: one line, so it fits the "tool: error: …" format.
// Print each element to show them all.
func (l Errors) Error() string {
	switch len(l) {
	case 0:
		return "no configuration errors"
	case 1:
		return l[0].Error()
	case 2:
		return l[0].Error() + " (and 1 more problem)"
	}
	return fmt.Sprintf("%s (and %d more problems)", l[0].Error(), len(l)-1)
}

// Unwrap lets errors.As find the first *Error.
func (l Errors) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

func (l Errors) sort() {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i], l[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return a.Path < b.Path
	})
}

// path is a key path into the parsed tree: string segments are object keys,
// int segments are array indices.
type path []any

func (p path) with(seg any) path {
	q := make(path, len(p), len(p)+1)
	copy(q, p)
	return append(q, seg)
}

var identRE = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)

// String renders the path as users write it: dotted identifiers, [N] for
// array indices and ["…"] for keys that are not identifiers (chat ids, "*").
func (p path) String() string {
	var b strings.Builder
	for i, seg := range p {
		switch s := seg.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", s)
		case string:
			if identRE.MatchString(s) {
				if i > 0 {
					b.WriteByte('.')
				}
				b.WriteString(s)
			} else {
				b.WriteString("[" + strconv.Quote(s) + "]")
			}
		}
	}
	return b.String()
}

// suggest returns the candidate closest to key by edit distance, ignoring
// case, when it is close enough to be a likely typo.
func suggest(key string, candidates []string) string {
	lk := strings.ToLower(key)
	limit := 2
	switch {
	case len(lk) <= 3:
		limit = 1
	case len(lk) > 10:
		limit = 3
	}
	best, bestD := "", limit+1
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	for _, c := range sorted {
		if d := editDistance(lk, strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes (keys
// are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// quoteList renders values as `"a", "b", "c"` for hints.
func quoteList(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}
