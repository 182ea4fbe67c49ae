package handle

import (
	"errors"
	"strconv"
)

// Kind says how a target addresses its chat.
type Kind int

// Target kinds.
const (
	KindHandle         Kind = iota // a phone number or email
	KindChatID                     // chat.db chat ROWID
	KindChatGUID                   // chat guid, e.g. "iMessage;+;chat123"
	KindChatIdentifier             // chat identifier, e.g. "chat123" or "+15551234567"
)

// String names the kind as the chat prefixes do ("handle" for handles).
func (k Kind) String() string {
	switch k {
	case KindChatID:
		return "chat_id"
	case KindChatGUID:
		return "chat_guid"
	case KindChatIdentifier:
		return "chat_identifier"
	}
	return "handle"
}

// Service is the imsg send service, lower case as the RPC wants it.
type Service string

// Services accepted by imsg send.
const (
	ServiceIMessage Service = "imessage"
	ServiceSMS      Service = "sms"
	ServiceAuto     Service = "auto"
)

// Target is a parsed send target.
type Target struct {
	Kind   Kind
	ChatID int64 // KindChatID only
	// Value is the normalised handle, the chat guid or identifier (case
	// kept), or the decimal chat id.
	Value string
	// Service is set for handles only (auto unless a prefix chose one);
	// the chat decides the service of chat targets, so it is empty there.
	Service Service
}

// String gives the canonical spelling of the target: "chat_id:7",
// "chat_guid:…", "chat_identifier:…", "imessage:+15551234567",
// "sms:+15551234567", or the bare handle for the auto service. Parsing the
// result with ParseTarget gives the same Target back.
func (t Target) String() string {
	switch t.Kind {
	case KindChatID:
		return FormatChatTarget(t.ChatID)
	case KindChatGUID:
		return PrefixChatGUID + t.Value
	case KindChatIdentifier:
		return PrefixChatIdentifier + t.Value
	}
	if t.Service == "" || t.Service == ServiceAuto {
		return t.Value
	}
	return string(t.Service) + ":" + t.Value
}

// IsChat reports whether the target addresses a chat rather than a handle.
func (t Target) IsChat() bool { return t.Kind != KindHandle }

// ParseTarget parses a send target (spec/channel-behaviour.md §6.2): a chat
// prefix in any alias, or a handle with an optional imessage:, sms: or auto:
// prefix. Handles are normalised with region; errors carry the reference's
// messages ("iMessage target is required", "sms: target is required",
// "Invalid chat_id: x", "chat_guid is required", "chat_identifier is
// required") or Normalize's for a bad handle.
func ParseTarget(raw, region string) (Target, error) {
	s, svc := stripService(raw)
	if s == "" {
		if svc != "" {
			return Target{}, errors.New(string(svc) + ": target is required")
		}
		return Target{}, errors.New("iMessage target is required")
	}
	if kind, value, ok := splitChatPrefix(s); ok {
		return chatTarget(kind, value)
	}
	h, err := Normalize(s, region)
	if err != nil {
		return Target{}, err
	}
	if svc == "" {
		svc = ServiceAuto
	}
	return Target{Kind: KindHandle, Value: h, Service: svc}, nil
}

// FormatChatTarget returns "chat_id:<id>", or "" when id is not positive.
func FormatChatTarget(id int64) string {
	if id <= 0 {
		return ""
	}
	return PrefixChatID + strconv.FormatInt(id, 10)
}

// Chat types returned by InferChatType.
const (
	ChatDirect = "direct"
	ChatGroup  = "group"
)

// InferChatType guesses the chat type from a target as the reference does:
// handles are direct chats and chat targets are groups. It returns "" when
// raw does not parse.
func InferChatType(raw, region string) string {
	t, err := ParseTarget(raw, region)
	switch {
	case err != nil:
		return ""
	case t.IsChat():
		return ChatGroup
	}
	return ChatDirect
}
