package config

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The json5 decoder yields plain maps and slices without positions, so this
// file re-reads the source with a small JSON5 lexer of its own and records
// where every key and value starts. It accepts what titanous/json5 accepts
// (// and /* */ comments, single- and double-quoted strings with escapes,
// unquoted identifier keys, trailing commas) and gives up quietly on
// anything else: positions are a courtesy for error messages, and a lookup
// that fails falls back to the nearest enclosing key.

// posNode is where one value starts and, for objects and arrays, where its
// members and elements are.
type posNode struct {
	off   int
	keys  map[string]posMember
	elems []*posNode
}

// posMember is one object member: the offset of its key and its value.
type posMember struct {
	key int
	val *posNode
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 1000

type lexer struct {
	src   []byte
	i     int
	depth int
}

// scanPositions parses src and returns the position tree of its top-level
// value and the offset just after that value; ok is false when src is not a
// single JSON5 value the lexer understands.
func scanPositions(src []byte) (root *posNode, end int, ok bool) {
	lx := &lexer{src: src}
	if !lx.skipSpace() {
		return nil, 0, false
	}
	root, ok = lx.value()
	return root, lx.i, ok
}

// trailing reports the offset of the first byte after off that is neither
// whitespace nor a comment, or -1 when there is none. An unterminated block
// comment counts as trailing content at its start.
func trailing(src []byte, off int) int {
	lx := &lexer{src: src, i: off}
	if !lx.skipSpace() || lx.i < len(src) {
		return lx.i
	}
	return -1
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' }

// skipSpace skips whitespace and comments; false means an unterminated
// comment.
func (lx *lexer) skipSpace() bool {
	for lx.i < len(lx.src) {
		c := lx.src[lx.i]
		switch {
		case isSpace(c):
			lx.i++
		case c == '/' && lx.i+1 < len(lx.src) && lx.src[lx.i+1] == '/':
			for lx.i < len(lx.src) && lx.src[lx.i] != '\n' && lx.src[lx.i] != '\r' {
				lx.i++
			}
		case c == '/' && lx.i+1 < len(lx.src) && lx.src[lx.i+1] == '*':
			end := strings.Index(string(lx.src[lx.i+2:]), "*/")
			if end < 0 {
				return false
			}
			lx.i += 2 + end + 2
		default:
			return true
		}
	}
	return true
}

func (lx *lexer) peek() byte {
	if lx.i < len(lx.src) {
		return lx.src[lx.i]
	}
	return 0
}

func (lx *lexer) value() (*posNode, bool) {
	n := &posNode{off: lx.i}
	if lx.i >= len(lx.src) {
		return n, false
	}
	switch c := lx.src[lx.i]; c {
	case '{':
		return n, lx.object(n)
	case '[':
		return n, lx.array(n)
	case '"', '\'':
		_, ok := lx.str()
		return n, ok
	default:
		// Numbers, true/false/null, Infinity, NaN: the decoder has already
		// checked them, so a scalar simply runs to the next delimiter.
		for lx.i < len(lx.src) {
			c := lx.src[lx.i]
			if isSpace(c) || c == ',' || c == ']' || c == '}' || c == '/' || c == ':' {
				break
			}
			lx.i++
		}
		return n, lx.i > n.off
	}
}

func (lx *lexer) object(n *posNode) bool {
	if lx.depth++; lx.depth > maxDepth {
		return false
	}
	defer func() { lx.depth-- }()
	n.keys = map[string]posMember{}
	lx.i++ // {
	for {
		if !lx.skipSpace() {
			return false
		}
		if lx.peek() == '}' {
			lx.i++
			return true
		}
		keyOff := lx.i
		key, ok := lx.key()
		if !ok || !lx.skipSpace() || lx.peek() != ':' {
			return false
		}
		lx.i++
		if !lx.skipSpace() {
			return false
		}
		val, ok := lx.value()
		if !ok {
			return false
		}
		n.keys[key] = posMember{key: keyOff, val: val} // the last duplicate wins, as in the decoder
		if !lx.skipSpace() {
			return false
		}
		switch lx.peek() {
		case ',':
			lx.i++
		case '}':
			lx.i++
			return true
		default:
			return false
		}
	}
}

func (lx *lexer) array(n *posNode) bool {
	if lx.depth++; lx.depth > maxDepth {
		return false
	}
	defer func() { lx.depth-- }()
	lx.i++ // [
	for {
		if !lx.skipSpace() {
			return false
		}
		if lx.peek() == ']' {
			lx.i++
			return true
		}
		val, ok := lx.value()
		if !ok {
			return false
		}
		n.elems = append(n.elems, val)
		if !lx.skipSpace() {
			return false
		}
		switch lx.peek() {
		case ',':
			lx.i++
		case ']':
			lx.i++
			return true
		default:
			return false
		}
	}
}

func isIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$'
}

// key reads a quoted or unquoted (identifier) object key.
func (lx *lexer) key() (string, bool) {
	if c := lx.peek(); c == '"' || c == '\'' {
		return lx.str()
	}
	start := lx.i
	for lx.i < len(lx.src) && isIdentByte(lx.src[lx.i]) {
		lx.i++
	}
	return string(lx.src[start:lx.i]), lx.i > start
}

// str reads a quoted string and returns its decoded text, with the escapes
// the decoder knows and invalid UTF-8 replaced by U+FFFD as the decoder does.
func (lx *lexer) str() (string, bool) {
	q := lx.src[lx.i]
	lx.i++
	var b strings.Builder
	for lx.i < len(lx.src) {
		c := lx.src[lx.i]
		switch {
		case c == q:
			lx.i++
			return b.String(), true
		case c < 0x20:
			return "", false
		case c == '\\':
			if !lx.escape(&b) {
				return "", false
			}
		default:
			r, size := utf8.DecodeRune(lx.src[lx.i:])
			b.WriteRune(r) // RuneError for a bad byte, like the decoder
			lx.i += size
		}
	}
	return "", false
}

func (lx *lexer) escape(b *strings.Builder) bool {
	lx.i++ // backslash
	if lx.i >= len(lx.src) {
		return false
	}
	c := lx.src[lx.i]
	lx.i++
	switch c {
	case 'b':
		b.WriteByte('\b')
	case 'f':
		b.WriteByte('\f')
	case 'n':
		b.WriteByte('\n')
	case 'r':
		b.WriteByte('\r')
	case 't':
		b.WriteByte('\t')
	case '\\', '/', '"', '\'':
		b.WriteByte(c)
	case '\n': // line continuation
	case '\r':
		if lx.peek() == '\n' {
			lx.i++
		}
	case 'u':
		r, ok := lx.hex4()
		if !ok {
			return false
		}
		if utf16.IsSurrogate(r) {
			save := lx.i
			if lx.i+1 < len(lx.src) && lx.src[lx.i] == '\\' && lx.src[lx.i+1] == 'u' {
				lx.i += 2
				if r2, ok := lx.hex4(); ok {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						b.WriteRune(dec)
						return true
					}
				}
			}
			lx.i = save
			r = utf8.RuneError
		}
		b.WriteRune(r)
	default:
		return false
	}
	return true
}

