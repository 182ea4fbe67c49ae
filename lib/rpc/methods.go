package rpc

import (
	"context"
	"time"

	"github.com/imsg-toolkit/imsg/lib/imsg"
)

// The params below send only documented keys, with exact JSON types, and
// leave out what is unset: newer imsg rejects unknown keys, strings for
// ints and numbers for bools (imsg-protocol.md §1.2).

// WatchParams are the watch.subscribe params.
type WatchParams struct {
	ChatID int64 // 0: all chats
	// SinceRowID is the exclusive cursor. nil or 0 starts at the current
	// tail (nothing old is replayed), a positive N streams rows after N, and
	// -1 replays every row. Resume with the last Message.ResumeCursor().
	SinceRowID         *int64
	Participants       []string
	Start, End         time.Time // zero: unbounded; Start inclusive, End exclusive
	Attachments        bool
	ConvertAttachments bool
	IncludeReactions   bool
	DebounceMS         *int // nil: imsg's default (500 ms)
	BufferLimit        int  // newer imsg only (1…4096); 0: its default
}

type watchWire struct {
	ChatID             int64    `json:"chat_id,omitempty"`
	SinceRowID         *int64   `json:"since_rowid,omitempty"`
	Participants       []string `json:"participants,omitempty"`
	Start              string   `json:"start,omitempty"`
	End                string   `json:"end,omitempty"`
	Attachments        bool     `json:"attachments,omitempty"`
	ConvertAttachments bool     `json:"convert_attachments,omitempty"`
	IncludeReactions   bool     `json:"include_reactions,omitempty"`
	DebounceMS         *int     `json:"debounce_ms,omitempty"`
	BufferLimit        int      `json:"buffer_limit,omitempty"`
}

func (p WatchParams) wire() watchWire {
	return watchWire{
		ChatID: p.ChatID, SinceRowID: p.SinceRowID, Participants: p.Participants,
		Start: isoTime(p.Start), End: isoTime(p.End),
		Attachments: p.Attachments, ConvertAttachments: p.ConvertAttachments,
		IncludeReactions: p.IncludeReactions, DebounceMS: p.DebounceMS, BufferLimit: p.BufferLimit,
	}
}

// isoTime renders a bound the way imsg writes dates, which every imsg
// version parses; the zero time is "unset".
func isoTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return imsg.FormatTime(t)
}

type unsubscribeParams struct {
	Subscription int64 `json:"subscription"`
}

// ChatsList calls chats.list: chats by most recent activity. limit ≤ 0
// leaves imsg's default (20).
func (c *Client) ChatsList(ctx context.Context, limit int) ([]imsg.Chat, error) {
	var params struct {
		Limit int `json:"limit,omitempty"`
	}
	params.Limit = max(limit, 0)
	var res struct {
		Chats []imsg.Chat `json:"chats"`
	}
	if err := c.Call(ctx, "chats.list", params, &res); err != nil {
		return nil, err
	}
	return res.Chats, nil
}

// HistoryParams are the messages.history params.
type HistoryParams struct {
	ChatID             int64 // required
	Limit              int   // ≤ 0: imsg's default (50)
	Participants       []string
	Start, End         time.Time // zero: unbounded; Start inclusive, End exclusive
	Attachments        bool
	ConvertAttachments bool
}

type historyWire struct {
	ChatID             int64    `json:"chat_id"`
	Limit              int      `json:"limit,omitempty"`
	Participants       []string `json:"participants,omitempty"`
	Start              string   `json:"start,omitempty"`
	End                string   `json:"end,omitempty"`
	Attachments        bool     `json:"attachments,omitempty"`
	ConvertAttachments bool     `json:"convert_attachments,omitempty"`
}

// History calls messages.history: messages of one chat, newest first,
// reaction rows left out.
func (c *Client) History(ctx context.Context, p HistoryParams) ([]imsg.Message, error) {
	params := historyWire{
		ChatID: p.ChatID, Limit: max(p.Limit, 0), Participants: p.Participants,
		Start: isoTime(p.Start), End: isoTime(p.End),
		Attachments: p.Attachments, ConvertAttachments: p.ConvertAttachments,
	}
	var res struct {
		Messages []imsg.Message `json:"messages"`
	}
	if err := c.Call(ctx, "messages.history", params, &res); err != nil {
		return nil, err
	}
	return res.Messages, nil
}

// SendParams are the send params: To for a direct send, or exactly one of
// ChatID, ChatIdentifier and ChatGUID for a chat; Text and/or File.
type SendParams struct {
	To             string `json:"to,omitempty"`
	ChatID         int64  `json:"chat_id,omitempty"`
	ChatIdentifier string `json:"chat_identifier,omitempty"`
	ChatGUID       string `json:"chat_guid,omitempty"`
	Text           string `json:"text,omitempty"`
	File           string `json:"file,omitempty"`
	Service        string `json:"service,omitempty"`   // "imessage", "sms" or "auto" (lower case)
	Region         string `json:"region,omitempty"`    // phone normalisation, default "US"
	Transport      string `json:"transport,omitempty"` // "auto", "bridge" or "applescript"
}

// Send calls send, under Options.SendTimeout. A *TimeoutError here means
// the outcome is unknown: the message may still go out.
func (c *Client) Send(ctx context.Context, p SendParams) (imsg.SendResult, error) {
	var res imsg.SendResult
	err := c.Call(ctx, "send", p, &res)
	return res, err
}

// Status is the answer of newer imsg's status method (0.9 answers -32601
// Method not found). Only the parts a client acts on are decoded.
type Status struct {
	Version         string `json:"version"`
	ProtocolVersion int    `json:"protocol_version"`
	Database        struct {
		Path  string `json:"path"`
		Ready bool   `json:"ready"`
	} `json:"database"`
	Methods          []string `json:"methods"`           // usable now
	SupportedMethods []string `json:"supported_methods"` // compiled in
}

// Status calls status.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var res Status
	err := c.Call(ctx, "status", struct{}{}, &res)
	return res, err
}
