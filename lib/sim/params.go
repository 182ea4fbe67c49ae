package sim

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/imsg-toolkit/imsg/lib/imsg"
)

// params are a request's params read with imsg 0.9's lenient helpers
// (§1.2): anything but an object is {}, ints accept numbers and numeric
// strings, bools accept numbers and "true"/"false", string lists accept an
// array or a comma-separated string, and unknown keys are ignored. A value
// of the wrong kind reads as absent.
type params map[string]any

func parseParams(raw *json.RawMessage) params {
	if raw == nil {
		return params{}
	}
	dec := json.NewDecoder(bytes.NewReader(*raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return params{}
	}
	if m, ok := v.(map[string]any); ok {
		return m
	}
	return params{}
}

// has reports whether key is present with a non-null value.
func (p params) has(key string) bool { return p[key] != nil }

func (p params) int(key string) (int64, bool) {
	switch v := p[key].(type) {
	case json.Number:
		return numberInt(string(v))
	case string:
		return numberInt(strings.TrimSpace(v))
	}
	return 0, false
}

// numberInt accepts integers and floats with no fractional part, as a
// Foundation number bridged to Int does.
func numberInt(s string) (int64, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<62 {
		return 0, false
	}
	return int64(f), true
}

func (p params) bool(key string) (bool, bool) {
	switch v := p[key].(type) {
	case bool:
		return v, true
	case json.Number:
		f, err := v.Float64()
		return f != 0, err == nil
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

func (p params) flag(key string) bool {
	b, _ := p.bool(key)
	return b
}

func (p params) str(key string) (string, bool) {
	v, ok := p[key].(string)
	return v, ok
}

func (p params) strs(key string) []string {
	var out []string
	switch v := p[key].(type) {
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok {
				if s = strings.TrimSpace(s); s != "" {
					out = append(out, s)
				}
			}
		}
	case string:
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// date reads an ISO-8601 param; a bad value is imsg 0.9's -32603
// "Invalid ISO8601 date: …".
func (p params) date(key string) (time.Time, *jsonrpc2.Error) {
	s, ok := p.str(key)
	if !ok || s == "" {
		return time.Time{}, nil
	}
	t, err := parseISO(s)
	if err != nil {
		return time.Time{}, internalError("Invalid ISO8601 date: " + s)
	}
	return t, nil
}

// parseISO accepts RFC 3339 with a zone, with or without fractional seconds.
func parseISO(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }

func rpcErr(code int64, data string) *jsonrpc2.Error {
	e := &jsonrpc2.Error{Code: code, Message: imsg.ErrorMessage(code)}
	e.SetError(data)
	return e
}

func invalidParams(data string) *jsonrpc2.Error { return rpcErr(imsg.CodeInvalidParams, data) }

func internalError(data string) *jsonrpc2.Error { return rpcErr(imsg.CodeInternalError, data) }
