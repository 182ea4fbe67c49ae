package config

import (
	"encoding/json"
	"math"
	"math/big"
	"os"
	pathpkg "path"
	"regexp"
	"strconv"
	"strings"

	"github.com/titanous/json5"
)

// typeName names the JSON type of a decoded value for messages.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number, float64:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "value"
}

// describe is typeName plus the value itself for short scalars, so that
// "got string \"yes\"" shows what was written.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		if len(x) <= 40 {
			return "string " + strconv.Quote(x)
		}
	case json.Number:
		return "number " + string(x)
	case bool:
		return "boolean " + strconv.FormatBool(x)
	}
	return typeName(v)
}

// intOf returns v as an int when it is a finite number without a fractional
// part (1e3 counts; 1.5, NaN and Infinity do not).
func intOf(v any) (int, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return int(i), true
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int(f), true
}

var jsonNumberRE = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// plainNumbers replaces the decoder's json5.Number values, in place, with
// encoding/json Numbers in strict JSON syntax (0x10 → 16, +1 → 1, .5 → 0.5),
// so the raw trees can be re-encoded and handed to encoding/json and gojq,
// which know nothing of json5.Number. Infinity and NaN stay float64.
func plainNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = plainNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = plainNumbers(e)
		}
	case json5.Number:
		s := strings.TrimPrefix(string(x), "+")
		if jsonNumberRE.MatchString(s) {
			return json.Number(s)
		}
		if i, ok := new(big.Int).SetString(string(x), 0); ok { // hexadecimal
			return json.Number(i.String())
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil { // .5, 5.
			return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
		}
		f, _ := strconv.ParseFloat(s, 64)
		return f // out of range: ±Inf
	}
	return v
}

// finite reports whether n is an integer (any base) or a float in range.
func finite(n json.Number) bool {
	if _, ok := intOf(n); ok {
		return true
	}
	_, err := strconv.ParseFloat(string(n), 64)
	return err == nil
}

// numberString renders a number as the reference does when it stringifies an
// allowFrom entry: integers in decimal, others shortest.
func numberString(n json.Number) string {
	if i, ok := intOf(n); ok {
		return strconv.Itoa(i)
	}
	if f, err := strconv.ParseFloat(string(n), 64); err == nil {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return string(n)
}

// entryStrings converts an allowFrom-style list (strings or numbers) to
// trimmed, non-empty strings; ok is false when v is not such a list.
func entryStrings(v any) (out []string, ok bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out = []string{}
	for _, e := range list {
		var s string
		switch x := e.(type) {
		case string:
			s = x
		case json.Number:
			s = numberString(x)
		default:
			return nil, false
		}
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out, true
}

// stringsOf converts a list of strings; ok is false for anything else.
func stringsOf(v any) (out []string, ok bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out = make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

var (
	bareExecRE = regexp.MustCompile(`^[A-Za-z0-9._+-]+$`)
	sshUserRE  = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	sshHostRE  = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	ipv6RE     = regexp.MustCompile(`^\[[0-9A-Fa-f:.%]+\]$`)
)

// SafeExecutable reports whether s may be used as cliPath: no NUL, line
// breaks, quotes or shell metacharacters; a path (with a slash or backslash,
// or starting with "." or "~") may contain spaces, a bare command name must
// be [A-Za-z0-9._+-]+ and not look like an option.
func SafeExecutable(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s, "\x00\r\n;&|`$<>\"'") {
		return false
	}
	if strings.ContainsAny(s, `/\`) || s[0] == '.' || s[0] == '~' {
		return true
	}
	return bareExecRE.MatchString(s) && s[0] != '-'
}

// SSHHost validates and normalizes an SSH destination: "host" or
// "user@host", where host is a name, an IPv4 address or a bracketed IPv6
// literal. Anything that could smuggle an option or a second argument to
// ssh/scp (spaces, a leading "-", a port suffix, slashes) is rejected.
func SSHHost(raw string) (string, bool) {
	s := strings.TrimSpace(raw)
	if s == "" || s[0] == '-' || strings.ContainsAny(s, `/\`) || strings.Count(s, "@") > 1 {
		return "", false
	}
	// The character classes below admit no whitespace or control characters.
	host := s
	if i := strings.IndexByte(s, '@'); i >= 0 {
		if i == 0 || i == len(s)-1 || !sshUserRE.MatchString(s[:i]) {
			return "", false
		}
		host = s[i+1:]
	}
	if host[0] == '-' {
		return "", false
	}
	if strings.HasPrefix(host, "[") {
		if !ipv6RE.MatchString(host) {
			return "", false
		}
	} else if !sshHostRE.MatchString(host) {
		return "", false
	}
	return s, true
}

// RootPattern validates and normalizes an attachment root pattern: an
// absolute path (or Windows drive path) other than the root itself, "\"
// read as "/", "." and ".." resolved, no trailing slash, and every segment
// either exactly "*" (one arbitrary segment) or free of "*".
func RootPattern(raw string) (string, bool) {
	s := strings.TrimSpace(raw)
	if s == "" || strings.ContainsRune(s, 0) {
		return "", false
	}
	s = strings.ReplaceAll(s, `\`, "/")
	drive := ""
	if len(s) >= 2 && s[1] == ':' && (s[0]|0x20 >= 'a' && s[0]|0x20 <= 'z') {
		drive, s = s[:2], s[2:]
	}
	if !strings.HasPrefix(s, "/") {
		return "", false
	}
	s = pathpkg.Clean(s)
	if s == "/" {
		return "", false
	}
	for _, seg := range strings.Split(s[1:], "/") {
		if seg != "*" && strings.Contains(seg, "*") {
			return "", false
		}
	}
	return drive + s, true
}

// expandHome expands a leading "~" or "~/" to the home directory. (lib/tool
// has the same helper, but importing it would pull urfave/cli into every
// user of this package.)
func expandHome(p string) string {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return p
	}
	return home + p[1:]
}
