package route

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/imsg-toolkit/imsg/lib/record"
)

// The helpers here read a validated JSON object in one pass, without
// decoding what the stage does not need: imsg-route reads a dozen fields of
// every record and must keep up with hundreds of thousands of records a
// second. Input is always checked with record.Validate first, so they may
// assume well-formed JSON.

// eachField calls fn with every top-level key and raw value of obj, in
// order, until fn returns false. Keys are raw (still escaped when they
// contain a backslash; see keyName).
func eachField(obj []byte, fn func(key, val []byte) bool) {
	record.EachField(obj, func(k []byte, vs, ve int) bool { return fn(k[1:len(k)-1], obj[vs:ve]) })
}

// eachElement calls fn with every raw element of a JSON array.
func eachElement(arr []byte, fn func(val []byte) bool) {
	i := record.SkipSpace(arr, 0)
	if i >= len(arr) || arr[i] != '[' {
		return
	}
	i++
	for {
		i = record.SkipSpace(arr, i)
		if i >= len(arr) || arr[i] == ']' {
			return
		}
		if arr[i] == ',' {
			i++
			continue
		}
		vs := i
		i = record.SkipValue(arr, i)
		if !fn(arr[vs:i]) {
			return
		}
	}
}

// keyName is a raw key as a string, unescaped when needed.
func keyName(raw []byte) string {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw)
	}
	var s string
	q := make([]byte, 0, len(raw)+2)
	q = append(append(append(q, '"'), raw...), '"')
	if json.Unmarshal(q, &s) != nil {
		return ""
	}
	return s
}

// str returns a raw value as a string: the unescaped text of a JSON
// string, a number's digits (imsg sends reply_to_id either way), "" for
// anything else.
func str(raw []byte) string {
	if len(raw) == 0 {
		return ""
	}
	switch c := raw[0]; {
	case c == '"':
		if bytes.IndexByte(raw, '\\') < 0 {
			return string(raw[1 : len(raw)-1])
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return ""
		}
		return s
	case c == '-' || c >= '0' && c <= '9':
		return string(raw)
	}
	return ""
}

// num returns a raw integer value; strings of digits count too.
func num(raw []byte) int64 {
	if len(raw) > 0 && raw[0] == '"' {
		raw = raw[1 : len(raw)-1]
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(string(raw), 64)
		if ferr != nil {
			return 0
		}
		return int64(f)
	}
	return n
}

// boolean reports whether a raw value is true.
func boolean(raw []byte) bool { return string(raw) == "true" }

// isNull reports a missing or null value.
func isNull(raw []byte) bool { return len(raw) == 0 || string(raw) == "null" }
