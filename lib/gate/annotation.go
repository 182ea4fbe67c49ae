package gate

import (
	"strconv"
	"unicode/utf8"
)

// appendJSON appends the annotation as JSON, byte for byte what
// record.Marshal would produce (a test checks), without reflection: it is
// written for every dispatched record.
func (a *Annotation) appendJSON(b []byte) []byte {
	b = append(b, `{"sender":`...)
	b = appendString(b, a.Sender)
	b = append(b, `,"is_group":`...)
	b = strconv.AppendBool(b, a.IsGroup)
	b = append(b, `,"chat_key":`...)
	b = appendString(b, a.ChatKey)
	if a.Body != "" {
		b = append(b, `,"body":`...)
		b = appendString(b, a.Body)
	}
	b = append(b, `,"was_mentioned":`...)
	b = strconv.AppendBool(b, a.WasMentioned)
	if a.Command != "" {
		b = append(b, `,"command":`...)
		b = appendString(b, a.Command)
	}
	b = append(b, `,"command_authorized":`...)
	b = strconv.AppendBool(b, a.CommandAuthorized)
	b = append(b, `,"admitted_by":`...)
	b = appendString(b, a.AdmittedBy)
	if a.ReplyContextAllowed != nil {
		b = append(b, `,"reply_context_allowed":`...)
		b = strconv.AppendBool(b, *a.ReplyContextAllowed)
	}
	if a.SMS {
		b = append(b, `,"sms":true`...)
	}
	if a.OwnMessage {
		b = append(b, `,"own_message":true`...)
	}
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string the way encoding/json does
// without HTML escaping: quotes, backslashes and control characters
// escaped, U+2028 and U+2029 escaped, invalid UTF-8 replaced by U+FFFD.
func appendString(b []byte, s string) []byte {
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
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
