package rpc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Lines imsg prints instead of JSON when it cannot open chat.db: the 0.9
// banner ("⚠️ Permission Error: …", "… requires Full Disk Access …") and the
// older `permissionDenied(path: …, underlying: authorization denied …)`.
var permissionRe = regexp.MustCompile(`(?i)permission\s+error|authorization\s+denied|full\s+disk\s+access|permissiondenied\s*\(`)

// What a CLI without an rpc subcommand says about it.
var noRPCRe = regexp.MustCompile(`(?i)(unknown|unrecognized|unrecognised|invalid|no\s+such)\s+(sub)?command|unexpected\s+argument`)

// ANSI escape sequences: CSI (ESC [ … final), OSC (ESC ] … BEL or ESC \),
// and the two-byte forms.
var ansiRe = regexp.MustCompile(`\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]`)

// cleanText makes text from the peer safe to print on a terminal: ANSI
// sequences removed, control characters escaped (a newline becomes the two
// characters `\n`), invalid UTF-8 replaced.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = ansiRe.ReplaceAllString(s, "")
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// cut shortens s to max-1 characters plus "…" when it has more than max.
func cut(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}

// WatchError is an `error` notification, the subscription's end, cut down
// to what is safe to log: the code and a cleaned message. Everything else
// the peer sent (chat ids, participants, paths, data) is dropped on purpose.
type WatchError struct {
	Code    float64 // valid when HasCode
	HasCode bool
	Message string // cleaned and at most 200 characters
}

func (e *WatchError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "subscription failed"
	}
	if e.HasCode {
		return fmt.Sprintf("imsg rpc watch error: %s (code %s)", msg, strconv.FormatFloat(e.Code, 'f', -1, 64))
	}
	return "imsg rpc watch error: " + msg
}

// MarshalJSON gives the sanitised payload, {"code":…,"message":…}, with
// absent members left out ({} for a payload that was not an object).
func (e *WatchError) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	if e.HasCode {
		b.WriteString(`"code":`)
		b.WriteString(strconv.FormatFloat(e.Code, 'f', -1, 64))
	}
	if e.Message != "" {
		if e.HasCode {
			b.WriteByte(',')
		}
		m, err := json.Marshal(e.Message)
		if err != nil {
			return nil, err
		}
		b.WriteString(`"message":`)
		b.Write(m)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// SanitizeWatchError reduces an error payload to a WatchError: only a
// finite numeric code and a string message survive; the message has ANSI
// removed, control characters escaped, and is cut to 199 characters plus
// "…" when longer than 200. A payload that is not an object gives the
// zero WatchError.
func SanitizeWatchError(payload json.RawMessage) WatchError {
	var fields map[string]json.RawMessage
	if json.Unmarshal(payload, &fields) != nil || fields == nil {
		return WatchError{}
	}
	var w WatchError
	var code float64
	if raw, ok := fields["code"]; ok && json.Unmarshal(raw, &code) == nil && !math.IsInf(code, 0) && !math.IsNaN(code) {
		w.Code, w.HasCode = code, true
	}
	var msg string
	if raw, ok := fields["message"]; ok && json.Unmarshal(raw, &msg) == nil {
		w.Message = cut(cleanText(msg), 200)
	}
	return w
}
