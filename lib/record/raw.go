package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Errors that make a line unusable as a record.
var (
	ErrNotObject = errors.New("not a JSON object")
	ErrNoKind    = errors.New(`record has no "kind" string`)
)

// Validate checks that line is one well-formed JSON object in valid UTF-8.
// Stages call it once per input line; after that the scanning helpers below
// may assume well-formed input.
func Validate(line []byte) error {
	if wellFormed(line) {
		return nil
	}
	return validateSlow(line)
}

// validateSlow is Validate by encoding/json, which also words the error.
func validateSlow(line []byte) error {
	if !utf8.Valid(line) {
		return errors.New("invalid UTF-8")
	}
	if !json.Valid(line) {
		// Decode only to get a precise message; the fast path never gets here.
		var v any
		if err := json.Unmarshal(line, &v); err != nil {
			return fmt.Errorf("invalid JSON: %v", err)
		}
		return errors.New("invalid JSON")
	}
	if b := bytes.TrimLeft(line, " \t\r\n"); len(b) == 0 || b[0] != '{' {
		return ErrNotObject
	}
	return nil
}

// Field returns the raw value of the top-level key in a validated object.
func Field(obj []byte, key string) (raw []byte, ok bool) {
	vs, ve := find(obj, key)
	if vs < 0 {
		return nil, false
	}
	return obj[vs:ve], true
}

// String returns the top-level key's value when it is a JSON string.
func String(obj []byte, key string) (string, bool) {
	raw, ok := Field(obj, key)
	if !ok || len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), true
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// Set returns obj with the top-level key set to value (raw JSON). An
// existing key is replaced in place; a new key is appended at the end. The
// bytes of every other field are kept exactly as they were.
func Set(obj []byte, key string, value []byte) []byte {
	vs, ve := find(obj, key)
	if vs >= 0 {
		out := make([]byte, 0, len(obj)-(ve-vs)+len(value))
		out = append(out, obj[:vs]...)
		out = append(out, value...)
		return append(out, obj[ve:]...)
	}
	end := bytes.LastIndexByte(obj, '}')
	body := bytes.TrimRight(obj[:end], " \t\r\n")
	out := make([]byte, 0, len(obj)+len(key)+len(value)+4)
	out = append(out, body...)
	if body[len(body)-1] != '{' {
		out = append(out, ',')
	}
	out = appendKey(out, key)
	out = append(out, value...)
	return append(out, '}')
}

// SetJSON marshals v (without HTML escaping) and sets it under key.
func SetJSON(obj []byte, key string, v any) ([]byte, error) {
	raw, err := Marshal(v)
	if err != nil {
		return nil, err
	}
	return Set(obj, key, raw), nil
}

// Marshal encodes v as compact JSON without HTML escaping, so message text
// with <, > and & stays readable in the stream.
func Marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

func appendKey(out []byte, key string) []byte {
	k, _ := json.Marshal(key)
	out = append(out, k...)
	return append(out, ':')
}

// find locates a top-level key of a validated object: the span of its
// value, or -1s when absent. The last occurrence wins, as in encoding/json.
func find(obj []byte, key string) (valStart, valEnd int) {
	valStart, valEnd = -1, -1
	EachField(obj, func(k []byte, vs, ve int) bool {
		if keyEquals(k, key) {
			valStart, valEnd = vs, ve
		}
		return true
	})
	return valStart, valEnd
}

func keyEquals(quoted []byte, key string) bool {
	inner := quoted[1 : len(quoted)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner) == key
	}
	var s string
	return json.Unmarshal(quoted, &s) == nil && s == key
}
