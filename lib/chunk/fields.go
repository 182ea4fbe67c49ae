package chunk

import (
	"bytes"
	"encoding/json"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/imsg-toolkit/imsg/lib/record"
)

// span is the byte range of a top-level value in a record; s < 0 when
// the key is absent.
type span struct{ s, e int }

func (v span) ok() bool { return v.s >= 0 }

// replyFields are the top-level values imsg-chunk reads from a record.
type replyFields struct {
	kind, part, parts, key, text, files, account, session, agent span
}

// scanFields locates the fields in one pass over a validated object. It
// does what record.Field does nine times over (the last occurrence of a
// key wins, as in encoding/json), because at pipeline rates the repeated
// scans of a long text dominated the stage's cost. Values are skipped with
// IndexByte rather than byte by byte.
func scanFields(obj []byte) replyFields {
	none := span{-1, -1}
	f := replyFields{none, none, none, none, none, none, none, none, none}
	record.EachField(obj, func(key []byte, vs, ve int) bool {
		v := span{vs, ve}
		switch keyName(key) {
		case "kind":
			f.kind = v
		case "part":
			f.part = v
		case "parts":
			f.parts = v
		case "key":
			f.key = v
		case "text":
			f.text = v
		case "files":
			f.files = v
		case "account":
			f.account = v
		case "session_key":
			f.session = v
		case "agent_id":
			f.agent = v
		}
		return true
	})
	return f
}

// keyName returns a quoted key's text; escaped keys are decoded.
func keyName(q []byte) string {
	inner := q[1 : len(q)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		switch string(inner) { // no allocation: the compiler matches in place
		case "kind":
			return "kind"
		case "part":
			return "part"
		case "parts":
			return "parts"
		case "key":
			return "key"
		case "text":
			return "text"
		case "files":
			return "files"
		case "account":
			return "account"
		case "session_key":
			return "session_key"
		case "agent_id":
			return "agent_id"
		}
		return ""
	}
	var s string
	if json.Unmarshal(q, &s) != nil {
		return ""
	}
	return s
}

// stringValue decodes a JSON string value of a validated record; ok is
// false for other types. Escapes are decoded as encoding/json does (a lone
// surrogate becomes U+FFFD), without its reflection overhead.
func stringValue(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	in := raw[1 : len(raw)-1]
	k := bytes.IndexByte(in, '\\')
	if k < 0 {
		return string(in), true
	}
	out := make([]byte, 0, len(in))
	for {
		out = append(out, in[:k]...)
		in = in[k:]
		if len(in) < 2 {
			return "", false
		}
		switch c := in[1]; c {
		case '"', '\\', '/':
			out = append(out, c)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(in[2:])
			if !ok {
				return "", false
			}
			n := 6
			if utf16.IsSurrogate(r) {
				r2, ok2 := rune(0), false
				if len(in) >= 12 && in[6] == '\\' && in[7] == 'u' {
					r2, ok2 = hex4(in[8:])
				}
				if d := utf16.DecodeRune(r, r2); ok2 && d != utf8.RuneError {
					r, n = d, 12
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
			in = in[n:]
			goto next
		default:
			return "", false
		}
		in = in[2:]
	next:
		if k = bytes.IndexByte(in, '\\'); k < 0 {
			return string(append(out, in...)), true
		}
	}
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// edit is one change to a record: the value at at replaced by val, or,
// when at is absent, key and val appended as a new field.
type edit struct {
	at  span
	key string
	val []byte
}

// appendEdited appends obj with the edits applied to dst. Existing values
// are replaced in place and new fields go at the end, so every other byte
// of the record is kept, exactly as record.Set would leave it.
func appendEdited(dst, obj []byte, edits []edit) []byte {
	// Insertion sort: a handful of edits, in the order they occur.
	for i := 1; i < len(edits); i++ {
		for j := i; j > 0 && edits[j].at.s < edits[j-1].at.s; j-- {
			edits[j], edits[j-1] = edits[j-1], edits[j]
		}
	}
	last := 0
	for _, e := range edits {
		if e.at.ok() {
			dst = append(dst, obj[last:e.at.s]...)
			dst = append(dst, e.val...)
			last = e.at.e
		}
	}
	end := bytes.LastIndexByte(obj, '}')
	open := bytes.IndexByte(obj, '{')
	empty := len(bytes.TrimSpace(obj[open+1:end])) == 0
	dst = append(dst, bytes.TrimRight(obj[last:end], " \t\r\n")...)
	for _, e := range edits {
		if e.at.ok() {
			continue
		}
		if !empty {
			dst = append(dst, ',')
		}
		empty = false
		dst = record.AppendString(dst, e.key)
		dst = append(dst, ':')
		dst = append(dst, e.val...)
	}
	return append(dst, '}')
}
