// Package imsg holds the payload shapes of the imsg JSON-RPC protocol
// (spec/imsg-protocol.md §1.6): messages, attachments, reactions and chats,
// with the exact key names imsg emits. The simulator writes them and the
// stages read them; a stage that passes a message on keeps the raw bytes, so
// fields this package does not know survive untouched.
package imsg

import (
	"strings"
	"time"
)

// Message is one chat.db row as imsg reports it in messages.history and
// in watch notifications. Optional keys are omitted, never null, when absent.
type Message struct {
	ID                   int64        `json:"id"`
	ChatID               int64        `json:"chat_id"`
	GUID                 string       `json:"guid"`
	ReplyToGUID          string       `json:"reply_to_guid,omitempty"`
	ThreadOriginatorGUID string       `json:"thread_originator_guid,omitempty"`
	ReplyToText          string       `json:"reply_to_text,omitempty"`
	ReplyToSender        string       `json:"reply_to_sender,omitempty"`
	Sender               string       `json:"sender"`
	SenderName           string       `json:"sender_name,omitempty"`
	IsFromMe             bool         `json:"is_from_me"`
	Text                 string       `json:"text"`
	CreatedAt            string       `json:"created_at"`
	Attachments          []Attachment `json:"attachments"`
	Reactions            []Reaction   `json:"reactions"`
	DestinationCallerID  string       `json:"destination_caller_id,omitempty"`
	ChatIdentifier       string       `json:"chat_identifier"`
	ChatGUID             string       `json:"chat_guid"`
	ChatName             string       `json:"chat_name"`
	Participants         []string     `json:"participants"`
	IsGroup              bool         `json:"is_group"`

	// Present only on tapback event rows (watch with include_reactions).
	IsReaction    bool   `json:"is_reaction,omitempty"`
	ReactionType  string `json:"reaction_type,omitempty"`
	ReactionEmoji string `json:"reaction_emoji,omitempty"`
	IsReactionAdd *bool  `json:"is_reaction_add,omitempty"`
	ReactedToGUID string `json:"reacted_to_guid,omitempty"`

	// Newer imsg: the authoritative resume cursor on live rows.
	Cursor int64 `json:"cursor,omitempty"`
}

// ResumeCursor is the value to persist after handling m: the newer cursor
// field when present, else the row id.
func (m *Message) ResumeCursor() int64 {
	if m.Cursor > 0 {
		return m.Cursor
	}
	return m.ID
}

// Attachment is one entry of Message.Attachments. The code of imsg emits
// total_bytes and original_path, whatever its docs say.
type Attachment struct {
	Filename          string `json:"filename"`
	TransferName      string `json:"transfer_name"`
	UTI               string `json:"uti"`
	MimeType          string `json:"mime_type"`
	TotalBytes        int64  `json:"total_bytes"`
	IsSticker         bool   `json:"is_sticker"`
	OriginalPath      string `json:"original_path"`
	Missing           bool   `json:"missing"`
	ConvertedPath     string `json:"converted_path,omitempty"`
	ConvertedMimeType string `json:"converted_mime_type,omitempty"`
}

// Reaction is the current state of one tapback on a message.
type Reaction struct {
	ID         int64  `json:"id"`
	Type       string `json:"type"`
	Emoji      string `json:"emoji"`
	Sender     string `json:"sender"`
	IsFromMe   bool   `json:"is_from_me"`
	CreatedAt  string `json:"created_at"`
	SenderName string `json:"sender_name,omitempty"`
}

// Chat is one item of chats.list (the 0.9 RPC shape).
type Chat struct {
	ID            int64    `json:"id"`
	Identifier    string   `json:"identifier"`
	GUID          string   `json:"guid"`
	Name          string   `json:"name"`
	Service       string   `json:"service"`
	LastMessageAt string   `json:"last_message_at"`
	Participants  []string `json:"participants"`
	IsGroup       bool     `json:"is_group"`
	ContactName   string   `json:"contact_name,omitempty"`
}

// SendResult is the result of the send method.
type SendResult struct {
	OK        bool   `json:"ok"`
	Transport string `json:"transport,omitempty"`
	ID        int64  `json:"id,omitempty"`
	GUID      string `json:"guid,omitempty"`
}

// Reaction types by associated_message_type (2000–2006; 3000–3006 remove).
var reactionTypes = [...]struct{ name, emoji string }{
	{"love", "❤️"}, {"like", "👍"}, {"dislike", "👎"}, {"laugh", "😂"},
	{"emphasis", "‼️"}, {"question", "❓"}, {"custom", ""},
}

// ReactionKind decodes an associated_message_type: the reaction name, its
// emoji (empty for custom), whether it adds (2000s) or removes (3000s), and
// ok=false when the type is not a tapback at all.
func ReactionKind(t int64) (name, emoji string, add, ok bool) {
	switch {
	case t >= 2000 && t <= 2006:
		r := reactionTypes[t-2000]
		return r.name, r.emoji, true, true
	case t >= 3000 && t <= 3006:
		r := reactionTypes[t-3000]
		return r.name, r.emoji, false, true
	}
	return "", "", false, false
}

// ReactionTypeCode is the associated_message_type for adding a reaction name.
func ReactionTypeCode(name string) (int64, bool) {
	for i, r := range reactionTypes {
		if r.name == name {
			return 2000 + int64(i), true
		}
	}
	return 0, false
}

// NormalizeGUID keeps what follows the last "/": "p:0/ABC" → "ABC", and
// "bp:ABC" stays as it is.
func NormalizeGUID(g string) string {
	if i := strings.LastIndexByte(g, '/'); i >= 0 {
		return g[i+1:]
	}
	return g
}

// IsGroupChat is imsg's rule: a chat is a group when its guid or
// identifier contains ";+;".
func IsGroupChat(guid, identifier string) bool {
	return strings.Contains(guid, ";+;") || strings.Contains(identifier, ";+;")
}

// appleEpoch is 2001-01-01T00:00:00Z, the zero of chat.db dates.
var appleEpoch = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)

// FromAppleNanos converts a chat.db date (nanoseconds since 2001) to a time.
func FromAppleNanos(ns int64) time.Time { return appleEpoch.Add(time.Duration(ns)) }

// ToAppleNanos converts a time to a chat.db date.
func ToAppleNanos(t time.Time) int64 { return t.Sub(appleEpoch).Nanoseconds() }

// FormatTime renders a time as imsg does: UTC, always three fractional digits.
func FormatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// ParseTime parses an imsg timestamp (RFC 3339, any fractional precision).
func ParseTime(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }
