package route

import (
	"strconv"
	"strings"

	"github.com/itchyny/gojq"

	"github.com/imsg-toolkit/imsg/lib/handle"
	"github.com/imsg-toolkit/imsg/lib/state"
)

// Message is what routing reads from a message record: fields of the imsg
// payload and, when imsg-gate ran, its verdicts.
type Message struct {
	Account        string
	ID             int64
	GUID           string
	ChatID         int64
	ChatGUID       string
	ChatIdentifier string
	ChatName       string
	Sender         string // as imsg sent it
	SenderName     string // Contacts name, when imsg knew it
	Text           string
	CreatedAt      string
	IsGroup        bool // imsg's is_group
	IsReaction     bool // a tapback, whatever the record kind says
	Participants   int  // distinct other participants
	ReplyToID      string
	ReplyToText    string
	ReplyToSender  string
	// AttachmentMIME is the first attachment's MIME type; Attachments
	// counts them.
	AttachmentMIME string
	Attachments    int

	// From imsg-gate's namespace, when present.
	GateSender  string // normalised sender
	GateIsGroup *bool  // the group-ish verdict
	GateChatKey string // the chat's pending-history key
	GateBody    string // the body text the gate judged
	// GateNoReplyContext is set when the gate withheld the quoted message
	// (contextVisibility).
	GateNoReplyContext bool
}

// normalizedSender is the gate's normalised sender, else the sender
// normalised here, else the raw sender trimmed (a handle imsg sends that is
// neither phone nor email is still somebody).
func (m *Message) normalizedSender(region string) string {
	if m.GateSender != "" {
		return m.GateSender
	}
	raw := strings.TrimSpace(m.Sender)
	if h, err := handle.Normalize(raw, region); err == nil && !handle.IsChatTarget(raw) {
		return h
	}
	return raw
}

// groupPeerID is the reference's group peer id: the chat id as a string,
// else the chat guid, else the identifier.
func (m *Message) groupPeerID() string {
	switch {
	case m.ChatID > 0:
		return strconv.FormatInt(m.ChatID, 10)
	case m.ChatGUID != "":
		return handle.PrefixChatGUID + m.ChatGUID
	case m.ChatIdentifier != "":
		return handle.PrefixChatIdentifier + m.ChatIdentifier
	}
	return ""
}

// chatTargets lists the canonical targets that name the message's chat.
func (m *Message) chatTargets() []string {
	var out []string
	if m.ChatID > 0 {
		out = append(out, handle.FormatChatTarget(m.ChatID))
	}
	if m.ChatGUID != "" {
		out = append(out, handle.PrefixChatGUID+m.ChatGUID)
	}
	if m.ChatIdentifier != "" {
		out = append(out, handle.PrefixChatIdentifier+m.ChatIdentifier)
	}
	return out
}

// BodyText is the text the agent answers: the gate's body when it gave one,
// else the trimmed text, else a placeholder for the first attachment
// ("<media:image>"), as the reference's bodyText.
func (m *Message) BodyText() string {
	if m.GateBody != "" {
		return m.GateBody
	}
	if t := strings.TrimSpace(m.Text); t != "" {
		return t
	}
	if m.Attachments == 0 {
		return ""
	}
	mime := strings.ToLower(strings.TrimSpace(m.AttachmentMIME))
	if i := strings.IndexByte(mime, ';'); i >= 0 {
		mime = strings.TrimSpace(mime[:i])
	}
	switch {
	case strings.HasPrefix(mime, "image/"):
		return "<media:image>"
	case strings.HasPrefix(mime, "audio/"):
		return "<media:audio>"
	case strings.HasPrefix(mime, "video/"):
		return "<media:video>"
	case strings.HasPrefix(mime, "text/"), strings.HasPrefix(mime, "application/"):
		return "<media:document>"
	}
	return "<media:attachment>"
}

// Predicate is a jq binding handed to the caller of Route for evaluation.
type Predicate struct {
	Index  int    // the binding's index in bindings[]
	Source string // the jq text, for messages
	Code   *gojq.Code
}

// ReplyContext is the message a reply quotes.
type ReplyContext struct {
	ID     string `json:"id,omitempty"`
	Body   string `json:"body"`
	Sender string `json:"sender,omitempty"`
}

// Result is a message's route: the "route" object of the record.
type Result struct {
	AgentID    string
	SessionKey string
	MatchedBy  string
	Binding    int // index in bindings[], -1 for the default agent

	To                string // reply target
	From              string // imessage:group:<chat_id> or imessage:<sender>
	ChatType          string // direct or group
	ConversationLabel string
	ChatKey           string // pending-history key of a group, "" for DMs

	Sender     string // normalised
	SenderID   string // as imsg sent it
	SenderName string

	ReplyTo      *ReplyContext
	History      []state.HistoryEntry
	HistoryLimit int
	Body         string // what the agent is asked to answer, with its context
}

