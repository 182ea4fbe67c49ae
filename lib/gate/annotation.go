package gate

import (
	"strconv"

	"github.com/imsg-toolkit/imsg/lib/record"
)

// appendJSON appends the annotation as JSON, byte for byte what
// record.Marshal would produce (a test checks), without reflection: it is
// written for every dispatched record.
func (a *Annotation) appendJSON(b []byte) []byte {
	b = append(b, `{"sender":`...)
	b = record.AppendString(b, a.Sender)
	b = append(b, `,"is_group":`...)
	b = strconv.AppendBool(b, a.IsGroup)
	b = append(b, `,"chat_key":`...)
	b = record.AppendString(b, a.ChatKey)
	if a.Body != "" {
		b = append(b, `,"body":`...)
		b = record.AppendString(b, a.Body)
	}
	b = append(b, `,"was_mentioned":`...)
	b = strconv.AppendBool(b, a.WasMentioned)
	if a.Command != "" {
		b = append(b, `,"command":`...)
		b = record.AppendString(b, a.Command)
	}
	b = append(b, `,"command_authorized":`...)
	b = strconv.AppendBool(b, a.CommandAuthorized)
	b = append(b, `,"admitted_by":`...)
	b = record.AppendString(b, a.AdmittedBy)
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
