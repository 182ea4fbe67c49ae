package record

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// The scanning helpers below walk a record that Validate has accepted, so
// they need not check syntax. Stages use them to read and write the few
// top-level fields they own without decoding the rest of the record,
// which is most of the bytes.

// SkipSpace returns the offset of the first non-space byte at or after i.
func SkipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// SkipString returns the offset just past the string starting at b[i]. It
// jumps from quote to quote (bytes.IndexByte is vectorised) and counts the
// backslashes before each: an even number means the quote is not escaped.
func SkipString(b []byte, i int) int {
	start := i
	i++
	for {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return len(b)
		}
		i += j
		n := 0
		for k := i - 1; k > start && b[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return i + 1
		}
		i++
	}
}

// SkipValue returns the offset just past the value starting at b[i].
func SkipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return SkipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = SkipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// AppendString appends s as a JSON string byte for byte as Marshal writes
// it (FuzzAppendString in lib/gate checks): no
// HTML escaping (message text keeps its <, > and &), control characters,
// U+2028 and U+2029 escaped, invalid UTF-8 replaced by U+FFFD. Stages build
// their namespace objects with it because encoding/json would cost more
// than the rest of their work on a record.
func AppendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// AppendInt appends n in decimal.
func AppendInt(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }

// EachField calls fn with every top-level key of a validated object, in
// order, until fn returns false. key is the raw key with its quotes (still
// escaped when it contains a backslash); obj[vs:ve] is the raw value.
// Stages read the few fields they need this way, in one pass.
func EachField(obj []byte, fn func(key []byte, vs, ve int) bool) {
	i := SkipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return
	}
	i++
	for {
		i = SkipSpace(obj, i)
		if i >= len(obj) || obj[i] == '}' {
			return
		}
		if obj[i] == ',' {
			i++
			continue
		}
		ks := i
		ke := SkipString(obj, i)
		i = SkipSpace(obj, ke) + 1 // past ':'
		vs := SkipSpace(obj, i)
		i = SkipValue(obj, vs)
		if !fn(obj[ks:ke], vs, i) {
			return
		}
	}
}