func (lx *lexer) hex4() (rune, bool) {
	if lx.i+4 > len(lx.src) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(lx.src[lx.i:lx.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	lx.i += 4
	return rune(v), true
}

// find returns the offset of the key at p (or of the element, for an index),
// or with exact=false the offset of the deepest part of p that exists.
func (n *posNode) find(p path) (off int, exact bool) {
	off = n.off
	cur := n
	for _, seg := range p {
		next, at := cur.child(seg)
		if next == nil {
			return off, false
		}
		cur, off = next, at
	}
	return off, true
}

// findValue is find, but for an object member it returns where the value
// starts rather than the key.
func (n *posNode) findValue(p path) (off int, exact bool) {
	off, exact = n.find(p)
	if !exact {
		return off, false
	}
	cur := n
	for _, seg := range p {
		cur, _ = cur.child(seg)
	}
	return cur.off, true
}

func (n *posNode) child(seg any) (*posNode, int) {
	if n == nil {
		return nil, 0
	}
	switch s := seg.(type) {
	case string:
		if m, ok := n.keys[s]; ok {
			return m.val, m.key
		}
	case int:
		if s >= 0 && s < len(n.elems) {
			return n.elems[s], n.elems[s].off
		}
	}
	return nil, 0
}

// lineCol converts a byte offset to a 1-based line and a 1-based column in
// characters. \n, \r\n and a lone \r end a line.
func lineCol(src []byte, off int) (line, col int) {
	off = min(max(off, 0), len(src))
	line, col = 1, 1
	for i := 0; i < off; {
		c := src[i]
		if c == '\n' || c == '\r' && (i+1 >= len(src) || src[i+1] != '\n') {
			line, col = line+1, 1
			i++
			continue
		}
		_, size := utf8.DecodeRune(src[i:])
		i += size
		col++
	}
	return line, col
}