// address fills the reply target, the labels, the history key and the
// reply context.
func (r *Router) address(m *Message, res *Result, group bool) {
	chat := handle.FormatChatTarget(m.ChatID)
	switch {
	case chat != "":
		res.To = chat
	case group && m.ChatGUID != "":
		res.To = handle.PrefixChatGUID + m.ChatGUID
	case group && m.ChatIdentifier != "":
		res.To = handle.PrefixChatIdentifier + m.ChatIdentifier
	default:
		res.To = res.Sender
	}
	if group {
		id := m.groupPeerID()
		res.From = "imessage:group:" + id
		name := strings.TrimSpace(m.ChatName)
		if name == "" {
			name = "Group"
		}
		res.ConversationLabel = name + " id:" + id
		res.ChatKey = m.GateChatKey
		if res.ChatKey == "" {
			if ts := m.chatTargets(); len(ts) > 0 {
				res.ChatKey = ts[0]
			}
		}
	} else {
		res.From = "imessage:" + strings.TrimSpace(m.Sender)
		res.ConversationLabel = res.Sender
		if raw := strings.TrimSpace(m.Sender); raw != res.Sender && raw != "" {
			res.ConversationLabel += " id:" + raw
		}
	}
	if quoted := strings.TrimSpace(m.ReplyToText); quoted != "" && !m.GateNoReplyContext {
		res.ReplyTo = &ReplyContext{ID: strings.TrimSpace(m.ReplyToID), Body: quoted, Sender: strings.TrimSpace(m.ReplyToSender)}
	}
}

// senderLabel is how a group body names its sender: the normalised handle,
// with the raw one in parentheses when they differ.
func senderLabel(norm, raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" || raw == norm {
		return norm
	}
	return norm + " (" + raw + ")"
}

// Compose sets res.Body: the message in the reference's envelope
// (§10.2), "[iMessage <label> <created_at>] <body>", where a group body
// starts with "<sender>: ", a quoted reply follows as a
// "[Replying to …] … [/Replying]" block, and held-back group messages come
// first under "[Chat messages since your last reply - for context]". The
// elapsed-time part of the reference's header is left out: it would need
// the session store and makes goldens depend on the clock.
func Compose(m *Message, res *Result) {
	body := m.BodyText()
	if res.ChatType == PeerGroup {
		body = senderLabel(res.Sender, m.Sender) + ": " + body
	}
	if q := res.ReplyTo; q != nil {
		who := q.Sender
		if who == "" {
			who = "unknown sender"
		}
		head := "[Replying to " + who
		if q.ID != "" {
			head += " id:" + q.ID
		}
		body += "\n\n" + head + "]\n" + q.Body + "\n[/Replying]"
	}
	current := envelope(res.ConversationLabel, m.CreatedAt, body)
	if len(res.History) == 0 {
		res.Body = current
		return
	}
	var b strings.Builder
	b.WriteString("[Chat messages since your last reply - for context]\n")
	for _, e := range res.History {
		line := e.Sender + ": " + e.Body
		if e.MessageID != "" {
			line += " [id:" + e.MessageID + "]"
		}
		b.WriteString(envelope(res.ConversationLabel, e.CreatedAt, line))
		b.WriteByte('\n')
	}
	b.WriteString("\n[Current message - respond to this]\n")
	b.WriteString(current)
	res.Body = b.String()
}

func envelope(label, at, body string) string {
	head := "[iMessage " + label
	if at != "" {
		head += " " + at
	}
	return head + "] " + body
}

// JSON renders res as the record's "route" object. Empty optional fields
// are left out; the documented ones are always there.
func (res *Result) JSON(buf []byte) []byte {
	o := object{b: buf[:0]}
	o.str("agent_id", res.AgentID)
	o.str("session_key", res.SessionKey)
	o.str("matched_by", res.MatchedBy)
	if res.Binding >= 0 {
		o.int("binding", int64(res.Binding))
	}
	o.str("to", res.To)
	o.str("from", res.From)
	o.str("chat_type", res.ChatType)
	o.str("conversation_label", res.ConversationLabel)
	o.str("sender", res.Sender)
	o.strIf("sender_id", res.SenderID)
	o.strIf("sender_name", res.SenderName)
	if q := res.ReplyTo; q != nil {
		var r object
		r.strIf("id", q.ID)
		r.str("body", q.Body)
		r.strIf("sender", q.Sender)
		o.raw("reply_to", r.bytes())
	}
	if len(res.History) > 0 {
		o.key("history")
		o.b = append(o.b, '[')
		for i, e := range res.History {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			var h object
			h.str("sender", e.Sender)
			h.str("body", e.Body)
			h.strIf("created_at", e.CreatedAt)
			h.strIf("message_id", e.MessageID)
			h.strIf("guid", e.GUID)
			o.b = append(o.b, h.bytes()...)
		}
		o.b = append(o.b, ']')
	}
	o.int("history_limit", int64(res.HistoryLimit))
	o.str("body", res.Body)
	return o.bytes()
}
