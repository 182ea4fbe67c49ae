package gate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/imsg-toolkit/imsg/lib/imsg"
	"github.com/imsg-toolkit/imsg/lib/record"
)

// decodePayload reads the fields of an imsg message object the gate uses,
// checking their types as the reference does (spec §3): a field of the
// wrong type makes the whole record unusable; null counts as absent;
// unknown fields are ignored (they pass on untouched in the record's
// bytes). Keys match exactly and the last of a repeated key wins, as
// record.Field reads them, so the gate decides on the values the later
// stages see. raw must be valid JSON (record.Validate). Attachments are
// decoded only when withAttachments is set.
//
// One pass over the bytes instead of encoding/json's reflection: this runs
// for every record of the stream.
func decodePayload(raw []byte, withAttachments bool) (*imsg.Message, error) {
	i := record.SkipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, errors.New(`"message" is not an object`)
	}
	m := &imsg.Message{}
	i++
	for {
		i = record.SkipSpace(raw, i)
		if i >= len(raw) || raw[i] == '}' {
			return m, nil
		}
		if raw[i] == ',' {
			i++
			continue
		}
		ks := i
		i = record.SkipString(raw, i)
		key, err := unquote(raw[ks:i])
		if err != nil {
			return nil, err
		}
		i = record.SkipSpace(raw, i) + 1 // ':'
		i = record.SkipSpace(raw, i)
		vs := i
		i = record.SkipValue(raw, i)
		if err := setField(m, key, raw[vs:i], withAttachments); err != nil {
			return nil, fmt.Errorf("message.%s: %w", key, err)
		}
	}
}

func setField(m *imsg.Message, key string, v []byte, withAttachments bool) error {
	switch key {
	case "id":
		return intValue(v, &m.ID)
	case "chat_id":
		return intValue(v, &m.ChatID)
	case "guid":
		return stringValue(v, &m.GUID)
	case "sender":
		return stringValue(v, &m.Sender)
	case "destination_caller_id":
		return stringValue(v, &m.DestinationCallerID)
	case "text":
		return stringValue(v, &m.Text)
	case "created_at":
		return stringValue(v, &m.CreatedAt)
	case "chat_identifier":
		return stringValue(v, &m.ChatIdentifier)
	case "chat_guid":
		return stringValue(v, &m.ChatGUID)
	case "chat_name":
		return stringValue(v, &m.ChatName)
	case "reply_to_guid":
		return stringValue(v, &m.ReplyToGUID)
	case "reply_to_text":
		return stringValue(v, &m.ReplyToText)
	case "reply_to_sender":
		return stringValue(v, &m.ReplyToSender)
	case "reacted_to_guid":
		return stringValue(v, &m.ReactedToGUID)
	case "reaction_type":
		return stringValue(v, &m.ReactionType)
	case "is_from_me":
		return boolValue(v, &m.IsFromMe)
	case "is_group":
		return boolValue(v, &m.IsGroup)
	case "is_reaction":
		return boolValue(v, &m.IsReaction)
	case "participants":
		return stringsValue(v, &m.Participants)
	case "attachments":
		if !isArrayOrNull(v) {
			return wrongType("array", v)
		}
		if withAttachments && v[0] == '[' {
			if err := json.Unmarshal(v, &m.Attachments); err != nil {
				var te *json.UnmarshalTypeError
				if errors.As(err, &te) {
					return fmt.Errorf("%s: expected %s, got %s", te.Field, te.Type, te.Value)
				}
				return err
			}
		}
	case "reactions":
		if !isArrayOrNull(v) {
			return wrongType("array", v)
		}
	}
	return nil
}

func wrongType(want string, v []byte) error {
	return fmt.Errorf("expected %s, got %s", want, jsonType(v))
}

// jsonType names the type of a JSON value by its first byte.
func jsonType(v []byte) string {
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

func isNull(v []byte) bool        { return len(v) == 4 && string(v) == "null" }
func isArrayOrNull(v []byte) bool { return len(v) > 0 && (v[0] == '[' || isNull(v)) }
func stringValue(v []byte, dst *string) error {
	switch {
	case isNull(v):
		return nil
	case len(v) == 0 || v[0] != '"':
		return wrongType("string", v)
	}
	s, err := unquote(v)
	*dst = s
	return err
}

func intValue(v []byte, dst *int64) error {
	if isNull(v) {
		return nil
	}
	if len(v) == 0 || (v[0] != '-' && (v[0] < '0' || v[0] > '9')) {
		return wrongType("integer", v)
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return fmt.Errorf("expected integer, got number %s", v)
	}
	*dst = n
	return nil
}

func boolValue(v []byte, dst *bool) error {
	switch string(v) {
	case "true":
		*dst = true
	case "false", "null":
	default:
		return wrongType("boolean", v)
	}
	return nil
}

func stringsValue(v []byte, dst *[]string) error {
	if isNull(v) {
		return nil
	}
	if len(v) == 0 || v[0] != '[' {
		return wrongType("array", v)
	}
	i := 1
	out := []string{}
	for {
		i = record.SkipSpace(v, i)
		if i >= len(v) || v[i] == ']' {
			*dst = out
			return nil
		}
		if v[i] == ',' {
			i++
			continue
		}
		s := i
		i = record.SkipValue(v, i)
		var e string
		if err := stringValue(v[s:i], &e); err != nil || isNull(v[s:i]) {
			return fmt.Errorf("expected array of strings, got %s in it", jsonType(v[s:i]))
		}
		out = append(out, e)
	}
}

// unquote decodes a JSON string literal.
func unquote(q []byte) (string, error) {
	if len(q) < 2 || q[0] != '"' {
		return "", errors.New("malformed string")
	}
	inner := q[1 : len(q)-1]
	for _, b := range inner {
		if b == '\\' {
			var s string
			err := json.Unmarshal(q, &s)
			return s, err
		}
	}
	return string(inner), nil
}

// top is where the fields the gate reads sit in a record.
type top struct {
	kind, account, message, listen []byte // raw values; nil when absent
	hasAccount, hasGate            bool
}

// scanTop finds the top-level fields of a validated record in one pass
// (the last of a repeated key wins, as in record.Field).
func scanTop(obj []byte) top {
	var t top
	slow := false
	record.EachField(obj, func(key []byte, vs, ve int) bool {
		v := obj[vs:ve]
		switch string(key) {
		case `"kind"`:
			t.kind = v
		case `"account"`:
			t.account, t.hasAccount = v, true
		case `"message"`:
			t.message = v
		case `"listen"`:
			t.listen = v
		case `"gate"`:
			t.hasGate = true
		default:
			if bytes.IndexByte(key, '\\') >= 0 { // an escaped spelling of a key we read
				if k, err := unquote(key); err == nil {
					switch k {
					case "kind", "account", "message", "listen", "gate":
						slow = true
						return false
					}
				}
			}
		}
		return true
	})
	if slow {
		return scanTopSlow(obj)
	}
	return t
}

// scanTopSlow is scanTop through record.Field, for records that spell a
// key with escapes.
func scanTopSlow(obj []byte) top {
	var t top
	t.kind, _ = record.Field(obj, record.KeyKind)
	t.account, t.hasAccount = record.Field(obj, record.KeyAccount)
	t.message, _ = record.Field(obj, record.KeyMessage)
	t.listen, _ = record.Field(obj, record.KeyListen)
	_, t.hasGate = record.Field(obj, record.KeyGate)
	return t
}

// stringOf is a JSON string value, or ok=false.
func stringOf(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	s, err := unquote(v)
	return s, err == nil
}
